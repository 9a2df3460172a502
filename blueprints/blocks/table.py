"""A DynamoDB table, secure by default, and least-privilege grants on it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from awacs import dynamodb as awsddb
from awacs.aws import Action, Statement
from pydantic import BaseModel, ConfigDict, Field, model_validator
from troposphere import GetAtt, Ref, Sub, applicationautoscaling
from troposphere import dynamodb as ddb

from blueprints.blocks.base import Block, Options
from blueprints.core import accept_finding, add_output, set_removal_policy
from blueprints.core.config import AutoScaling  # shared with the data stack's settings
from blueprints.core.iam import allow
from blueprints.core.policies import ENCRYPTED_WITH_AWS_MANAGED_KEY

KeyType = Literal["S", "N", "B"]


class Attribute(BaseModel):
    """A key attribute: its name and DynamoDB type (S string, N number, B binary)."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1, max_length=255, description="Attribute name.")
    type: KeyType = Field(default="S", description="S, N or B (default S).")


class GlobalIndex(BaseModel):
    """A global secondary index projecting every attribute."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{3,255}$", description="Index name.")
    partition_key: Attribute = Field(description="The index's partition key.")
    sort_key: Attribute | None = Field(default=None, description="The index's sort key (default none).")


class TableOptions(Options):
    name: object = Field(
        description=(
            "Physical table name. Fixed on purpose: CloudFormation then refuses to replace the table "
            "(a replacement would create an empty one) instead of doing it."
        )
    )
    partition_key: Attribute = Field(description="The table's partition key.")
    sort_key: Attribute | None = Field(default=None, description="The table's sort key (default none).")
    indexes: tuple[GlobalIndex, ...] = Field(default=(), description="Global secondary indexes (default none).")
    ttl_attribute: str | None = Field(
        default=None, description="Attribute holding each item's expiry in epoch seconds (default: no TTL)."
    )
    billing: Literal["PROVISIONED", "PAY_PER_REQUEST"] = Field(
        default="PROVISIONED",
        description="Capacity mode (default PROVISIONED: read_capacity and write_capacity required).",
    )
    read_capacity: int | None = Field(
        default=None, gt=0, description="Read capacity units of the table and each index."
    )
    write_capacity: int | None = Field(
        default=None, gt=0, description="Write capacity units of the table and each index."
    )
    autoscaling: AutoScaling | None = Field(
        default=None,
        description=(
            "With billing PROVISIONED: scale capacity with load between its minimum (the starting capacity, "
            "given instead of read_capacity and write_capacity) and maximum (default none: fixed capacity)."
        ),
    )
    point_in_time_recovery: bool = Field(default=True, description="Continuous backups, 35 days (default on).")
    deletion_protection: bool = Field(default=True, description="DynamoDB deletion protection (default on).")
    kms_key: object | None = Field(
        default=None,
        description=(
            "ARN of a customer-managed KMS key to encrypt it under (default none: the AWS managed key "
            "aws/dynamodb). Roles that use the table then need kms:Decrypt on it through DynamoDB."
        ),
    )
    retain: bool = Field(
        default=True,
        description=(
            "Kept when deleted or replaced (default on: the data outlives the stack): DeletionPolicy "
            "RetainExceptOnCreate, UpdateReplacePolicy Retain."
        ),
    )

    @model_validator(mode="after")
    def _capacity_fits_billing(self) -> TableOptions:
        given = self.read_capacity is not None or self.write_capacity is not None
        if self.billing == "PAY_PER_REQUEST" and (given or self.autoscaling is not None):
            raise ValueError("billing PAY_PER_REQUEST takes no read_capacity, write_capacity or autoscaling")
        if self.billing == "PROVISIONED" and self.autoscaling is not None and given:
            raise ValueError(
                "with autoscaling, the starting capacity is its minimum: no read_capacity or write_capacity"
            )
        if (
            self.billing == "PROVISIONED"
            and self.autoscaling is None
            and not (self.read_capacity is not None and self.write_capacity is not None)
        ):
            raise ValueError("billing PROVISIONED needs read_capacity and write_capacity, or autoscaling")
        names = [self.partition_key.name] + ([self.sort_key.name] if self.sort_key else [])
        if self.ttl_attribute in names:
            raise ValueError(f"ttl_attribute {self.ttl_attribute!r} cannot be a key attribute")
        return self


class Table(Block):
    """A DynamoDB table, secure by default: encrypted at rest, point-in-time recovery and
    deletion protection on unless turned off, both removal policies set together, and its
    `<id>Name` / `<id>Arn` outputs. `reference()` gives the grants other stacks use."""

    Options = TableOptions
    options: TableOptions

    def build(self) -> None:
        o = self.options
        keys = [(o.partition_key, "HASH")] + ([(o.sort_key, "RANGE")] if o.sort_key else [])
        attributes: dict[str, str] = {}
        for attribute in [k for k, _ in keys] + [a for i in o.indexes for a in (i.partition_key, i.sort_key) if a]:
            attributes.setdefault(attribute.name, attribute.type)
        table = ddb.Table(
            self.logical_id,
            TableName=o.name,
            BillingMode=o.billing,
            AttributeDefinitions=[
                ddb.AttributeDefinition(AttributeName=name, AttributeType=kind) for name, kind in attributes.items()
            ],
            KeySchema=[ddb.KeySchema(AttributeName=a.name, KeyType=role) for a, role in keys],
            SSESpecification=self._encryption(),
            PointInTimeRecoverySpecification=ddb.PointInTimeRecoverySpecification(
                PointInTimeRecoveryEnabled=o.point_in_time_recovery
            ),
            DeletionProtectionEnabled=o.deletion_protection,
        )
        if o.billing == "PROVISIONED":
            table.ProvisionedThroughput = self._throughput()
        if o.indexes:
            table.GlobalSecondaryIndexes = [self._index(index) for index in o.indexes]
        if o.autoscaling is not None:
            self._scale(table, o.autoscaling)
        if o.ttl_attribute:
            table.TimeToLiveSpecification = ddb.TimeToLiveSpecification(AttributeName=o.ttl_attribute, Enabled=True)
        set_removal_policy(table, retain=o.retain)
        if not o.point_in_time_recovery:
            accept_finding(table, "CKV_AWS_28", "point-in-time recovery is off by this environment's settings")
        if o.kms_key is None:
            accept_finding(table, "CKV_AWS_119", ENCRYPTED_WITH_AWS_MANAGED_KEY)
        self.resource = self.template.add_resource(table)
        add_output(self.template, f"{self.logical_id}Name", Ref(table), f"{self._label} table name")
        add_output(self.template, f"{self.logical_id}Arn", GetAtt(table, "Arn"), f"{self._label} table ARN")

    def _encryption(self) -> ddb.SSESpecification:
        if self.options.kms_key is None:
            return ddb.SSESpecification(SSEEnabled=True)
        return ddb.SSESpecification(SSEEnabled=True, SSEType="KMS", KMSMasterKeyId=self.options.kms_key)

    @property
    def _label(self) -> str:
        return self.logical_id.removesuffix("Table")

    def _throughput(self) -> ddb.ProvisionedThroughput:
        o = self.options
        if o.autoscaling is not None:
            return ddb.ProvisionedThroughput(
                ReadCapacityUnits=o.autoscaling.min_read_capacity, WriteCapacityUnits=o.autoscaling.min_write_capacity
            )
        return ddb.ProvisionedThroughput(ReadCapacityUnits=o.read_capacity, WriteCapacityUnits=o.write_capacity)

    def _scale(self, table: ddb.Table, scaling: AutoScaling) -> None:
        """Application Auto Scaling of reads and writes of the table and each index (through its
        service-linked role, created on first use), tracking the consumed share of capacity."""
        targets = [("", Sub("table/${Table}", Table=Ref(table)), "table")]
        targets += [
            (index.name, Sub(f"table/${{Table}}/index/{index.name}", Table=Ref(table)), "index")
            for index in self.options.indexes
        ]
        for prefix, resource_id, kind in targets:
            for dimension in ("Read", "Write"):
                title = f"{self.logical_id}{prefix}{dimension}"
                target = self.template.add_resource(
                    applicationautoscaling.ScalableTarget(
                        f"{title}Scaling",
                        ServiceNamespace="dynamodb",
                        ResourceId=resource_id,
                        ScalableDimension=f"dynamodb:{kind}:{dimension}CapacityUnits",
                        MinCapacity=getattr(scaling, f"min_{dimension.lower()}_capacity"),
                        MaxCapacity=getattr(scaling, f"max_{dimension.lower()}_capacity"),
                    )
                )
                self.template.add_resource(
                    applicationautoscaling.ScalingPolicy(
                        f"{title}ScalingPolicy",
                        PolicyName=f"{title}-utilization",
                        PolicyType="TargetTrackingScaling",
                        ScalingTargetId=Ref(target),
                        TargetTrackingScalingPolicyConfiguration=applicationautoscaling.TargetTrackingScalingPolicyConfiguration(
                            TargetValue=float(scaling.target_utilization_percent),
                            PredefinedMetricSpecification=applicationautoscaling.PredefinedMetricSpecification(
                                PredefinedMetricType=f"DynamoDB{dimension}CapacityUtilization"
                            ),
                        ),
                    )
                )

    def _index(self, index: GlobalIndex) -> ddb.GlobalSecondaryIndex:
        keys = [(index.partition_key, "HASH")] + ([(index.sort_key, "RANGE")] if index.sort_key else [])
        gsi = ddb.GlobalSecondaryIndex(
            IndexName=index.name,
            KeySchema=[ddb.KeySchema(AttributeName=a.name, KeyType=role) for a, role in keys],
            Projection=ddb.Projection(ProjectionType="ALL"),
        )
        if self.options.billing == "PROVISIONED":
            gsi.ProvisionedThroughput = self._throughput()
        return gsi

    def reference(self) -> TableReference:
        return TableReference(arn=GetAtt(self.resource, "Arn"), indexes=tuple(i.name for i in self.options.indexes))


# What CDK's grantReadData / grantWriteData allow, without the stream actions.
READ_DATA: tuple[Action, ...] = (
    awsddb.BatchGetItem,
    awsddb.ConditionCheckItem,
    awsddb.DescribeTable,
    awsddb.GetItem,
    awsddb.Query,
    awsddb.Scan,
)
WRITE_DATA: tuple[Action, ...] = (
    awsddb.BatchWriteItem,
    awsddb.DeleteItem,
    awsddb.DescribeTable,
    awsddb.PutItem,
    awsddb.UpdateItem,
)


class TableReference:
    """A table by ARN (its own stack's `GetAtt`, or another stack's output fed in as a
    parameter), with grants that cover the table and the indexes a role queries."""

    def __init__(self, arn: object, indexes: Sequence[str] = ()) -> None:
        self.arn = arn
        self.indexes = tuple(indexes)

    def grant(self, actions: Sequence[Action], *, sid: str, indexes: Sequence[str] | None = None) -> Statement:
        """Allow exactly `actions` on the table and on `indexes` (default: every index it has)."""
        unknown = sorted(set(indexes or ()) - set(self.indexes))
        if unknown:
            raise ValueError(f"grant {sid}: no such index {unknown} (the table has {list(self.indexes)})")
        resources: list[object] = [self.arn]
        resources += [self._index_arn(name) for name in (self.indexes if indexes is None else indexes)]
        return allow(list(actions), resources, sid=sid)

    def grant_read_data(self, *, sid: str) -> Statement:
        return self.grant(READ_DATA, sid=sid)

    def grant_write_data(self, *, sid: str) -> Statement:
        return self.grant(WRITE_DATA, sid=sid, indexes=())

    def _index_arn(self, name: str) -> object:
        if isinstance(self.arn, Ref):
            return Sub(f"${{{self.arn.data['Ref']}}}/index/{name}")
        return Sub("${Arn}/index/" + name, Arn=self.arn)


__all__ = [
    "READ_DATA",
    "WRITE_DATA",
    "Attribute",
    "AutoScaling",
    "GlobalIndex",
    "KeyType",
    "Table",
    "TableOptions",
    "TableReference",
]
