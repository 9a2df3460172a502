"""Data: three tables, `transactions` (with its CustomerIndex GSI), `sessions` (TTL
`expiresAt`) and `idempotency` (one record per Idempotency-Key, TTL `expiresAt`), each with
its capacity (on demand, or provisioned with auto scaling) and its alarms (throttled
requests, DynamoDB system errors) telling the environment's alarm topic.

Every table is stateful: its logical ID is frozen, its physical name is fixed (so
CloudFormation refuses a replacement instead of performing one), and it carries
DeletionPolicy/UpdateReplacePolicy and deletion protection from the environment's settings.
Where the environment asks for customer-managed keys, the tables are encrypted under the
stack's own key `DataKey` (alias `alias/<project>-<env>-data`), retained like the tables.

Its `settings` module holds the config model and what other code reads of the stack without
building it; its `template` module the blueprint. Each name below is imported on first use
(see `blueprints.stacks`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from blueprints.core.lazy import lazy_exports

if TYPE_CHECKING:
    from blueprints.stacks.data.settings import (
        CUSTOMER_INDEX,
        TABLES,
        DataConfig,
        OnDemand,
        Provisioned,
        table_alarm_name,
        table_alarm_names,
        table_name,
    )
    from blueprints.stacks.data.template import OPERATIONS, DataBlueprint

_EXPORTS = {
    "CUSTOMER_INDEX": "blueprints.stacks.data.settings",
    "TABLES": "blueprints.stacks.data.settings",
    "DataConfig": "blueprints.stacks.data.settings",
    "OnDemand": "blueprints.stacks.data.settings",
    "Provisioned": "blueprints.stacks.data.settings",
    "table_alarm_name": "blueprints.stacks.data.settings",
    "table_alarm_names": "blueprints.stacks.data.settings",
    "table_name": "blueprints.stacks.data.settings",
    "OPERATIONS": "blueprints.stacks.data.template",
    "DataBlueprint": "blueprints.stacks.data.template",
}

__all__ = [
    "CUSTOMER_INDEX",
    "OPERATIONS",
    "TABLES",
    "DataBlueprint",
    "DataConfig",
    "OnDemand",
    "Provisioned",
    "table_alarm_name",
    "table_alarm_names",
    "table_name",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
