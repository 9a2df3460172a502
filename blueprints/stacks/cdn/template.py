"""The cdn stack's blueprint."""

from __future__ import annotations

from troposphere import Ref, Sub, Template

from blueprints.blocks.alarms import MetricAlarm, alarm_topic_arn
from blueprints.blocks.distribution import AliasRecords, ApiDistribution
from blueprints.blocks.web_acl import ORIGIN_VERIFY_HEADER, secret_parameter
from blueprints.core import Blueprint, accept_finding, add_output, add_parameter, require_region
from blueprints.stacks.cdn.settings import CdnConfig
from blueprints.stacks.edge.settings import EDGE_REGION


class CdnBlueprint(Blueprint[CdnConfig]):
    name = "cdn"
    description = "CloudFront distribution for the API and its Route53 alias records"
    config_model = CdnConfig

    def define(self, t: Template) -> None:
        cfg = self.config
        require_region(t, "EdgeRegion", EDGE_REGION, "CloudFront's metrics, and so its alarm, are in us-east-1 only")
        stage = add_parameter(t, "StageName", "API stage, used as the origin path")
        origin_verify = secret_parameter(t, "OriginVerify", f"Value CloudFront sends in {ORIGIN_VERIFY_HEADER}")
        distribution = ApiDistribution(
            t,
            "Distribution",
            domain=cfg.domain,
            certificate_arn=Ref(add_parameter(t, "CertificateArn", "ACM certificate in us-east-1 for the domain")),
            origin_domain=Ref(add_parameter(t, "ApiDomainName", "execute-api host name of the REST API")),
            origin_path=Sub(f"/${{{stage.title}}}"),
            logs_bucket_domain=Ref(add_parameter(t, "LogsBucketDomainName", "Domain name of the logs bucket")),
            log_prefix=cfg.log_prefix,
            comment=f"{self.context.project} {self.context.environment} API",
            price_class=cfg.price_class,
            hsts_max_age_seconds=cfg.hsts_max_age_seconds,
            headers_policy_name=self.context.name("security-headers"),
            web_acl_arn=Ref(add_parameter(t, "WebAclArn", "Edge web ACL (WAFv2, scope CLOUDFRONT)")),
            origin_headers={ORIGIN_VERIFY_HEADER: Ref(origin_verify)},
        )
        accept_finding(
            distribution.distribution,
            "CKV_AWS_310",
            "the API and its tables live in one region by design: there is no second origin to fail over to",
        )
        accept_finding(distribution.distribution, "CKV_AWS_374", "the payments API serves customers in every country")
        zone_id = add_parameter(t, "HostedZoneId", "Hosted zone of the domain", "AWS::Route53::HostedZone::Id")
        AliasRecords(t, "Alias", zone_id=Ref(zone_id), name=cfg.domain, distribution=distribution)

        MetricAlarm(
            t,
            "Distribution5xxRateAlarm",
            name=self.context.name("edge", "5xx-rate"),
            description=(
                f"More than {cfg.alarm_5xx_rate_percent}% of requests to {cfg.domain} were answered 5xx by CloudFront "
                "(the API failing behind it, or CloudFront unable to reach it): callers cannot pay."
            ),
            namespace="AWS/CloudFront",
            metric="5xxErrorRate",
            dimensions={"DistributionId": Ref(distribution.distribution), "Region": "Global"},
            statistic="Average",
            threshold=cfg.alarm_5xx_rate_percent,  # CloudFront reports the rate in percent
            topic_arn=alarm_topic_arn(self.context, "pages"),
        )
        add_output(t, "DistributionId", Ref(distribution.distribution), "CloudFront distribution id")
        add_output(t, "DistributionDomainName", distribution.domain_name, "CloudFront domain name")
        add_output(t, "ApiUrl", f"https://{cfg.domain}", "Public URL of the API")
