"""The functions stack's settings, and the facts of its functions that other code reads
(their runtime and architecture, which the packaging builds for; the alias every caller
invokes)."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from blueprints.core.config import (
    DeploymentConfig,
    EncryptionSettings,
    LogRetentionDays,
    PositiveInt,
    RetainData,
    per_environment,
)

RUNTIME = "python3.12"
ARCHITECTURE = "arm64"
HANDLER = "handler.handler"
ROTATOR_MEMORY_MB = 128
ROTATOR_TIMEOUT_SECONDS = 30
ROTATOR_RESERVED_CONCURRENCY = 1  # Secrets Manager runs one step at a time for the one secret it rotates
LIVE_ALIAS = "live"  # what every caller of a function invokes
# The parameter carrying a digest of the values the functions' versions are made of, which the
# stack file computes from the same outputs it passes as parameters (`!digest`).
VERSIONED_INPUTS = "VersionedInputsDigest"


# Currencies the handler knows the minor units of (lambda_code/payment_processor).
Currency = Literal["EUR", "USD", "GBP", "CHF", "SEK", "NOK", "DKK", "PLN", "JPY"]


class FunctionsConfig(EncryptionSettings):
    """Inputs of the functions stack (applied to every function)."""

    memory_mb: int = per_environment(
        ge=128, le=10240, description="Memory of each function in MB (CPU scales with it)."
    )
    timeout_seconds: int = per_environment(
        ge=1, le=29, description="Timeout of each function; at most 29 s, API Gateway's integration limit."
    )
    reserved_concurrency: PositiveInt = per_environment(description="Reserved concurrent executions of each function.")
    deployment: DeploymentConfig = per_environment(
        "AllAtOnce",
        description=(
            "How a new version takes the traffic of a function's live alias: one of CodeDeploy's predefined "
            "Lambda configurations, e.g. AllAtOnce, Canary10Percent5Minutes, Linear10PercentEvery1Minute (default "
            "AllAtOnce: the alias moves at once, no CodeDeploy). Any other shifts traffic gradually through a "
            "deployment group per function, rolled back automatically when the deployment fails or one of the "
            "function's alarms fires."
        ),
    )
    provisioned_concurrency: int = per_environment(
        0,
        ge=0,
        description=(
            "Execution environments kept initialised on the payment processor's live alias (default 0: none); at "
            "most reserved_concurrency. They are paid for around the clock."
        ),
    )
    alarm_errors: PositiveInt = per_environment(
        1,
        description=(
            "Failed invocations of a function in a minute (unhandled errors, timeouts) that alarm when it "
            "happens in 3 of 5 minutes (default 1)."
        ),
    )
    alarm_throttles: PositiveInt = per_environment(
        1, description="Throttled invocations of a function in a minute that alarm, in 3 of 5 minutes (default 1)."
    )
    alarm_duration_percent: int = per_environment(
        80,
        ge=1,
        le=100,
        description=(
            "p99 duration of a function, as a percentage of its timeout, that alarms in 3 of 5 minutes "
            "(default 80: close to timing out)."
        ),
    )
    alarm_concurrency_percent: int = per_environment(
        80,
        ge=1,
        le=100,
        description=(
            "Concurrent executions of a function, as a percentage of its reserved concurrency, that alarm in "
            "3 of 5 minutes (default 80: close to being throttled)."
        ),
    )
    log_retention_days: LogRetentionDays
    retain_data: RetainData
    log_level: str = Field(
        "INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$", description="Handler log level (default INFO)."
    )
    session_ttl_seconds: int = Field(
        3600, ge=60, le=86400, description="Lifetime of a session before it expires (default 3600)."
    )
    max_payment_amount: Decimal = Field(
        Decimal("10000.00"),
        gt=0,
        max_digits=14,
        decimal_places=2,
        description="Largest accepted payment amount (default 10000.00).",
    )
    allowed_currencies: tuple[Currency, ...] = Field(
        ("EUR", "USD", "GBP"), min_length=1, description="ISO 4217 codes payments may use (default EUR, USD, GBP)."
    )
    idempotency_ttl_seconds: int = Field(
        86400, ge=3600, le=7 * 86400, description="How long an Idempotency-Key is remembered (default 86400)."
    )
    cursor_key_rotation_days: int = Field(
        30,
        ge=1,
        le=1000,
        description=(
            "Days between rotations of the cursor signing key (default 30); cursors signed with the "
            "previous key stay valid until the next rotation."
        ),
    )

    @field_validator("provisioned_concurrency")
    @classmethod
    def _provisioned_within_reserved(cls, provisioned: int, info: ValidationInfo) -> int:
        """provisioned_concurrency is at most reserved_concurrency."""
        reserved = info.data.get("reserved_concurrency")
        if reserved is not None and provisioned > reserved:
            raise ValueError(
                f"{provisioned} exceeds reserved_concurrency ({reserved}): Lambda never runs more environments of "
                "a function than its reservation; lower provisioned_concurrency or raise reserved_concurrency"
            )
        return provisioned

    def environment_value(self, setting: str) -> str:
        """A setting as an environment variable's text (sequences comma-separated)."""
        value = getattr(self, setting)
        return ",".join(value) if isinstance(value, tuple) else str(value)
