"""The small core every blueprint is built from: the `Blueprint` base and its context, the
config types, IAM and logging helpers, the policies of stateful resources, and the facts more than
one layer needs: configuration errors (`errors`), what CloudFormation needs to manage each
resource type (`permissions`), the artifacts bucket's layout (`artifacts`).

The names below are imported on first use, so `blueprints.core.errors` (standard library only)
costs no troposphere or pydantic: the Sceptre plugins import it when Sceptre starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from blueprints.core.lazy import lazy_exports

if TYPE_CHECKING:
    from blueprints.core.blueprint import (
        Blueprint,
        BlueprintError,
        add_output,
        add_parameter,
        require_region,
        tag_resources,
    )
    from blueprints.core.config import (
        LOG_RETENTION_DAYS,
        AccountId,
        AlarmSubscriptions,
        CustomerManagedKeys,
        DeletionProtection,
        DomainName,
        EncryptionSettings,
        KeyDeletionWindowDays,
        LogRetentionDays,
        LogRetentionPeriod,
        PageSubscriptions,
        PositiveInt,
        PrincipalArn,
        RetainData,
        StackConfig,
        Subscription,
        VpcCidr,
        is_per_environment,
        per_environment,
    )
    from blueprints.core.context import Context
    from blueprints.core.errors import ANY_STACK, ConfigError, InvalidName
    from blueprints.core.logs import (
        log_group,
    )
    from blueprints.core.policies import (
        RETAIN_DELETION_POLICY,
        accept_finding,
        set_removal_policy,
    )

_EXPORTS = {
    "Blueprint": "blueprints.core.blueprint",
    "BlueprintError": "blueprints.core.blueprint",
    "Context": "blueprints.core.context",
    "add_output": "blueprints.core.blueprint",
    "add_parameter": "blueprints.core.blueprint",
    "require_region": "blueprints.core.blueprint",
    "tag_resources": "blueprints.core.blueprint",
    "AccountId": "blueprints.core.config",
    "AlarmSubscriptions": "blueprints.core.config",
    "CustomerManagedKeys": "blueprints.core.config",
    "DeletionProtection": "blueprints.core.config",
    "DomainName": "blueprints.core.config",
    "EncryptionSettings": "blueprints.core.config",
    "KeyDeletionWindowDays": "blueprints.core.config",
    "LOG_RETENTION_DAYS": "blueprints.core.config",
    "LogRetentionDays": "blueprints.core.config",
    "LogRetentionPeriod": "blueprints.core.config",
    "PageSubscriptions": "blueprints.core.config",
    "PositiveInt": "blueprints.core.config",
    "PrincipalArn": "blueprints.core.config",
    "RetainData": "blueprints.core.config",
    "StackConfig": "blueprints.core.config",
    "Subscription": "blueprints.core.config",
    "VpcCidr": "blueprints.core.config",
    "is_per_environment": "blueprints.core.config",
    "per_environment": "blueprints.core.config",
    "ANY_STACK": "blueprints.core.errors",
    "ConfigError": "blueprints.core.errors",
    "InvalidName": "blueprints.core.errors",
    "log_group": "blueprints.core.logs",
    "RETAIN_DELETION_POLICY": "blueprints.core.policies",
    "accept_finding": "blueprints.core.policies",
    "set_removal_policy": "blueprints.core.policies",
}

__all__ = [
    "ANY_STACK",
    "LOG_RETENTION_DAYS",
    "RETAIN_DELETION_POLICY",
    "AccountId",
    "AlarmSubscriptions",
    "Blueprint",
    "BlueprintError",
    "ConfigError",
    "Context",
    "CustomerManagedKeys",
    "DeletionProtection",
    "DomainName",
    "EncryptionSettings",
    "InvalidName",
    "KeyDeletionWindowDays",
    "LogRetentionDays",
    "LogRetentionPeriod",
    "PageSubscriptions",
    "PositiveInt",
    "PrincipalArn",
    "RetainData",
    "StackConfig",
    "Subscription",
    "VpcCidr",
    "accept_finding",
    "add_output",
    "add_parameter",
    "is_per_environment",
    "log_group",
    "per_environment",
    "require_region",
    "set_removal_policy",
    "tag_resources",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
