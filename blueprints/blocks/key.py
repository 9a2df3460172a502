"""A customer-managed KMS key, least privilege by default, and grants on it for other stacks.

The key policy (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html):

- `KeyAdministration`: the account may manage the key (policy, rotation, tags, aliases,
  deletion) but not use it. Without a statement naming the account, no IAM policy (not even
  CloudFormation's) could manage or delete the key: it would become unmanageable and only AWS
  Support could recover it. The default policy's `kms:*` is narrowed to the management actions.
- `UseThroughServices`: principals of this account whose own IAM policies allow it may encrypt
  and decrypt only through the named services (kms:ViaService), e.g. a function role reading a
  table; nobody may call KMS with the key directly.
- `GrantsForServices`: the same services may create grants for their own resources
  (kms:GrantIsForAWSResource), as DynamoDB, Lambda and Secrets Manager do.
- `CloudWatchLogs`: the CloudWatch Logs service may use the key for the named log groups only
  (the kms:EncryptionContext:aws:logs:arn condition,
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
- `LogDelivery`: AWS log delivery may generate data keys (and, with the buckets' S3 Bucket
  Key, decrypt) for the objects it writes: CloudFront standard logs into an SSE-KMS bucket.
  AWS's documented statement, which names no condition: legacy log delivery is not
  documented to send aws:SourceAccount, and a condition it does not send drops every log.
- `ServicesPublish`: named AWS services (CloudWatch alarms) may generate data keys and decrypt,
  to publish to an SNS topic under the key: the statement SNS documents for CloudWatch, with no
  condition by default (the topic policy confines publishing to this account's alarms, with the
  conditions CloudWatch documents for it); `publishers_of_this_account` adds aws:SourceAccount
  and aws:SourceArn, the form SNS documents generally but CloudWatch does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from awacs import kms as awskms
from awacs.aws import (
    Action,
    ArnLike,
    Bool,
    Condition,
    ConditionElement,
    ForAnyValueStringEquals,
    Principal,
    Statement,
    StringEquals,
)
from pydantic import Field, field_validator
from troposphere import AccountId, GetAtt, Ref, Sub, Template, kms

from blueprints.blocks.base import Block, Options
from blueprints.core import Context, add_output, set_removal_policy
from blueprints.core.iam import allow, document
from blueprints.core.lazy import renamed

# Management without use: what the account root keeps (see the module docstring). Only actions
# IAM authorizes on a key: kms:ListAliases, ListKeys and CreateKey take no key and mean nothing
# in a key policy.
ADMINISTRATION: tuple[Action, ...] = (
    awskms.CancelKeyDeletion,
    awskms.CreateAlias,
    awskms.DeleteAlias,
    awskms.DescribeKey,
    awskms.DisableKey,
    awskms.DisableKeyRotation,
    awskms.EnableKey,
    awskms.EnableKeyRotation,
    awskms.GetKeyPolicy,
    awskms.GetKeyRotationStatus,
    awskms.ListGrants,
    awskms.ListKeyPolicies,
    awskms.ListResourceTags,
    awskms.PutKeyPolicy,
    awskms.RevokeGrant,
    awskms.RotateKeyOnDemand,
    awskms.ScheduleKeyDeletion,
    awskms.TagResource,
    awskms.UntagResource,
    awskms.UpdateAlias,
    awskms.UpdateKeyDescription,
)
ENCRYPT_DECRYPT: tuple[Action, ...] = (
    awskms.Decrypt,
    awskms.DescribeKey,
    awskms.Encrypt,
    awskms.GenerateDataKey,
    awskms.GenerateDataKeyWithoutPlaintext,
    awskms.ReEncryptFrom,
    awskms.ReEncryptTo,
)
DECRYPT: tuple[Action, ...] = (awskms.Decrypt, awskms.DescribeKey)


def _account_root() -> Principal:
    return Principal("AWS", [Sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")])


def via(service: str) -> Sub:
    """The kms:ViaService value of an AWS service in this stack's region."""
    return Sub(f"{service}.${{AWS::Region}}.amazonaws.com")


