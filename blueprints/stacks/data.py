"""Data: three tables, `transactions` (with its CustomerIndex GSI), `sessions` (TTL
`expiresAt`) and `idempotency` (one record per Idempotency-Key, TTL `expiresAt`), each with
its capacity (on demand, or provisioned with auto scaling) and its alarms (throttled
requests, DynamoDB system errors) telling the environment's alarm topic.

Every table is stateful: its logical ID is frozen, its physical name is fixed (so
CloudFormation refuses a replacement instead of performing one), and it carries
DeletionPolicy/UpdateReplacePolicy and deletion protection from the environment's settings.
Where the environment asks for customer-managed keys, the tables are encrypted under the
stack's own key `DataKey` (alias `alias/<project>-<env>-data`), retained like the tables.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from troposphere import Template

from blueprints.blocks import Attribute, GlobalIndex, Table
from blueprints.blocks.alarms import MathAlarm, MetricQuery, alarm_topic_arn
from blueprints.blocks.key import stack_key
from blueprints.core import (
    Blueprint,
    Context,
    DeletionProtection,
    EncryptionSettings,
    PositiveInt,
    RetainData,
    per_environment,
)
from blueprints.core.config import AutoScaling

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


class DataBlueprint(Blueprint[DataConfig]):
    name = "data"
    description = "DynamoDB tables for transactions, sessions and idempotency records"
    config_model = DataConfig

    def define(self, t: Template) -> None:
        self.key = stack_key(
            t,
            "DataKey",
            settings=self.config,
            context=self.context,
            stack=self.name,
            holds="tables",
            via_services=("dynamodb",),
        )
        timestamp = Attribute(name="timestamp", type="N")
        self._table(
            t,
            "Transactions",
            partition_key=Attribute(name="transactionId"),
            sort_key=timestamp,
            indexes=(GlobalIndex(name=CUSTOMER_INDEX, partition_key=Attribute(name="customerId"), sort_key=timestamp),),
        )
        self._table(t, "Sessions", partition_key=Attribute(name="sessionId"), ttl_attribute="expiresAt")
        # One record per (caller, Idempotency-Key), written in the same transaction as its payment.
        self._table(t, "Idempotency", partition_key=Attribute(name="idempotencyKey"), ttl_attribute="expiresAt")

    def _table(self, t: Template, name: str, **keys: Any) -> Table:
        """A protected table `<name>Table` with its `<name>TableName`/`<name>TableArn` outputs
        and its alarms."""
        cfg = self.config
        table = Table(
            t,
            f"{name}Table",
            name=table_name(self.context, name),
            billing="PROVISIONED" if isinstance(cfg.capacity, Provisioned) else "PAY_PER_REQUEST",
            autoscaling=cfg.capacity if isinstance(cfg.capacity, Provisioned) else None,
            point_in_time_recovery=cfg.point_in_time_recovery,
            deletion_protection=cfg.deletion_protection,
            retain=cfg.retain_data,
            kms_key=self.key.arn if self.key else None,
            **keys,
        )
        self._alarms(t, name, table)
        return table

    def _alarms(self, t: Template, name: str, table: Table) -> None:
        """Throttled requests (the table's and its indexes') and DynamoDB's own errors."""
        table_name_ = table_name(self.context, name)
        dimensions: list[dict[str, object]] = [{"TableName": table_name_}]
        dimensions += [{"TableName": table_name_, "GlobalSecondaryIndexName": i.name} for i in table.options.indexes]
        throttles = {
            f"m{n}": MetricQuery(namespace="AWS/DynamoDB", metric=metric, dimensions=dims)
            for n, (metric, dims) in enumerate(
                ((m, d) for d in dimensions for m in ("ReadThrottleEvents", "WriteThrottleEvents")), start=1
            )
        }
        MathAlarm(
            t,
            f"{name}TableThrottlesAlarm",
            name=table_alarm_name(self.context, name, "throttles"),
            description=(
                f"The {name.lower()} table (or an index) throttled reads or writes: callers see errors. With "
                "provisioned capacity, auto scaling has not caught up or reached its maximum."
            ),
            queries=throttles,
            expression="SUM(METRICS())",
            threshold=self.config.alarm_throttle_events,
            topic_arn=alarm_topic_arn(self.context),
        )
        MathAlarm(
            t,
            f"{name}TableSystemErrorsAlarm",
            name=table_alarm_name(self.context, name, "system-errors"),
            description=f"DynamoDB answered requests on the {name.lower()} table with internal errors (HTTP 500).",
            queries={
                f"m{n}": MetricQuery(
                    namespace="AWS/DynamoDB",
                    metric="SystemErrors",
                    dimensions={"TableName": table_name_, "Operation": op},
                )
                for n, op in enumerate(OPERATIONS, start=1)
            },
            expression="SUM(METRICS())",
            threshold=self.config.alarm_system_errors,
            topic_arn=alarm_topic_arn(self.context),
        )


# The data-plane operations the handlers call (SystemErrors exists only per operation).
OPERATIONS = ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "TransactWriteItems", "TransactGetItems")
TABLES = ("Transactions", "Sessions", "Idempotency")


def table_name(context: Context, table: str) -> str:
    return context.name(table.lower())


def table_alarm_name(context: Context, table: str, signal: str) -> str:
    return context.name(table.lower(), signal)


def table_alarm_names(context: Context) -> list[str]:
    """The names of every table alarm of the environment (for the composite alarm)."""
    return [table_alarm_name(context, t, s) for t in TABLES for s in ("throttles", "system-errors")]
