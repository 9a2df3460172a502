"""Typed configuration building blocks shared by every blueprint.

Every blueprint declares its inputs as a pydantic model derived from `StackConfig`:
unknown keys are rejected, every field carries a description, and the model is
immutable once validated so a blueprint can never change its own inputs.
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic.config import JsonDict
from pydantic.fields import FieldInfo

if TYPE_CHECKING:
    from blueprints.core.context import Context

# The only values CloudWatch Logs accepts for RetentionInDays.
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

_RFC1918 = tuple(ipaddress.IPv4Network(b) for b in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class StackConfig(BaseModel):
    """Base of every blueprint's configuration: strict, documented, frozen.

    A field declared with `per_environment(...)` may differ between environments; every
    other field is invariant: the same in every environment (a project that sets it
    differently in two environments is refused).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)

    @classmethod
    def per_environment_fields(cls) -> list[str]:
        return [name for name, field in cls.model_fields.items() if is_per_environment(field)]

    def check_context(self, context: Context) -> None:
        """Checks of the settings against the names the stack is deployed under, which the
        fields' validation cannot see (a `ConfigError` names the field); none by default.
        The project's loader runs them, and so does every blueprint made from the settings."""


_PER_ENVIRONMENT: JsonDict = {"per_environment": True}


def per_environment(default: Any = ..., **kwargs: Any) -> Any:
    """A `Field` whose value may differ between environments (capacities, retention, ...)."""
    return Field(default, json_schema_extra=_PER_ENVIRONMENT, **kwargs)


def is_per_environment(field: FieldInfo) -> bool:
    return field.json_schema_extra == _PER_ENVIRONMENT


def _check_retention(days: int) -> int:
    if days not in LOG_RETENTION_DAYS:
        allowed = ", ".join(str(d) for d in LOG_RETENTION_DAYS)
        raise ValueError(f"{days} is not a CloudWatch Logs retention period (one of {allowed})")
    return days


def _check_domain(name: str) -> str:
    """A lower-case DNS name of at least two labels (a-z, 0-9, '-'), at most 253 characters,
    no wildcard, a non-numeric top-level label."""
    if name != name.lower():
        raise ValueError(f"domain {name!r} must be lower case")
    if "*" in name:
        raise ValueError(f"domain {name!r} must not be a wildcard (one certificate per name)")
    labels = name.split(".")
    if len(name) > 253 or len(labels) < 2 or not all(_DOMAIN_LABEL.match(x) for x in labels):
        raise ValueError(f"{name!r} is not a valid DNS name (labels of a-z, 0-9 and '-')")
    if labels[-1].isdigit():
        raise ValueError(f"{name!r} is not a valid DNS name (top-level label is numeric)")
    return name


def _check_cidr(value: str) -> str:
    """An IPv4 network in CIDR notation, /16 to /24, inside a private (RFC 1918) range."""
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError as err:
        raise ValueError(f"{value!r} is not an IPv4 network in CIDR notation ({err})") from err
    if not 16 <= network.prefixlen <= 24:
        raise ValueError(f"{value!r}: a VPC CIDR block must be between /16 and /24")
    if not any(network.subnet_of(block) for block in _RFC1918):
        raise ValueError(f"{value!r} is not inside a private (RFC 1918) range")
    return value


# A building block's option (`log_retention_days` of VpcFunction, RestApi, Vpc, WebAcl): the
# same check, and the same message, as the environment-wide LogRetentionDays.
LogRetentionPeriod = Annotated[int, AfterValidator(_check_retention)]

# Environment-wide settings: each is decided once per environment (see environments.py)
# and filled into every stack config that declares a field of the same name and type.
LogRetentionDays = Annotated[
    int,
    AfterValidator(_check_retention),
    per_environment(description="Days CloudWatch Logs keeps the events of every log group (environment-wide setting)."),
]
DomainName = Annotated[
    str,
    AfterValidator(_check_domain),
    per_environment(description="The API's public domain name, no wildcard (environment-wide setting)."),
]
RetainData = Annotated[
    bool,
    per_environment(
        description=(
            "Retain stateful resources (tables, buckets, zone, log groups) when the stack deletes or "
            "replaces them (environment-wide setting): DeletionPolicy RetainExceptOnCreate (a create that "
            "rolls back removes them: no data can exist yet) and UpdateReplacePolicy Retain."
        )
    ),
]
DeletionProtection = Annotated[
    bool, per_environment(description="DynamoDB deletion protection on every table (environment-wide setting).")
]
CustomerManagedKeys = Annotated[
    bool,
    per_environment(
        description=(
            "Encrypt every data store (tables, secrets, log groups, function environments, the artifacts "
            "bucket) under the stack's own customer-managed KMS key instead of AWS-managed keys "
            "(environment-wide setting)."
        )
    ),
]
KeyDeletionWindowDays = Annotated[
    int,
    Field(ge=7, le=30),
    per_environment(
        description="Days a deleted customer-managed key can still be recovered, 7 to 30 (environment-wide setting)."
    ),
]
VpcCidr = Annotated[str, AfterValidator(_check_cidr)]


