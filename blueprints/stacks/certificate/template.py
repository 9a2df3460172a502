"""The certificate stack's blueprint."""

from __future__ import annotations

from troposphere import Ref, Template
from troposphere import certificatemanager as acm

from blueprints.core import Blueprint, add_output, add_parameter, require_region
from blueprints.stacks.certificate.settings import CLOUDFRONT_CERTIFICATE_REGION, CertificateConfig


class CertificateBlueprint(Blueprint[CertificateConfig]):
    name = "certificate"
    description = "ACM certificate for the API domain, DNS-validated, in us-east-1"
    config_model = CertificateConfig

    def define(self, t: Template) -> None:
        zone_id = add_parameter(
            t, "HostedZoneId", "Hosted zone the validation records go into", "AWS::Route53::HostedZone::Id"
        )
        require_region(
            t, "CertificateRegion", CLOUDFRONT_CERTIFICATE_REGION, "CloudFront reads certificates from us-east-1 only"
        )
        certificate = t.add_resource(
            acm.Certificate(
                "Certificate",
                DomainName=self.config.domain,
                ValidationMethod="DNS",
                DomainValidationOptions=[
                    acm.DomainValidationOption(DomainName=self.config.domain, HostedZoneId=Ref(zone_id))
                ],
                CertificateTransparencyLoggingPreference="ENABLED",
            )
        )
        add_output(t, "CertificateArn", Ref(certificate), "ACM certificate for CloudFront")