class EncryptionKeyOptions(Options):
    alias: str = Field(
        pattern=r"^alias/[a-zA-Z0-9/_-]{1,250}$",
        description=(
            "The key's alias (alias/<project>-<env>-<purpose>; not alias/aws/..., which AWS reserves); "
            "other stacks grant through it."
        ),
    )
    description: str = Field(max_length=8192, description="What the key protects.")
    deletion_window_days: int = Field(
        default=30, ge=7, le=30, description="Days between scheduling deletion and deletion (default 30)."
    )
    retain: bool = Field(
        default=True,
        description=(
            "Kept when deleted or replaced (default on: DeletionPolicy RetainExceptOnCreate, UpdateReplacePolicy "
            "Retain): losing the key loses everything encrypted with it, so keep it wherever the data is kept."
        ),
    )
    via_services: tuple[str, ...] = Field(
        default=(),
        description="Services (dynamodb, secretsmanager, lambda, s3) that may use it for this account's principals.",
    )
    log_groups: tuple[object, ...] = Field(
        default=(), description="ARNs (wildcards allowed) of the log groups CloudWatch Logs may encrypt with it."
    )
    log_delivery: bool = Field(
        default=False,
        description=(
            "Let AWS log delivery (delivery.logs.amazonaws.com: CloudFront standard logs) encrypt the objects "
            "it writes, by AWS's documented statement (default off)."
        ),
    )

    publishing_services: tuple[str, ...] = Field(
        default=(),
        description="Services (e.g. cloudwatch) that publish to an SNS topic under the key (default none).",
    )
    publishers_of_this_account: bool = Field(
        default=False,
        description=(
            "Add aws:SourceAccount and aws:SourceArn (this account's alarms) to the publishing services' "
            "statement (default off: CloudWatch is not documented to send them to KMS; if it does not, no alarm "
            "is delivered)."
        ),
    )

    @field_validator("alias")
    @classmethod
    def _not_reserved(cls, alias: str) -> str:
        if alias.startswith("alias/aws/"):
            raise ValueError(f"{alias!r}: aliases under alias/aws/ are reserved for AWS managed keys")
        return alias


class EncryptionKey(Block):
    """A symmetric KMS key with yearly rotation, a deletion window, its alias, a least-privilege
    key policy (see the module docstring), both removal policies, and `<id>Arn` output.
    `reference()` gives the grants roles in this or other stacks use."""

    Options = EncryptionKeyOptions
    options: EncryptionKeyOptions

    def build(self) -> None:
        o = self.options
        statements = [
            Statement(
                Sid="KeyAdministration",
                Effect="Allow",
                Principal=_account_root(),
                Action=list(ADMINISTRATION),
                Resource=["*"],  # in a key policy, "*" is this key
            )
        ]
        if o.via_services:
            services = [via(s) for s in o.via_services]
            statements += [
                Statement(
                    Sid="UseThroughServices",
                    Effect="Allow",
                    Principal=_account_root(),
                    Action=list(ENCRYPT_DECRYPT),
                    Resource=["*"],
                    Condition=Condition(StringEquals({"kms:ViaService": services, "kms:CallerAccount": AccountId})),
                ),
                Statement(
                    Sid="GrantsForServices",
                    Effect="Allow",
                    Principal=_account_root(),
                    Action=[awskms.CreateGrant],
                    Resource=["*"],
                    Condition=Condition(
                        [StringEquals("kms:ViaService", services), Bool("kms:GrantIsForAWSResource", True)]
                    ),
                ),
            ]
        if o.log_groups:
            # AWS's documented statement (encrypt-log-data-kms.html), for the named groups only.
            statements.append(
                Statement(
                    Sid="CloudWatchLogs",
                    Effect="Allow",
                    Principal=Principal("Service", [Sub("logs.${AWS::Region}.amazonaws.com")]),
                    Action=[
                        Action("kms", a) for a in ("Encrypt", "Decrypt", "ReEncrypt*", "GenerateDataKey*", "Describe*")
                    ],
                    Resource=["*"],
                    Condition=Condition(ArnLike("kms:EncryptionContext:aws:logs:arn", list(o.log_groups))),
                )
            )
        if o.log_delivery:
            # https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging-legacy-s3.html
            # (with an S3 Bucket Key, as SecureBucket sets: GenerateDataKey* and Decrypt).
            statements.append(
                Statement(
                    Sid="LogDelivery",
                    Effect="Allow",
                    Principal=Principal("Service", ["delivery.logs.amazonaws.com"]),
                    Action=[Action("kms", "GenerateDataKey*"), awskms.Decrypt],
                    Resource=["*"],
                )
            )
        if o.publishing_services:
            # https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
            publish = Statement(
                Sid="ServicesPublish",
                Effect="Allow",
                Principal=Principal("Service", [f"{s}.amazonaws.com" for s in o.publishing_services]),
                Action=[Action("kms", "GenerateDataKey*"), awskms.Decrypt],
                Resource=["*"],
            )
            if o.publishers_of_this_account:
                alarms = Sub("arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*")
                publish.Condition = Condition(
                    [StringEquals("aws:SourceAccount", AccountId), ArnLike("aws:SourceArn", alarms)]
                )
            statements.append(publish)
        key = kms.Key(
            self.logical_id,
            Description=o.description,
            Enabled=True,
            EnableKeyRotation=True,
            KeySpec="SYMMETRIC_DEFAULT",
            KeyUsage="ENCRYPT_DECRYPT",
            PendingWindowInDays=o.deletion_window_days,
            KeyPolicy=document(*statements),
        )
        set_removal_policy(key, retain=o.retain)
        self.key = self.template.add_resource(key)
        self.template.add_resource(kms.Alias(f"{self.logical_id}Alias", AliasName=o.alias, TargetKeyId=Ref(key)))
        add_output(self.template, f"{self.logical_id}Arn", self.arn, f"{o.description} (KMS key ARN)")

    @property
    def arn(self) -> GetAtt:
        return GetAtt(self.key, "Arn")

    def reference(self) -> KeyReference:
        return KeyReference(self.arn)


