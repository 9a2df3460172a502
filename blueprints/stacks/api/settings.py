"""The api stack's settings, and its alarms' names (the monitoring stack combines them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from blueprints.core.config import EncryptionSettings, LogRetentionDays, PositiveInt, RetainData, per_environment

if TYPE_CHECKING:
    from blueprints.core.context import Context


class ApiConfig(EncryptionSettings):
    """Inputs of the api stack."""

    throttling_rate_limit: float = per_environment(
        gt=0, description="Steady-state requests per second across the stage."
    )
    throttling_burst_limit: PositiveInt = per_environment(description="Burst capacity (requests) across the stage.")
    log_retention_days: LogRetentionDays
    retain_data: RetainData
    stage_name: str = Field(
        "v1", pattern="^[a-z][a-z0-9]{0,15}$", description="Stage name, also the CloudFront origin path (default v1)."
    )
    alarm_5xx_rate_percent: float = per_environment(
        1.0, gt=0, le=100, description="Share of requests answered 5XX, over a minute, that alarms (default 1)."
    )
    alarm_p99_latency_ms: int = per_environment(
        3000,
        ge=100,
        le=29000,
        description="99th percentile of the stage's latency, over a minute, that alarms (default 3000).",
    )


def api_alarm_name(context: Context, signal: str) -> str:
    return context.name("api", signal)


def api_alarm_names(context: Context) -> list[str]:
    """The names of the API's alarms (for the composite alarm)."""
    return [api_alarm_name(context, signal) for signal in ("5xx-rate", "p99-latency")]
