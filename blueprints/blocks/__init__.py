"""Reusable, secure-by-default building blocks, in the spirit of CDK's L2 constructs.

Each block adds its resources to a template when made: `Table(template, "OrdersTable",
name=..., partition_key=Attribute(name="orderId"), ...)`. Every option is typed and
documented with its default (`<Block>.Options`); a refused option or combination raises
`BlockError` naming the block, its logical ID and the option. The payments stacks in
`blueprints.<stack>` are composed from them; other projects can compose their own.
"""

from blueprints.blocks.alarms import AlarmTopics, MathAlarm, MetricAlarm, MetricQuery, alarm_topic_arn
from blueprints.blocks.base import Block, BlockError, Options
from blueprints.blocks.bucket import SecureBucket
from blueprints.blocks.distribution import AliasRecords, ApiDistribution
from blueprints.blocks.function import LambdaDeploymentGroup, LiveAlias, VpcFunction
from blueprints.blocks.key import EncryptionKey, KeyReference
from blueprints.blocks.rest_api import ApiStage, RestApi, api_gateway_account
from blueprints.blocks.table import READ_DATA, WRITE_DATA, Attribute, GlobalIndex, Table, TableReference
from blueprints.blocks.user_pool import UserPool
from blueprints.blocks.vpc import EndpointGrant, Vpc
from blueprints.blocks.web_acl import EdgeWebAcl, OriginWebAcl

__all__ = [
    "READ_DATA",
    "WRITE_DATA",
    "AlarmTopics",
    "AliasRecords",
    "ApiDistribution",
    "ApiStage",
    "Attribute",
    "Block",
    "BlockError",
    "EdgeWebAcl",
    "EncryptionKey",
    "EndpointGrant",
    "GlobalIndex",
    "KeyReference",
    "LambdaDeploymentGroup",
    "LiveAlias",
    "MathAlarm",
    "MetricAlarm",
    "MetricQuery",
    "Options",
    "OriginWebAcl",
    "RestApi",
    "SecureBucket",
    "Table",
    "TableReference",
    "UserPool",
    "Vpc",
    "VpcFunction",
    "alarm_topic_arn",
    "api_gateway_account",
]