def stack_key_alias(context: Context, stack: str) -> str:
    """The alias of a stack's own key: other stacks grant on it through this name."""
    return f"alias/{context.name(stack)}"


class KeySettings(Protocol):
    """What `stack_key` reads of a stack's config: the environment's key settings
    (`blueprints.core.EncryptionSettings`) and whether it retains data."""

    @property
    def customer_managed_keys(self) -> bool: ...

    @property
    def key_deletion_window_days(self) -> int: ...

    @property
    def retain_data(self) -> bool: ...


def stack_key(
    template: Template,
    logical_id: str,
    *,
    settings: KeySettings,
    context: Context,
    stack: str,
    holds: str,
    **options: Any,
) -> EncryptionKey | None:
    """A stack's own key where the environment asks for customer-managed keys (`settings`),
    aliased `alias/<project>-<env>-<stack>`; None where it does not."""
    if not settings.customer_managed_keys:
        return None
    return EncryptionKey(
        template,
        logical_id,
        alias=stack_key_alias(context, stack),
        description=f"{context.name()} {holds}",
        deletion_window_days=settings.key_deletion_window_days,
        retain=settings.retain_data,
        **options,
    )


def log_group_arn(name: str) -> Sub:
    """The ARN CloudWatch Logs puts in its encryption context for the log group `name`
    (`name` may end in `*`)."""
    return Sub(f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{name}")


class KeyReference:
    """A key a role uses through a service: by ARN (in its own stack), or by alias (from any
    stack, with no parameter to pass: kms:ResourceAliases,
    https://docs.aws.amazon.com/kms/latest/developerguide/alias-authorization.html)."""

    def __init__(self, arn: object | None = None, *, alias: str | None = None) -> None:
        if (arn is None) == (alias is None):
            raise ValueError("a KeyReference needs exactly one of arn or alias")
        self.arn = arn
        self.alias = alias

    @classmethod
    def by_alias(cls, alias: str) -> KeyReference:
        return cls(alias=alias)

    def grant(self, actions: Sequence[Action], *, sid: str, via_service: str) -> Statement:
        """Allow `actions` on the key, only through `via_service` (e.g. "dynamodb")."""
        conditions: list[ConditionElement] = [StringEquals("kms:ViaService", via(via_service))]
        resource: object = self.arn
        if self.alias is not None:
            resource = Sub("arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*")
            conditions.append(ForAnyValueStringEquals("kms:ResourceAliases", self.alias))
        statement = allow(list(actions), [resource], sid=sid)
        statement.Condition = Condition(conditions)
        return statement

    def grant_decrypt(self, *, sid: str, via_service: str) -> Statement:
        return self.grant(DECRYPT, sid=sid, via_service=via_service)


__all__ = [
    "ADMINISTRATION",
    "DECRYPT",
    "ENCRYPT_DECRYPT",
    "EncryptionKey",
    "EncryptionKeyOptions",
    "KeyReference",
    "KeySettings",
    "log_group_arn",
    "stack_key",
    "stack_key_alias",
    "via",
]

if not TYPE_CHECKING:  # the options' names before they were <Block>Options, for one release
    __getattr__ = renamed(
        __name__,
        {
            "KeyOptions": "EncryptionKeyOptions",
        },
    )
