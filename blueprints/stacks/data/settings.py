"""The data stack's settings, and its tables' names and alarm names (the functions and
monitoring stacks name them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from blueprints.core.config import (
    AutoScaling,
    DeletionProtection,
    EncryptionSettings,
    PositiveInt,
    RetainData,
    per_environment,
)

if TYPE_CHECKING:
    from blueprints.core.context import Context

CUSTOMER_INDEX = "CustomerIndex"


class OnDemand(BaseModel):
    """Tables billed per request."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["on_demand"] = Field(description="on_demand")


class Provisioned(AutoScaling):
    """Tables with provisioned capacity that auto scaling keeps between its bounds."""

    mode: Literal["provisioned"] = Field(description="provisioned")


class DataConfig(EncryptionSettings):
    """Inputs of the data stack."""

    capacity: OnDemand | Provisioned = per_environment(
        discriminator="mode",
        description=(
            "How every table and index gets capacity: `{mode: on_demand}` (pay per request, nothing to plan, "
            "a sudden peak up to twice the previous one served at once) or `{mode: provisioned, "
            "min_read_capacity: .., max_read_capacity: .., min_write_capacity: .., max_write_capacity: .., "
            "target_utilization_percent: 70}` (auto scaling between the minimum and the maximum)."
        ),
    )
    alarm_throttle_events: PositiveInt = per_environment(
        1, description="Throttled reads and writes of a table (and its indexes) in a minute that alarm (default 1)."
    )
    alarm_system_errors: PositiveInt = per_environment(
        1, description="DynamoDB system errors (HTTP 500) on a table in a minute that alarm (default 1)."
    )
    point_in_time_recovery: bool = per_environment(description="Continuous backups (35-day point-in-time recovery).")
    deletion_protection: DeletionProtection
    retain_data: RetainData


TABLES = ("Transactions", "Sessions", "Idempotency")


def table_name(context: Context, table: str) -> str:
    return context.name(table.lower())


def table_alarm_name(context: Context, table: str, signal: str) -> str:
    return context.name(table.lower(), signal)


def table_alarm_names(context: Context) -> list[str]:
    """The names of every table alarm of the environment (for the composite alarm)."""
    return [table_alarm_name(context, t, s) for t in TABLES for s in ("throttles", "system-errors")]
