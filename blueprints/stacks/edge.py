"""Edge: what sits in front of the API at CloudFront, in us-east-1 (CloudFront reads web
ACLs of scope CLOUDFRONT from there only): the edge web ACL with its logs, and the origin
secret CloudFront sends to the API stage so the stage can refuse every other caller.

The secret is `{"current": ..., "previous": ...}` under the fixed name
`<project>-<env>-origin-verify`. CloudFormation generates `current` once; afterwards only
`python -m scripts.rotate_origin_secret --env <env>` changes it (see docs/deploying.md, "Rotating the
origin secret"). The api and cdn stacks receive its values as NoEcho parameters from the
`!origin_verify` resolver at launch, not through CloudFormation dynamic references
(`{{resolve:secretsmanager:...}}`): CloudFormation resolves those only when the resource
that holds them is updated for another reason, so a rotated value would never reach WAF or
CloudFront without a template change
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-secretsmanager.html),
and the local emulator (moto) does not resolve them at all.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from troposphere import GetAtt, Ref, Template, secretsmanager

from blueprints.blocks.alarms import AlarmTopics, MetricAlarm, alarm_topic_arn
from blueprints.blocks.key import EncryptionKey, log_group_arn, stack_key
from blueprints.blocks.web_acl import EdgeWebAcl
from blueprints.core import (
    AlarmSubscriptions,
    Blueprint,
    EncryptionSettings,
    LogRetentionDays,
    PageSubscriptions,
    RetainData,
    accept_finding,
    add_output,
    per_environment,
    require_region,
    set_removal_policy,
)
from blueprints.core.config import RATE_LIMIT_MAX, RATE_LIMIT_MIN
from blueprints.core.policies import ENCRYPTED_WITH_AWS_MANAGED_KEY

EDGE_REGION = "us-east-1"
ORIGIN_SECRET_KEYS = ("current", "previous")


def origin_secret_name(project: str, environment: str) -> str:
    """The origin secret's fixed name (the resolver and the rotation command find it by it)."""
    return f"{project}-{environment}-origin-verify"


class EdgeConfig(EncryptionSettings):
    """Inputs of the edge stack."""

    waf_mode: Literal["block", "count"] = per_environment(
        "block",
        description=(
            "What the edge web ACL does with a request its rules match: block (default, every environment) "
            "refuses it; count evaluates and logs it but refuses nothing (how an operator turns the rules off "
            "without losing their logs)."
        ),
    )
    rate_limit: int = per_environment(
        1000,
        ge=RATE_LIMIT_MIN,
        le=RATE_LIMIT_MAX,
        description=(
            f"Requests one client IP may make per rate window before WAF answers 429 (default 1000; "
            f"{RATE_LIMIT_MIN} to {RATE_LIMIT_MAX})."
        ),
    )
    rate_window_seconds: Literal[60, 120, 300, 600] = Field(
        300, description="The window the rate limit counts over, seconds: 60, 120, 300 (default) or 600."
    )
    alarm_blocked_requests: int = per_environment(
        1000,
        ge=1,
        description=(
            "Requests the edge web ACL refuses in 5 minutes that alarm (default 1000): an attack, or a rule "
            "refusing real callers."
        ),
    )
    alarm_subscriptions: AlarmSubscriptions = ()
    page_subscriptions: PageSubscriptions = ()
    log_retention_days: LogRetentionDays
    retain_data: RetainData


class EdgeBlueprint(Blueprint[EdgeConfig]):
    name = "edge"
    description = "Edge web ACL for CloudFront with its logs and alarm, the origin secret, and us-east-1's alarm topics"
    config_model = EdgeConfig

    def define(self, t: Template) -> None:
        cfg = self.config
        require_region(t, "EdgeRegion", EDGE_REGION, "CloudFront web ACLs (scope CLOUDFRONT) exist in us-east-1 only")
        log_group_name = "aws-waf-logs-" + self.context.name()
        key = stack_key(
            t,
            "EdgeKey",
            settings=cfg,
            context=self.context,
            stack=self.name,
            holds="web ACL logs and origin secret",
            # The origin secret is read through Secrets Manager (the deployer's resolver).
            via_services=("secretsmanager",),
            log_groups=(log_group_arn(log_group_name),),
        )
        acl = EdgeWebAcl(
            t,
            "WebAcl",
            name=self.context.name("edge"),
            mode=cfg.waf_mode,
            rate_limit=cfg.rate_limit,
            rate_window_seconds=cfg.rate_window_seconds,
            log_group_name=log_group_name,
            log_retention_days=cfg.log_retention_days,
            retain_logs=cfg.retain_data,
            kms_key=key.arn if key else None,
        )
        secret = t.add_resource(self._origin_secret(key))
        # The alarm topics of us-east-1, where CloudFront's and the edge web ACL's metrics are.
        AlarmTopics(
            t,
            "AlarmTopics",
            context=self.context,
            alarm_subscriptions=cfg.alarm_subscriptions,
            page_subscriptions=cfg.page_subscriptions,
            key_deletion_window_days=cfg.key_deletion_window_days,
        )
        MetricAlarm(
            t,
            "BlockedRequestsAlarm",
            name=self.context.name("edge", "blocked-requests"),
            description=(
                f"The edge web ACL refused more than {cfg.alarm_blocked_requests} requests in 5 minutes: an attack "
                "(see the WAF logs), or a rule refusing real callers."
            ),
            namespace="AWS/WAFV2",
            metric="BlockedRequests",
            dimensions={"WebACL": self.context.name("edge"), "Rule": "ALL"},  # CloudFront ACLs have no Region
            statistic="Sum",
            period_seconds=300,
            evaluation_periods=1,
            datapoints_to_alarm=1,
            threshold=cfg.alarm_blocked_requests,
            topic_arn=alarm_topic_arn(self.context),
        )
        add_output(t, "WebAclArn", acl.arn, "Edge web ACL (CloudFront's WebACLId)")
        add_output(t, "WebAclId", GetAtt(acl.acl, "Id"), "Edge web ACL id")
        add_output(t, "WafLogGroupName", Ref(acl.log_group), "Log group of the edge web ACL")
        add_output(t, "OriginVerifySecretArn", Ref(secret), "Secret holding the origin-verify header values")

    def _origin_secret(self, key: EncryptionKey | None) -> secretsmanager.Secret:
        secret = secretsmanager.Secret(
            "OriginVerifySecret",
            Name=origin_secret_name(self.context.project, self.context.environment),
            Description=(
                "Value CloudFront sends in X-Origin-Verify (current) and the one before it (previous); "
                "change it only with scripts.rotate_origin_secret"
            ),
            GenerateSecretString=secretsmanager.GenerateSecretString(
                SecretStringTemplate="{}", GenerateStringKey="current", PasswordLength=64, ExcludePunctuation=True
            ),
        )
        # Losing it costs nothing: a new stack generates a new one, and the next api and cdn
        # launches carry it.
        set_removal_policy(secret, retain=False)
        if key is not None:
            secret.KmsKeyId = key.arn
        else:
            accept_finding(
                secret,
                "CKV_AWS_149",
                ENCRYPTED_WITH_AWS_MANAGED_KEY,
            )
        accept_finding(
            secret,
            "CKV2_AWS_57",
            "Secrets Manager's scheduled rotation would change the value without updating the stage's web ACL and "
            "CloudFront, refusing all traffic; scripts.rotate_origin_secret rotates it and updates both in order",
        )
        return secret
