"""The OpenAPI 3.1 document of the API, made from the API contract (`blueprints.contract`).

`python -m scripts.openapi --write` writes it to docs/openapi.json (a test fails when that
file is stale); every OpenAPI tool can load it, and the API tests generate requests from it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from blueprints import contract

_JSON = "application/json"
# Every route may also meet API Gateway's throttling and a failing function or handler.
_ALWAYS = (400, 401, 403, 429, 500, 502)


def document(servers: Mapping[str, str], version: str) -> dict[str, Any]:
    """The OpenAPI document; `servers` maps an environment's name to its base URL."""
    paths: dict[str, dict[str, Any]] = {}
    for route in contract.ROUTES:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Payments and sessions API",
            "version": version,
            "description": (
                "Every request needs a bearer token from the environment's Cognito user pool. Customers use "
                "their access token (customer app client; the `identity` stack's `CustomerClientId` output) and "
                "act only on their own payments and sessions: their customer id is the token's subject. "
                "Back-office services use a client-credentials token (the `identity` stack's `TokenUrl` "
                f"output) with the scope `{contract.BACKOFFICE_READ}`, which reads and lists any customer's "
                "payments and nothing else. Call the environment's domain (CloudFront), not the stage's "
                "execute-api URL."
            ),
        },
        "servers": [{"url": url, "description": name} for name, url in servers.items()],
        "paths": paths,
        "components": {
            "schemas": {name: _component(schema) for name, schema in contract.SCHEMAS.items()},
            "securitySchemes": {
                "customer": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": f"A customer's access token (scope `{contract.CUSTOMER_SCOPE}`).",
                },
                "backoffice": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "A back-office client's access token (OAuth2 client credentials). Scopes: "
                    + "; ".join(
                        f"`{contract.RESOURCE_SERVER}/{name}`: {text}"
                        for name, text in sorted(contract.BACKOFFICE_SCOPES.items())
                    ),
                },
            },
        },
    }


def render(servers: Mapping[str, str], version: str) -> str:
    return json.dumps(document(servers, version), indent=2, sort_keys=False) + "\n"


def _operation(route: contract.Route) -> dict[str, Any]:
    security: list[dict[str, list[str]]] = [{"customer": []}]
    security += [{"backoffice": [scope]} for scope in route.scopes if scope != contract.CUSTOMER_SCOPE]
    operation: dict[str, Any] = {
        "operationId": route.operation_id,
        "summary": route.summary,
        "security": security,
        "parameters": [
            {
                "name": p.name,
                "in": p.location,
                "required": p.required,
                "description": p.description,
                "schema": {"type": "string", "pattern": p.pattern},
            }
            for p in route.parameters
        ],
        "responses": _responses(route),
    }
    if route.body:
        operation["requestBody"] = {
            "required": True,
            "content": {_JSON: {"schema": {"$ref": f"#/components/schemas/{route.body}"}}},
        }
    return operation


def _responses(route: contract.Route) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, (description, schema) in route.responses.items():
        responses[str(status)] = {"description": description}
        if schema:
            responses[str(status)]["content"] = {_JSON: {"schema": {"$ref": f"#/components/schemas/{schema}"}}}
    for status in sorted(set(route.statuses) | set(_ALWAYS)):
        responses[str(status)] = {
            "description": contract.COMMON_RESPONSES[status],
            "content": {_JSON: {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        headers = contract.COMMON_RESPONSE_HEADERS.get(status, {})
        if headers:
            responses[str(status)]["headers"] = {
                name: {"description": description, "schema": {"type": "integer"}}
                for name, description in headers.items()
            }
    return responses


def _component(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A contract schema as an OpenAPI 3.1 component (JSON Schema 2020-12 without `$schema`:
    the draft-4 keywords the contract uses mean the same there)."""
    return {k: v for k, v in schema.items() if k != "$schema"}
