"""CloudFront in front of an API, and the DNS records that point a domain at it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

from pydantic import Field
from troposphere import GetAtt, Ref, route53
from troposphere import cloudfront as cf

from blueprints.blocks.base import Block, Options
from blueprints.core.lazy import renamed

# AWS managed policies: no caching (API responses), and forward everything but Host
# (API Gateway routes on its own host name).
_CACHING_DISABLED_POLICY = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
_ALL_VIEWER_EXCEPT_HOST_POLICY = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
_MINIMUM_TLS = "TLSv1.2_2021"
# Fixed hosted zone id AWS uses for every CloudFront alias target.
_CLOUDFRONT_HOSTED_ZONE_ID = "Z2FDTNDATAQYW2"


class ApiDistributionOptions(Options):
    domain: str = Field(description="The public domain name viewers use (an alias of the distribution).")
    certificate_arn: object = Field(description="ACM certificate for the domain, in us-east-1.")
    origin_domain: object = Field(description="Host name of the API (the execute-api host).")
    origin_path: object = Field(description="Path prefix added to every request (the API's stage, e.g. /v1).")
    logs_bucket_domain: object = Field(description="Domain name of the bucket CloudFront writes access logs to.")
    log_prefix: str = Field(default="cloudfront/", description="Key prefix of the access logs (default cloudfront/).")
    comment: str = Field(default="", description="Shown in the console.")
    price_class: Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"] = Field(
        default="PriceClass_100", description="Edge locations used (default PriceClass_100)."
    )
    hsts_max_age_seconds: int = Field(
        default=63072000, ge=31536000, description="Strict-Transport-Security max-age (default two years)."
    )
    headers_policy_name: str = Field(description="Name of the security-headers response policy (account-unique).")
    web_acl_arn: object = Field(description="The WAFv2 web ACL (scope CLOUDFRONT, us-east-1) in front of the origin.")
    origin_headers: Mapping[str, object] = Field(
        default_factory=dict,
        description=(
            "Headers CloudFront adds to every origin request (name -> value), e.g. the origin-verify secret; "
            "they replace a viewer's header of the same name."
        ),
    )


class ApiDistribution(Block):
    """CloudFront for an API: HTTPS only for viewers (an API must not redirect: a redirected
    POST loses its body) and to the origin (TLS 1.2), the ACM certificate with SNI and
    TLSv1.2_2021 at least, no caching, every viewer header but Host forwarded, security
    headers on every response (HSTS with preload, nosniff, DENY framing, no referrer, a
    CSP that loads nothing), HTTP/2 and 3, IPv6, access logs, a WAF web ACL, and the
    custom headers the origin expects from it (CloudFront overwrites a viewer's header of
    the same name: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/add-origin-custom-headers.html)."""

    Options = ApiDistributionOptions
    options: ApiDistributionOptions

    def build(self) -> None:
        o = self.options
        headers = self.template.add_resource(
            cf.ResponseHeadersPolicy(
                "SecurityHeadersPolicy",
                ResponseHeadersPolicyConfig=cf.ResponseHeadersPolicyConfig(
                    Name=o.headers_policy_name,
                    Comment="Security headers on every API response",
                    SecurityHeadersConfig=cf.SecurityHeadersConfig(
                        StrictTransportSecurity=cf.StrictTransportSecurity(
                            AccessControlMaxAgeSec=o.hsts_max_age_seconds,
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
        self.distribution = self.template.add_resource(
            cf.Distribution(
                self.logical_id,
                DistributionConfig=cf.DistributionConfig(
                    Enabled=True,
                    Comment=o.comment,
                    Aliases=[o.domain],
                    HttpVersion="http2and3",
                    IPV6Enabled=True,
                    PriceClass=o.price_class,
                    WebACLId=o.web_acl_arn,
                    ViewerCertificate=cf.ViewerCertificate(
                        AcmCertificateArn=o.certificate_arn,
                        SslSupportMethod="sni-only",
                        MinimumProtocolVersion=_MINIMUM_TLS,
                    ),
                    Origins=[
                        cf.Origin(
                            Id="api",
                            DomainName=o.origin_domain,
                            OriginPath=o.origin_path,
                            CustomOriginConfig=cf.CustomOriginConfig(
                                OriginProtocolPolicy="https-only", OriginSSLProtocols=["TLSv1.2"], HTTPSPort=443
                            ),
                            OriginCustomHeaders=[
                                cf.OriginCustomHeader(HeaderName=name, HeaderValue=value)
                                for name, value in sorted(o.origin_headers.items())
                            ],
                        )
                    ],
                    DefaultCacheBehavior=cf.DefaultCacheBehavior(
                        TargetOriginId="api",
                        ViewerProtocolPolicy="https-only",
                        AllowedMethods=["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"],
                        CachedMethods=["GET", "HEAD"],
                        CachePolicyId=_CACHING_DISABLED_POLICY,
                        OriginRequestPolicyId=_ALL_VIEWER_EXCEPT_HOST_POLICY,
                        ResponseHeadersPolicyId=Ref(headers),
                        Compress=True,
                    ),
                    Logging=cf.Logging(Bucket=o.logs_bucket_domain, Prefix=o.log_prefix, IncludeCookies=False),
                ),
            )
        )

    @property
    def domain_name(self) -> GetAtt:
        return GetAtt(self.distribution, "DomainName")


class AliasRecordsOptions(Options):
    zone_id: object = Field(description="The hosted zone the records go in.")
    name: str = Field(description="The record name (the domain).")
    distribution: ApiDistribution = Field(description="The distribution the records point at.")


class AliasRecords(Block):
    """A and AAAA alias records from a domain to a CloudFront distribution's own domain
    name (so CloudFormation creates the distribution first)."""

    Options = AliasRecordsOptions
    options: AliasRecordsOptions

    def build(self) -> None:
        o = self.options
        for record_type in ("A", "AAAA"):
            self.template.add_resource(
                route53.RecordSetType(
                    f"{self.logical_id}{record_type}Record",
                    HostedZoneId=o.zone_id,
                    Name=o.name,
                    Type=record_type,
                    AliasTarget=route53.AliasTarget(
                        DNSName=o.distribution.domain_name,
                        HostedZoneId=_CLOUDFRONT_HOSTED_ZONE_ID,
                        EvaluateTargetHealth=False,
                    ),
                )
            )


__all__ = [
    "AliasRecords",
    "AliasRecordsOptions",
    "ApiDistribution",
    "ApiDistributionOptions",
]

if not TYPE_CHECKING:  # the options' names before they were <Block>Options, for one release
    __getattr__ = renamed(
        __name__,
        {
            "DistributionOptions": "ApiDistributionOptions",
            "AliasOptions": "AliasRecordsOptions",
        },
    )
