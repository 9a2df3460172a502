"""The settings of an environment: those shared by every stack that declares them, and the
environment's own (account, deployers, stacks, protection). Validated as pydantic models,
`extra="forbid"`, a description on every field (the settings reference is made from them)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from blueprints.core import (
    AccountId,
    AlarmSubscriptions,
    CustomerManagedKeys,
    DeletionProtection,
    DomainName,
    KeyDeletionWindowDays,
    LogRetentionDays,
    PageSubscriptions,
    PrincipalArn,
    RetainData,
)


class SharedSettings(BaseModel):
    """Environment-wide settings, each consumed by every stack that declares it (a stack that
    declares one the environment does not set is refused, naming the stack and field)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    domain: DomainName | None = Field(None, description="The API's public domain name, no wildcard.")
    log_retention_days: LogRetentionDays | None = Field(
        None, description="Days CloudWatch Logs keeps the events of every log group."
    )
    retain_data: RetainData | None = Field(
        None,
        description=(
            "Retain stateful resources (tables, buckets, zone, user pool, log groups) when a stack deletes or "
            "replaces them: DeletionPolicy RetainExceptOnCreate (a create that rolls back removes them: no "
            "data can exist yet) and UpdateReplacePolicy Retain."
        ),
    )
    deletion_protection: DeletionProtection | None = Field(
        None, description="Deletion protection on every table and the user pool."
    )
    customer_managed_keys: CustomerManagedKeys | None = Field(
        None,
        description=(
            "Every data store under its stack's own customer-managed KMS key (tables, secrets, log groups, "
            "function environments, the artifacts bucket); off: AWS-managed keys."
        ),
    )
    key_deletion_window_days: KeyDeletionWindowDays | None = Field(
        None, description="Days a deleted customer-managed key can still be recovered (7 to 30)."
    )
    alarm_subscriptions: AlarmSubscriptions | None = Field(
        None, description="Who hears of every alarm (the `alarms` topics): email, https or sms endpoints."
    )
    page_subscriptions: PageSubscriptions | None = Field(
        None,
        description=(
            "Who is paged (the `pages` topics: the composite payments-unhealthy alarm and the edge's 5xx rate), "
            "e.g. the on-call service's https endpoint."
        ),
    )


class EnvironmentSettings(SharedSettings):
    """One environment: its account, its shared settings and the settings of each of its stacks."""

    account_id: AccountId = Field(
        description=(
            "The AWS account the environment lives in, 12 digits in quotes; no two environments share one. "
            "Launches act through the account's deploy role and stop before any change when their "
            "credentials reach another account."
        )
    )
    deployers: tuple[PrincipalArn, ...] = Field(
        min_length=1,
        description=(
            "IAM principals the account's deploy role trusts (ARNs of roles, or `arn:aws:iam::<account>:root` "
            "for every principal of an account its own policies allow), e.g. the CI's role in a tooling account."
        ),
    )
    stacks: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Per-stack settings, keyed by stack name (the stack file's name)."
    )
    absent_stacks: tuple[str, ...] = Field(
        (),
        description=(
            "Stacks other environments have and this one deliberately does not (default none: every "
            "environment has every stack, and a missing stack file is refused)."
        ),
    )
    protect_stacks: bool = Field(
        description=(
            "Termination protection on every stack, and a stack policy denying replacement or deletion of "
            "each stateful resource, applied after each launch."
        )
    )
    allow_destructive_changes: tuple[str, ...] = Field(
        (),
        description=(
            "Stateful resources ('<stack>.<LogicalId>') an update may replace or delete in this environment "
            "(default none: every such change is refused)."
        ),
    )


# Settings that keep an environment's data: the environment's own, and the logs bucket's.
DATA_KEEPING_SETTINGS = ("retain_data", "deletion_protection", "protect_stacks")


STORAGE_DATA_KEEPING_SETTINGS = ("logs_version_protection", "logs_object_lock_days")
