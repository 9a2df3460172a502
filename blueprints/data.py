"""Data: the transactions table (with its CustomerIndex GSI) and the sessions table (TTL).

Both tables are stateful: their logical IDs are frozen, their physical names are fixed
(so CloudFormation refuses a replacement instead of performing one), and they carry
DeletionPolicy/UpdateReplacePolicy and deletion protection from the environment's settings.
"""

from __future__ import annotations

from pydantic import Field
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
    set_removal_policy,
)

CUSTOMER_INDEX = "CustomerIndex"


class DataConfig(StackConfig):
    """Inputs of the data stack."""

    read_capacity: PositiveInt = Field(description="Provisioned read capacity units of each table and index.")
    write_capacity: PositiveInt = Field(description="Provisioned write capacity units of each table and index.")
    point_in_time_recovery: bool = Field(description="Continuous backups (35-day point-in-time recovery).")
    deletion_protection: DeletionProtection
    retain_data: RetainData


class DataBlueprint(Blueprint[DataConfig]):
    name = "data"
    description = "DynamoDB tables for transactions and sessions"
    config_model = DataConfig

    def define(self, t: Template) -> None:
        cfg = self.config
        throughput = ddb.ProvisionedThroughput(
            ReadCapacityUnits=cfg.read_capacity, WriteCapacityUnits=cfg.write_capacity
        )
        transactions = t.add_resource(
            ddb.Table(
                "TransactionsTable",
                TableName=self.context.name("transactions"),
                BillingMode="PROVISIONED",
                AttributeDefinitions=[
                    ddb.AttributeDefinition(AttributeName="transactionId", AttributeType="S"),
                    ddb.AttributeDefinition(AttributeName="timestamp", AttributeType="N"),
                    ddb.AttributeDefinition(AttributeName="customerId", AttributeType="S"),
                ],
                KeySchema=[
                    ddb.KeySchema(AttributeName="transactionId", KeyType="HASH"),
                    ddb.KeySchema(AttributeName="timestamp", KeyType="RANGE"),
                ],
                GlobalSecondaryIndexes=[
                    ddb.GlobalSecondaryIndex(
                        IndexName=CUSTOMER_INDEX,
                        KeySchema=[
                            ddb.KeySchema(AttributeName="customerId", KeyType="HASH"),
                            ddb.KeySchema(AttributeName="timestamp", KeyType="RANGE"),
                        ],
                        Projection=ddb.Projection(ProjectionType="ALL"),
                        ProvisionedThroughput=throughput,
                    )
                ],
                ProvisionedThroughput=throughput,
                **self._protection(),
            )
        )
        sessions = t.add_resource(
            ddb.Table(
                "SessionsTable",
                TableName=self.context.name("sessions"),
                BillingMode="PROVISIONED",
                AttributeDefinitions=[ddb.AttributeDefinition(AttributeName="sessionId", AttributeType="S")],
                KeySchema=[ddb.KeySchema(AttributeName="sessionId", KeyType="HASH")],
                TimeToLiveSpecification=ddb.TimeToLiveSpecification(AttributeName="expiresAt", Enabled=True),
                ProvisionedThroughput=throughput,
                **self._protection(),
            )
        )
        for table in (transactions, sessions):
            set_removal_policy(table, retain=cfg.retain_data)
            if not cfg.point_in_time_recovery:
                accept_finding(table, "CKV_AWS_28", "point-in-time recovery is off by this environment's settings")
            accept_finding(
                table,
                "CKV_AWS_119",
                "encrypted with the AWS managed KMS key (aws/dynamodb); a customer managed key is an open decision",
            )

        add_output(t, "TransactionsTableName", Ref(transactions), "Transactions table name")
        add_output(t, "TransactionsTableArn", GetAtt(transactions, "Arn"), "Transactions table ARN")
        add_output(t, "SessionsTableName", Ref(sessions), "Sessions table name")
        add_output(t, "SessionsTableArn", GetAtt(sessions, "Arn"), "Sessions table ARN")

    def _protection(self) -> dict[str, object]:
        return {
            "SSESpecification": ddb.SSESpecification(SSEEnabled=True),
            "PointInTimeRecoverySpecification": ddb.PointInTimeRecoverySpecification(
                PointInTimeRecoveryEnabled=self.config.point_in_time_recovery
            ),
            "DeletionProtectionEnabled": self.config.deletion_protection,
        }
