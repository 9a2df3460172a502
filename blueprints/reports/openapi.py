"""The OpenAPI 3.1 document of the API, made from the API contract (`blueprints.contract`).

`python -m scripts.openapi --write` writes it to docs/openapi.json (a test fails when that
file is stale); every OpenAPI tool can load it, the API tests generate requests from it, and
the typed client in examples/payments_client is generated from it. It is written for client
generators: one component per shared schema (by `$ref`), typed parameters, OAuth2 flows,
an example of every body and parameter, and the error codes of every error status.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from blueprints import contract

_JSON = "application/json"
_REF = "#/components/schemas/"
# Every route may also meet API Gateway's throttling and a failing function or handler.
_ALWAYS = (400, 401, 403, 429, 500, 502)


@dataclass(frozen=True)
class Server:
    """Where one environment is called: its domain's URL, and where its callers get tokens."""

    url: str  # https://<domain>
    region: str  # the user pool's: customers sign in at cognito-idp.<region>.amazonaws.com
    token_url: str  # the pool's OAuth2 token endpoint (the identity stack's `TokenUrl`)


def backoffice_scheme(environment: str) -> str:
    """The security scheme of one environment's back-office clients: each has its own token URL."""
    return f"backoffice-{environment}"


def document(servers: Mapping[str, Server], version: str) -> dict[str, Any]:
    """The OpenAPI document; `servers` maps each environment's name to where it is called."""
    paths: dict[str, dict[str, Any]] = {}
    for route in contract.ROUTES:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, servers)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Payments and sessions API",
            "version": version,
            "description": (
                "Every request needs a bearer token from the environment's Cognito user pool. Customers use "
                "their access token (security scheme `customer`) and act only on their own payments and "
                "sessions: their customer id is the token's subject. Back-office services use a "
                "client-credentials token of their environment (schemes `backoffice-<environment>`) with the "
                f"scope `{contract.BACKOFFICE_READ}`, which reads and lists any customer's payments and nothing "
                "else. Call the environment's domain (CloudFront), not the stage's execute-api URL. Errors are "
                '`{"error": {"code", "message", "field"}}`: branch on `code` (each response lists its '
                "codes), show `message`. A 429 or 503 may be retried after Retry-After seconds; a payment with "
                "its same Idempotency-Key is recorded once."
            ),
        },
        "servers": [{"url": server.url, "description": name} for name, server in servers.items()],
        "paths": paths,
        "components": {
            "schemas": _components(contract.SCHEMAS),
            "securitySchemes": {"customer": _customer_scheme(servers)}
            | {backoffice_scheme(name): _backoffice_scheme(name, server) for name, server in servers.items()},
        },
    }


def render(servers: Mapping[str, Server], version: str) -> str:
    return json.dumps(document(servers, version), indent=2, sort_keys=False) + "\n"


def _customer_scheme(servers: Mapping[str, Server]) -> dict[str, Any]:
    """Customers sign in through Cognito's user-pool API (SRP), not an OAuth2 flow: the customer
    app client allows no hosted UI or authorization code, so the scheme is a bearer token that
    says how to get one."""
    endpoints = "; ".join(f"{name}: https://cognito-idp.{s.region}.amazonaws.com/" for name, s in servers.items())
    return {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": (
            f"A customer's Cognito access token (scope `{contract.CUSTOMER_SCOPE}`; its `sub` is the customer id). "
            "Obtained by signing in to the environment's user pool with the customer app client (the `identity` "
            "stack's `CustomerClientId` output) through Cognito's user-pool API: `InitiateAuth` with "
            "`USER_SRP_AUTH`, then `RespondToAuthChallenge` (`PASSWORD_VERIFIER`, and `SOFTWARE_TOKEN_MFA` where "
            "the customer set up MFA), e.g. with AWS Amplify or pycognito; renewed with `REFRESH_TOKEN_AUTH`. "
            f"Cognito's endpoint per environment: {endpoints}."
        ),
    }


def _backoffice_scheme(environment: str, server: Server) -> dict[str, Any]:
    scopes = {f"{contract.RESOURCE_SERVER}/{name}": text for name, text in sorted(contract.BACKOFFICE_SCOPES.items())}
    return {
        "type": "oauth2",
        "description": (
            f"A back-office client of {environment} (an app client with a secret, {server.url}): the OAuth2 "
            "client-credentials grant against the user pool's token endpoint, client id and secret in HTTP Basic."
        ),
        "flows": {"clientCredentials": {"tokenUrl": server.token_url, "scopes": scopes}},
    }


def _operation(route: contract.Route, servers: Mapping[str, Server]) -> dict[str, Any]:
    security: list[dict[str, list[str]]] = [{"customer": []}]
    security += [
        {backoffice_scheme(name): [scope]}
        for scope in route.scopes
        if scope != contract.CUSTOMER_SCOPE
        for name in servers
    ]
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
                "schema": p.schema,
                "example": contract.EXAMPLE_VALUES[p.name],
            }
            for p in route.parameters
        ],
        "responses": _responses(route),
    }
    if route.body:
        operation["requestBody"] = {"required": True, "content": _content(route.body)}
    return operation


def _content(schema: str) -> dict[str, Any]:
    return {_JSON: {"schema": {"$ref": _REF + schema}, "example": contract.EXAMPLES[schema]}}


def _responses(route: contract.Route) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, (description, schema) in route.responses.items():
        responses[str(status)] = {"description": description}
        if schema:
            responses[str(status)]["content"] = _content(schema)
    for status in sorted(set(route.statuses) | set(_ALWAYS)):
        codes = contract.ERROR_CODES[status]
        responses[str(status)] = {
            "description": f"{contract.COMMON_RESPONSES[status]} Codes: {', '.join(f'`{c}`' for c in codes)}.",
            "content": {
                _JSON: {
                    "schema": {"$ref": _REF + "Error"},
                    "examples": {
                        code: {"value": {"error": {"code": code, "message": message}}}
                        for code, message in codes.items()
                    },
                }
            },
        }
        headers = contract.COMMON_RESPONSE_HEADERS.get(status, {})
        if headers:
            responses[str(status)]["headers"] = {
                name: {"description": description, "schema": {"type": "integer", "minimum": 0}, "example": 1}
                for name, description in headers.items()
            }
    return responses


def _components(schemas: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The contract's schemas as OpenAPI 3.1 components (JSON Schema 2020-12 without `$schema`:
    the draft-4 keywords the contract uses mean the same there). A schema the contract repeats
    inside another (a page's items are payments) becomes a `$ref` to its component, so
    generated clients have one model of each."""
    named = {_identity(schema): name for name, schema in schemas.items()}

    def share(value: Any, top: bool) -> Any:
        if isinstance(value, dict):
            if not top and _identity(value) in named:
                return {"$ref": _REF + named[_identity(value)]}
            return {k: share(v, False) for k, v in value.items() if k != "$schema"}
        if isinstance(value, list):
            return [share(v, False) for v in value]
        return value

    return {name: share(schema, True) for name, schema in schemas.items()}


def _identity(schema: Mapping[str, Any]) -> str:
    """What makes two schemas the same, whatever their `$schema` and title."""
    return json.dumps({k: v for k, v in schema.items() if k not in ("$schema", "title")}, sort_keys=True)
