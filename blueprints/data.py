"""Data: the transactions table (with its CustomerIndex GSI) and the sessions table (TTL).

Both tables are stateful: their logical IDs are frozen, their physical names are fixed
(so CloudFormation refuses a replacement instead of performing one), and they carry
DeletionPolicy/UpdateReplacePolicy and deletion protection from the environment's settings.
"""

from __future__ import annotations

from collections.abc import Sequence

from troposphere import GetAtt, Ref, Template
from troposphere import dynamodb as ddb

from blueprints.core import (
    Blueprint,
    DeletionProtection,
    PositiveInt,
    RetainData,
    StackConfig,
    accept_finding,
    add_output,
    per_environment,
    set_removal_policy,
)

CUSTOMER_INDEX = "CustomerIndex"


class DataConfig(StackConfig):
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
        by_customer = ddb.GlobalSecondaryIndex(
            IndexName=CUSTOMER_INDEX,
            KeySchema=[
                ddb.KeySchema(AttributeName="customerId", KeyType="HASH"),
                ddb.KeySchema(AttributeName="timestamp", KeyType="RANGE"),
            ],
            Projection=ddb.Projection(ProjectionType="ALL"),
            ProvisionedThroughput=self._throughput(),
        )
        self._table(
            t,
            "Transactions",
            keys=[("transactionId", "S", "HASH"), ("timestamp", "N", "RANGE")],
            extra_attributes=[("customerId", "S")],
            indexes=[by_customer],
        )
        self._table(t, "Sessions", keys=[("sessionId", "S", "HASH")], ttl_attribute="expiresAt")
        # One record per Idempotency-Key, written in the same transaction as its payment.
        self._table(t, "Idempotency", keys=[("idempotencyKey", "S", "HASH")], ttl_attribute="expiresAt")

    def _table(
        self,
        t: Template,
        name: str,
        *,
        keys: list[tuple[str, str, str]],
        extra_attributes: Sequence[tuple[str, str]] = (),
        indexes: Sequence[ddb.GlobalSecondaryIndex] = (),
        ttl_attribute: str | None = None,
    ) -> ddb.Table:
        """A protected table `<name>Table` with its `<name>TableName`/`<name>TableArn` outputs."""
        cfg = self.config
        table = ddb.Table(
            f"{name}Table",
            TableName=self.context.name(name.lower()),
            BillingMode="PROVISIONED",
            AttributeDefinitions=[
                ddb.AttributeDefinition(AttributeName=attribute, AttributeType=kind)
                for attribute, kind in [(a, k) for a, k, _ in keys] + list(extra_attributes)
            ],
            KeySchema=[ddb.KeySchema(AttributeName=attribute, KeyType=role) for attribute, _, role in keys],
            ProvisionedThroughput=self._throughput(),
            SSESpecification=ddb.SSESpecification(SSEEnabled=True),
            PointInTimeRecoverySpecification=ddb.PointInTimeRecoverySpecification(
                PointInTimeRecoveryEnabled=cfg.point_in_time_recovery
            ),
            DeletionProtectionEnabled=cfg.deletion_protection,
        )
        if indexes:
            table.GlobalSecondaryIndexes = list(indexes)
        if ttl_attribute:
            table.TimeToLiveSpecification = ddb.TimeToLiveSpecification(AttributeName=ttl_attribute, Enabled=True)
        set_removal_policy(table, retain=cfg.retain_data)
        if not cfg.point_in_time_recovery:
            accept_finding(table, "CKV_AWS_28", "point-in-time recovery is off by this environment's settings")
        accept_finding(
            table,
            "CKV_AWS_119",
            "encrypted with the AWS managed KMS key (aws/dynamodb); a customer managed key is an open decision",
        )
        t.add_resource(table)
        add_output(t, f"{name}TableName", Ref(table), f"{name} table name")
        add_output(t, f"{name}TableArn", GetAtt(table, "Arn"), f"{name} table ARN")
        return table

    def _throughput(self) -> ddb.ProvisionedThroughput:
        return ddb.ProvisionedThroughput(
            ReadCapacityUnits=self.config.read_capacity, WriteCapacityUnits=self.config.write_capacity
        )
