"""The data stack's blueprint."""

from __future__ import annotations

from typing import Any

from troposphere import Template

from blueprints.blocks.alarms import MathAlarm, MetricQuery, alarm_topic_arn
from blueprints.blocks.key import stack_key
from blueprints.blocks.table import Attribute, GlobalIndex, Table
from blueprints.core import Blueprint
from blueprints.stacks.data.settings import CUSTOMER_INDEX, DataConfig, Provisioned, table_alarm_name, table_name


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
