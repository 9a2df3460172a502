"""The edge stack's blueprint."""

from __future__ import annotations

from troposphere import GetAtt, Ref, Template, secretsmanager

from blueprints.blocks.alarms import AlarmTopics, MetricAlarm, alarm_topic_arn
from blueprints.blocks.key import EncryptionKey, log_group_arn, stack_key
from blueprints.blocks.web_acl import EdgeWebAcl
from blueprints.core import Blueprint, accept_finding, add_output, require_region, set_removal_policy
from blueprints.core.policies import ENCRYPTED_WITH_AWS_MANAGED_KEY
from blueprints.stacks.edge.settings import EDGE_REGION, EdgeConfig, origin_secret_name


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
