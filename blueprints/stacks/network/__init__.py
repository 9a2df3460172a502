"""Network: a VPC across availability zones, its S3 and DynamoDB gateway endpoints and
interface endpoints (by default Secrets Manager, for the cursor signing key), each with an
endpoint policy naming only this environment's resources; the functions' least-egress
security group and the interface endpoints' group; optional NAT gateways; VPC flow logs.

The functions call only DynamoDB (gateway endpoint) and Secrets Manager (interface
endpoint), so their group allows HTTPS only to the gateway endpoints' AWS-managed prefix
lists and to the endpoint group: no rule reaches 0.0.0.0/0. Nothing else runs in the VPC.
Lambda fetches function code and delivers the functions' logs outside the VPC ("the
CloudWatch log messages do not use the VPC routes",
https://docs.aws.amazon.com/lambda/latest/dg/foundation-networking.html#foundation-nw-obs),
and with customer-managed keys DynamoDB and Secrets Manager call KMS on the functions'
behalf (kms:ViaService), so no NAT gateway and no other endpoint is needed.

The prefix list ids are stack parameters: CloudFormation cannot look one up by name, so
the stack file feeds them with Sceptre's `!managed_prefix_list <service>` at launch.

Its `settings` module holds the config model and what other code reads of the stack without
building it; its `template` module the blueprint. Each name below is imported on first use
(see `blueprints.stacks`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from blueprints.core.lazy import lazy_exports

if TYPE_CHECKING:
    from blueprints.stacks.network.settings import (
        GATEWAY_SERVICES,
        PREFIX_LIST_ID_PATTERN,
        PREFIX_LIST_PARAMETERS,
        NetworkConfig,
    )
    from blueprints.stacks.network.template import SECRET_ACTIONS, TABLE_DATA_ACTIONS, NetworkBlueprint

_EXPORTS = {
    "GATEWAY_SERVICES": "blueprints.stacks.network.settings",
    "PREFIX_LIST_ID_PATTERN": "blueprints.stacks.network.settings",
    "PREFIX_LIST_PARAMETERS": "blueprints.stacks.network.settings",
    "NetworkConfig": "blueprints.stacks.network.settings",
    "SECRET_ACTIONS": "blueprints.stacks.network.template",
    "TABLE_DATA_ACTIONS": "blueprints.stacks.network.template",
    "NetworkBlueprint": "blueprints.stacks.network.template",
}

__all__ = [
    "GATEWAY_SERVICES",
    "PREFIX_LIST_ID_PATTERN",
    "PREFIX_LIST_PARAMETERS",
    "SECRET_ACTIONS",
    "TABLE_DATA_ACTIONS",
    "NetworkBlueprint",
    "NetworkConfig",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
