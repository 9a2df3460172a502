"""The edge stack's settings, its region and the origin secret's name and keys."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from blueprints.core.config import (
    RATE_LIMIT_MAX,
    RATE_LIMIT_MIN,
    AlarmSubscriptions,
    EncryptionSettings,
    LogRetentionDays,
    PageSubscriptions,
    RetainData,
    per_environment,
)

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