def _check_account(value: object) -> object:
    """12 digits, written in quotes (a YAML number would lose leading zeros)"""
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(f"write the account id in quotes ('{value:012d}'): YAML reads it as a number")
    if isinstance(value, str) and not re.fullmatch(r"\d{12}", value):
        raise ValueError(f"{value!r} is not an AWS account id (12 digits)")
    return value


_PRINCIPAL = re.compile(r"arn:aws(-cn|-us-gov)?:iam::\d{12}:(root|role/[\w+=,.@/-]{1,512})")


def _check_principal(value: str) -> str:
    """the ARN of an IAM role (`arn:aws:iam::<account>:role/<name>`) or of an account's root
    (`arn:aws:iam::<account>:root`)"""
    if not _PRINCIPAL.fullmatch(value):
        raise ValueError(
            f"{value!r} is not the ARN of an IAM role (arn:aws:iam::<account>:role/<name>) or of an account "
            "(arn:aws:iam::<account>:root)"
        )
    return value


# An AWS account id: 12 digits, as a string (a YAML number would lose leading zeros).
AccountId = Annotated[str, BeforeValidator(_check_account)]
# An IAM principal a role may trust: a role, or an account's root (every principal the account allows).
PrincipalArn = Annotated[str, AfterValidator(_check_principal)]


class Subscription(BaseModel):
    """Who an alarm topic tells, and how."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    protocol: Literal["email", "https", "sms"] = Field(description="How the topic delivers: email, https or sms.")
    endpoint: str = Field(min_length=3, description="The address: an email address, an https URL or a phone number.")

    @model_validator(mode="after")
    def _endpoint_fits_protocol(self) -> Subscription:
        if self.protocol == "email" and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", self.endpoint):
            raise ValueError(f"{self.endpoint!r} is not an email address")
        if self.protocol == "https" and not self.endpoint.startswith("https://"):
            raise ValueError(f"{self.endpoint!r} is not an https:// URL")
        if self.protocol == "sms" and not re.fullmatch(r"\+\d{7,15}", self.endpoint):
            raise ValueError(f"{self.endpoint!r} is not a phone number in E.164 form (+<digits>)")
        return self


AlarmSubscriptions = Annotated[
    tuple[Subscription, ...],
    per_environment(description="Who hears of every alarm: email, https or sms endpoints (environment-wide setting)."),
]
PageSubscriptions = Annotated[
    tuple[Subscription, ...],
    per_environment(
        description=(
            "Who is paged when payments are unhealthy (the composite alarm) or the edge fails: e.g. the "
            "on-call service's https endpoint (environment-wide setting)."
        )
    ),
]


class EncryptionSettings(StackConfig):
    """The environment-wide key settings, for stacks that keep data under their own key."""

    customer_managed_keys: CustomerManagedKeys = False
    key_deletion_window_days: KeyDeletionWindowDays = 30


PositiveInt = Annotated[int, Field(gt=0)]


# --- options a building block shares with a stack's settings --------------------------------
# Here rather than in their blocks, so that a stack's settings validate without importing the
# blocks (and troposphere): the table's auto scaling (the data stack's capacity), CodeDeploy's
# configurations (the functions stack's deployment), WAF's rate limits (the edge stack's).


class AutoScaling(BaseModel):
    """Provisioned capacity that follows load: target tracking on the consumed share of it,
    between a minimum and a maximum, for the table and each index, reads and writes apart."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_read_capacity: int = Field(gt=0, description="Fewest read capacity units (also the starting value).")
    max_read_capacity: int = Field(gt=0, description="Most read capacity units.")
    min_write_capacity: int = Field(gt=0, description="Fewest write capacity units (also the starting value).")
    max_write_capacity: int = Field(gt=0, description="Most write capacity units.")
    target_utilization_percent: int = Field(
        default=70, ge=20, le=90, description="Consumed share of the provisioned capacity to aim for (default 70)."
    )

    @model_validator(mode="after")
    def _minimum_below_maximum(self) -> AutoScaling:
        for kind in ("read", "write"):
            low, high = getattr(self, f"min_{kind}_capacity"), getattr(self, f"max_{kind}_capacity")
            if low > high:
                raise ValueError(f"min_{kind}_capacity ({low}) exceeds max_{kind}_capacity ({high})")
        return self


# CodeDeploy's predefined Lambda deployment configurations (`CodeDeployDefault.Lambda<name>`):
# https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html
DeploymentConfig = Literal[
    "AllAtOnce",
    "Canary10Percent5Minutes",
    "Canary10Percent10Minutes",
    "Canary10Percent15Minutes",
    "Canary10Percent30Minutes",
    "Linear10PercentEvery1Minute",
    "Linear10PercentEvery2Minutes",
    "Linear10PercentEvery3Minutes",
    "Linear10PercentEvery10Minutes",
]

# The rate-based rule's bounds:
# https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-high-level-settings.html
# (lowest limit 10; the API reference caps Limit at 2,000,000,000).
RATE_LIMIT_MIN = 10
RATE_LIMIT_MAX = 2_000_000_000
