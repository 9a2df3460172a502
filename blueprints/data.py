"""Data: three tables, `transactions` (with its CustomerIndex GSI), `sessions` (TTL
`expiresAt`) and `idempotency` (one record per Idempotency-Key, TTL `expiresAt`).

Every table is stateful: its logical ID is frozen, its physical name is fixed (so
CloudFormation refuses a replacement instead of performing one), and it carries
DeletionPolicy/UpdateReplacePolicy and deletion protection from the environment's settings.
Where the environment asks for customer-managed keys, the tables are encrypted under the
stack's own key `DataKey` (alias `alias/<project>-<env>-data`), retained like the tables.
"""

from __future__ import annotations

from typing import Any

from troposphere import Template

from blueprints.blocks import Attribute, GlobalIndex, Table
from blueprints.blocks.key import stack_key
from blueprints.core import (
    Blueprint,
    DeletionProtection,
    EncryptionSettings,
    PositiveInt,
    RetainData,
    per_environment,
)

CUSTOMER_INDEX = "CustomerIndex"


class DataConfig(EncryptionSettings):
    """Inputs of the data stack."""

    read_capacity: PositiveInt = per_environment(description="Provisioned read capacity units of each table and index.")
    write_capacity: PositiveInt = per_environment(
        description="Provisioned write capacity units of each table and index."
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
        """A protected table `<name>Table` with its `<name>TableName`/`<name>TableArn` outputs."""
        cfg = self.config
        return Table(
            t,
            f"{name}Table",
            name=self.context.name(name.lower()),
            read_capacity=cfg.read_capacity,
            write_capacity=cfg.write_capacity,
            point_in_time_recovery=cfg.point_in_time_recovery,
            deletion_protection=cfg.deletion_protection,
            retain=cfg.retain_data,
            kms_key=self.key.arn if self.key else None,
            **keys,
        )
