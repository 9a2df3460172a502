"""The certificate stack's settings, and the region it must live in."""

from __future__ import annotations

from blueprints.core.config import DomainName, StackConfig

CLOUDFRONT_CERTIFICATE_REGION = "us-east-1"


class CertificateConfig(StackConfig):
    """Inputs of the certificate stack."""

    domain: DomainName
