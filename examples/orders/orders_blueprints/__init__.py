"""An example of another team's stack, composed from the payments library's building
blocks: an orders table, an exports bucket, and an order-reader function in the VPC of the
library's own `network` stack, reading the table and its index and nothing else."""

from __future__ import annotations

from pydantic import Field
from troposphere import Ref, Sub, Template, s3

from blueprints.blocks import Attribute, GlobalIndex, SecureBucket, Table, VpcFunction
from blueprints.core import (
    Blueprint,
    LogRetentionDays,
    RetainData,
    StackConfig,
    add_output,
    add_parameter,
    per_environment,
)


class OrdersConfig(StackConfig):
    """Inputs of the orders stack."""

    log_retention_days: LogRetentionDays
    retain_data: RetainData
    export_expiration_days: int = per_environment(ge=1, description="Days an export is kept.")
    reader_memory_mb: int = Field(256, ge=128, le=10240, description="Memory of the order reader (default 256).")


class OrdersBlueprint(Blueprint[OrdersConfig]):
    name = "orders"
    description = "Orders table, exports bucket and the order reader"
    config_model = OrdersConfig

    def define(self, t: Template) -> None:
        cfg = self.config
        orders = Table(
            t,
            "OrdersTable",
            name=self.context.name("orders"),
            partition_key=Attribute(name="orderId"),
            indexes=(GlobalIndex(name="ByCustomer", partition_key=Attribute(name="customerId")),),
            billing="PAY_PER_REQUEST",
            retain=cfg.retain_data,
            deletion_protection=cfg.retain_data,
        )
        exports = SecureBucket(
            t,
            "ExportsBucket",
            name=Sub(f"{self.context.name('exports')}-${{AWS::AccountId}}-${{AWS::Region}}"),
            lifecycle_rules=[
                s3.LifecycleRule(Id="expire", Status="Enabled", ExpirationInDays=cfg.export_expiration_days)
            ],
            retain=cfg.retain_data,
        )
        exports.policy()
        VpcFunction(
            t,
            "OrderReader",
            name=self.context.name("order-reader"),
            description="Reads orders",
            code_bucket=Ref(add_parameter(t, "CodeBucket", "Bucket of the function package")),
            code_key=Ref(add_parameter(t, "CodeKey", "Key of the function package")),
            memory_mb=cfg.reader_memory_mb,
            timeout_seconds=10,
            subnet_ids=Ref(add_parameter(t, "SubnetIds", "Private subnets", "List<AWS::EC2::Subnet::Id>")),
            security_group_ids=(Ref(add_parameter(t, "SecurityGroupId", "Its security group")),),
            environment={"ORDERS_TABLE": Ref(orders.resource)},
            grants=(orders.reference().grant_read_data(sid="ReadOrders"),),
            log_retention_days=cfg.log_retention_days,
            retain_logs=cfg.retain_data,
        )
        add_output(t, "ExportsBucketName", Ref(exports.resource), "Where exports go")
