"""Reusable, secure-by-default building blocks, in the spirit of CDK's L2 constructs.

Each block adds its resources to a template when made: `Table(template, "OrdersTable",
name=..., partition_key=Attribute(name="orderId"), ...)`. Every option is typed and
documented with its default (`<Block>.Options`); a refused option or combination raises
`BlockError` naming the block, its logical ID and the option. The payments stacks in
`blueprints.stacks.<stack>` are composed from them; other projects can compose their own.

The names below are imported on first use (`blueprints.core.lazy`): a stack that makes only a
table and a key imports neither the CloudFront nor the WAF blocks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from blueprints.core.lazy import lazy_exports

if TYPE_CHECKING:
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

_EXPORTS = {
    "AlarmTopics": "blueprints.blocks.alarms",
    "MathAlarm": "blueprints.blocks.alarms",
    "MetricAlarm": "blueprints.blocks.alarms",
    "MetricQuery": "blueprints.blocks.alarms",
    "alarm_topic_arn": "blueprints.blocks.alarms",
    "Block": "blueprints.blocks.base",
    "BlockError": "blueprints.blocks.base",
    "Options": "blueprints.blocks.base",
    "SecureBucket": "blueprints.blocks.bucket",
    "AliasRecords": "blueprints.blocks.distribution",
    "ApiDistribution": "blueprints.blocks.distribution",
    "LambdaDeploymentGroup": "blueprints.blocks.function",
    "LiveAlias": "blueprints.blocks.function",
    "VpcFunction": "blueprints.blocks.function",
    "EncryptionKey": "blueprints.blocks.key",
    "KeyReference": "blueprints.blocks.key",
    "ApiStage": "blueprints.blocks.rest_api",
    "RestApi": "blueprints.blocks.rest_api",
    "api_gateway_account": "blueprints.blocks.rest_api",
    "READ_DATA": "blueprints.blocks.table",
    "WRITE_DATA": "blueprints.blocks.table",
    "Attribute": "blueprints.blocks.table",
    "GlobalIndex": "blueprints.blocks.table",
    "Table": "blueprints.blocks.table",
    "TableReference": "blueprints.blocks.table",
    "UserPool": "blueprints.blocks.user_pool",
    "EndpointGrant": "blueprints.blocks.vpc",
    "Vpc": "blueprints.blocks.vpc",
    "EdgeWebAcl": "blueprints.blocks.web_acl",
    "OriginWebAcl": "blueprints.blocks.web_acl",
}

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

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
