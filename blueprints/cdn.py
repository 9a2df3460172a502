"""CDN: CloudFront in front of the API stage, and the Route53 alias records that point the
domain at the distribution's real domain name.

The order the design requires holds by construction: the distribution takes the
certificate's ARN as a parameter (certificate stack first), and the alias records take
the distribution's `DomainName` attribute (distribution before records).
"""

from __future__ import annotations

from pydantic import Field
from troposphere import GetAtt, Ref, Sub, Template, route53
from troposphere import cloudfront as cf

from blueprints.core import Blueprint, DomainName, StackConfig, accept_finding, add_output, add_parameter

# Fixed hosted zone id AWS uses for every CloudFront alias target.
CLOUDFRONT_HOSTED_ZONE_ID = "Z2FDTNDATAQYW2"
# AWS managed policies: no caching (API responses), and forward everything but Host
# (API Gateway routes on its own host name).
CACHING_DISABLED_POLICY = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_POLICY = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
MINIMUM_TLS = "TLSv1.2_2021"


class CdnConfig(StackConfig):
    """Inputs of the cdn stack."""

    domain: DomainName
    price_class: str = Field(
        "PriceClass_100",
        pattern="^PriceClass_(100|200|All)$",
        description="CloudFront edge locations used (default PriceClass_100: North America and Europe).",
    )
    log_prefix: str = Field("cloudfront/", description="Prefix of CloudFront access logs in the logs bucket.")
    hsts_max_age_seconds: int = Field(
        63072000, ge=31536000, description="Strict-Transport-Security max-age (default two years)."
    )


class CdnBlueprint(Blueprint[CdnConfig]):
    name = "cdn"
    description = "CloudFront distribution for the API and its Route53 alias records"
    config_model = CdnConfig

    def define(self, t: Template) -> None:
        cfg = self.config
        api_domain = add_parameter(t, "ApiDomainName", "execute-api host name of the REST API")
        stage = add_parameter(t, "StageName", "API stage, used as the origin path")
        certificate = add_parameter(t, "CertificateArn", "ACM certificate in us-east-1 for the domain")
        logs_bucket = add_parameter(t, "LogsBucketDomainName", "Domain name of the logs bucket")
        zone_id = add_parameter(t, "HostedZoneId", "Hosted zone of the domain", "AWS::Route53::HostedZone::Id")

        headers = t.add_resource(
            cf.ResponseHeadersPolicy(
                "SecurityHeadersPolicy",
                ResponseHeadersPolicyConfig=cf.ResponseHeadersPolicyConfig(
                    Name=self.context.name("security-headers"),
                    Comment="Security headers on every API response",
                    SecurityHeadersConfig=cf.SecurityHeadersConfig(
                        StrictTransportSecurity=cf.StrictTransportSecurity(
                            AccessControlMaxAgeSec=cfg.hsts_max_age_seconds,
                            IncludeSubdomains=True,
                            Preload=True,
                            Override=True,
                        ),
                        ContentTypeOptions=cf.ContentTypeOptions(Override=True),
                        FrameOptions=cf.FrameOptions(FrameOption="DENY", Override=True),
                        ReferrerPolicy=cf.ReferrerPolicy(ReferrerPolicy="no-referrer", Override=True),
                        XSSProtection=cf.XSSProtection(Protection=True, ModeBlock=True, Override=True),
                        ContentSecurityPolicy=cf.ContentSecurityPolicy(
                            ContentSecurityPolicy="default-src 'none'; frame-ancestors 'none'", Override=True
                        ),
                    ),
                ),
            )
        )
        distribution = t.add_resource(
            cf.Distribution(
                "Distribution",
                DistributionConfig=cf.DistributionConfig(
                    Enabled=True,
                    Comment=f"{self.context.project} {self.context.environment} API",
                    Aliases=[cfg.domain],
                    HttpVersion="http2and3",
                    IPV6Enabled=True,
                    PriceClass=cfg.price_class,
                    ViewerCertificate=cf.ViewerCertificate(
                        AcmCertificateArn=Ref(certificate),
                        SslSupportMethod="sni-only",
                        MinimumProtocolVersion=MINIMUM_TLS,
                    ),
                    Origins=[
                        cf.Origin(
                            Id="api",
                            DomainName=Ref(api_domain),
                            OriginPath=Sub(f"/${{{stage.title}}}"),
                            CustomOriginConfig=cf.CustomOriginConfig(
                                OriginProtocolPolicy="https-only",
                                OriginSSLProtocols=["TLSv1.2"],
                                HTTPSPort=443,
                            ),
                        )
                    ],
                    DefaultCacheBehavior=cf.DefaultCacheBehavior(
                        TargetOriginId="api",
                        # An API must not redirect: a redirected POST loses its body.
                        ViewerProtocolPolicy="https-only",
                        AllowedMethods=["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"],
                        CachedMethods=["GET", "HEAD"],
                        CachePolicyId=CACHING_DISABLED_POLICY,
                        OriginRequestPolicyId=ALL_VIEWER_EXCEPT_HOST_POLICY,
                        ResponseHeadersPolicyId=Ref(headers),
                        Compress=True,
                    ),
                    Logging=cf.Logging(Bucket=Ref(logs_bucket), Prefix=cfg.log_prefix, IncludeCookies=False),
                ),
            )
        )
        accept_finding(distribution, "CKV_AWS_68", "a WAFv2 web ACL is planned in a later release")
        accept_finding(distribution, "CKV_AWS_310", "a single regional API origin; no failover origin exists")
        accept_finding(distribution, "CKV_AWS_374", "the payments API serves customers in every country")

        for record_type in ("A", "AAAA"):
            t.add_resource(
                route53.RecordSetType(
                    f"Alias{record_type}Record",
                    HostedZoneId=Ref(zone_id),
                    Name=cfg.domain,
                    Type=record_type,
                    AliasTarget=route53.AliasTarget(
                        DNSName=GetAtt(distribution, "DomainName"),
                        HostedZoneId=CLOUDFRONT_HOSTED_ZONE_ID,
                        EvaluateTargetHealth=False,
                    ),
                )
            )

        add_output(t, "DistributionId", Ref(distribution), "CloudFront distribution id")
        add_output(t, "DistributionDomainName", GetAtt(distribution, "DomainName"), "CloudFront domain name")
        add_output(t, "ApiUrl", f"https://{cfg.domain}", "Public URL of the API")
