"""Certificate: the DNS-validated ACM certificate CloudFront serves. It must live in
us-east-1 (CloudFront only reads certificates there); a template rule enforces it.

Its `settings` module holds the config model and what other code reads of the stack without
building it; its `template` module the blueprint. Each name below is imported on first use
(see `blueprints.stacks`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from blueprints.core.lazy import lazy_exports

if TYPE_CHECKING:
    from blueprints.stacks.certificate.settings import CLOUDFRONT_CERTIFICATE_REGION, CertificateConfig
    from blueprints.stacks.certificate.template import CertificateBlueprint

_EXPORTS = {
    "CLOUDFRONT_CERTIFICATE_REGION": "blueprints.stacks.certificate.settings",
    "CertificateConfig": "blueprints.stacks.certificate.settings",
    "CertificateBlueprint": "blueprints.stacks.certificate.template",
}

__all__ = ["CLOUDFRONT_CERTIFICATE_REGION", "CertificateBlueprint", "CertificateConfig"]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
