"""The small core every blueprint is built from."""

from blueprints.core.blueprint import (
    Blueprint,
    BlueprintError,
    ConfigError,
    Context,
    add_output,
    add_parameter,
    require_region,
    tag_resources,
)
from blueprints.core.config import (
    LOG_RETENTION_DAYS,
    CustomerManagedKeys,
    DeletionProtection,
    DomainName,
    EncryptionSettings,
    KeyDeletionWindowDays,
    LogRetentionDays,
    PositiveInt,
    RetainData,
    StackConfig,
    VpcCidr,
    is_per_environment,
    per_environment,
)
from blueprints.core.logs import log_group
from blueprints.core.policies import accept_finding, set_removal_policy

__all__ = [
    "LOG_RETENTION_DAYS",
    "Blueprint",
    "BlueprintError",
    "ConfigError",
    "Context",
    "CustomerManagedKeys",
    "DeletionProtection",
    "DomainName",
    "EncryptionSettings",
    "KeyDeletionWindowDays",
    "LogRetentionDays",
    "PositiveInt",
    "RetainData",
    "StackConfig",
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
