"""The monitoring stack's settings, and the name of the alarm that pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from blueprints.core.config import AlarmSubscriptions, KeyDeletionWindowDays, PageSubscriptions, StackConfig

if TYPE_CHECKING:
    from blueprints.core.context import Context


class MonitoringConfig(StackConfig):
    """Inputs of the monitoring stack."""

    alarm_subscriptions: AlarmSubscriptions = ()
    page_subscriptions: PageSubscriptions = ()
    key_deletion_window_days: KeyDeletionWindowDays = 30
    dashboard_period_seconds: int = Field(
        60, ge=60, multiple_of=60, description="Seconds per point on the dashboard's graphs (default 60)."
    )


def unhealthy_alarm_name(context: Context) -> str:
    return context.name("payments-unhealthy")
