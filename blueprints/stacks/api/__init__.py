"""API: the REST API in front of the functions, made from the API contract
(`blueprints.contract`). Every method requires a token of the user pool with one of the
route's scopes (a Cognito authorizer) and has a request validator; routes are proxied to
Lambda, each route's invoke permission is scoped to that route's ARN, and the stage writes
JSON access logs, traces, metrics and enforces throttling. A regional web ACL on the stage
refuses every request that did not come through the CloudFront distribution.

Its `settings` module holds the config model and what other code reads of the stack without
building it; its `template` module the blueprint. Each name below is imported on first use
(see `blueprints.stacks`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from blueprints.core.lazy import lazy_exports

if TYPE_CHECKING:
    from blueprints.stacks.api.settings import ApiConfig, api_alarm_name, api_alarm_names
    from blueprints.stacks.api.template import (
        ACCESS_LOG_FORMAT,
        GATEWAY_RESPONSE_HEADERS,
        GATEWAY_RESPONSES,
        ApiBlueprint,
        alias_arn_parameter,
    )

_EXPORTS = {
    "ApiConfig": "blueprints.stacks.api.settings",
    "api_alarm_name": "blueprints.stacks.api.settings",
    "api_alarm_names": "blueprints.stacks.api.settings",
    "ACCESS_LOG_FORMAT": "blueprints.stacks.api.template",
    "GATEWAY_RESPONSES": "blueprints.stacks.api.template",
    "GATEWAY_RESPONSE_HEADERS": "blueprints.stacks.api.template",
    "ApiBlueprint": "blueprints.stacks.api.template",
    "alias_arn_parameter": "blueprints.stacks.api.template",
}

__all__ = [
    "ACCESS_LOG_FORMAT",
    "GATEWAY_RESPONSES",
    "GATEWAY_RESPONSE_HEADERS",
    "ApiBlueprint",
    "ApiConfig",
    "alias_arn_parameter",
    "api_alarm_name",
    "api_alarm_names",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
