"""Monitoring: the environment's alarm topics in its region, the composite alarm that pages
("payments unhealthy": any alarm of the API, the functions or the tables), and a dashboard of
the golden signals (traffic, errors, latency, saturation) of each layer: edge, API,
functions, tables, and the payments themselves (the handlers' own metrics).

Every other alarm lives next to what it watches (api, functions, data, edge and cdn stacks)
and tells the `alarms` topic; only the composite here, and the edge's 5xx rate in us-east-1
(a composite cannot combine alarms of two regions), tell the `pages` topic. Alarms and
dashboard address resources by name (functions, tables, the API and its stage, the web ACL),
CloudFront's distribution by a search (one environment per account: the account has one).

Its `settings` module holds the config model and what other code reads of the stack without
building it; its `template` module the blueprint. Each name below is imported on first use
(see `blueprints.stacks`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from blueprints.core.lazy import lazy_exports

if TYPE_CHECKING:
    from blueprints.stacks.monitoring.settings import MonitoringConfig, unhealthy_alarm_name
    from blueprints.stacks.monitoring.template import MonitoringBlueprint, composite_members

_EXPORTS = {
    "MonitoringConfig": "blueprints.stacks.monitoring.settings",
    "unhealthy_alarm_name": "blueprints.stacks.monitoring.settings",
    "MonitoringBlueprint": "blueprints.stacks.monitoring.template",
    "composite_members": "blueprints.stacks.monitoring.template",
}

__all__ = ["MonitoringBlueprint", "MonitoringConfig", "composite_members", "unhealthy_alarm_name"]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
