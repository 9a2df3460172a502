"""API Gateway proxy plumbing: routing from the API contract (404/405), the caller taken
from the verified token (401 without one, 403 without a scope of the route), JSON bodies
with limits, located errors, and a wrapper that turns any unexpected failure into a 500
without internals. Every invocation writes its metrics (common.metrics) when it ends:
`Refusals` by error code, `AuthorizationRefusals`, `InternalErrors`, a cold start, and
what the operation itself counted."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from contract import CUSTOMER_SCOPE, MAX_BODY_BYTES, fields, routes_of

from common import invocation
from common.log import Logger  # Powertools Logger's log lines, without its import cost (see common.log)
from common.metrics import Metrics  # and Powertools Metrics' EMF lines, likewise

Event = dict[str, Any]
Response = dict[str, Any]


class ConfigurationError(RuntimeError):
    """The function's environment is incomplete or invalid (raised at cold start)."""


def environment(*names: str) -> dict[str, str]:
    """The named environment variables; every missing or empty one is named at once."""
    missing = [n for n in names if not os.environ.get(n)]
    if missing:
        raise ConfigurationError(f"missing environment variables: {', '.join(missing)}")
    return {n: os.environ[n] for n in names}


@dataclass
class ApiError(Exception):
    """A refusal: status, machine-readable code (one of a fixed few: it is also a metric
    dimension), message, the field it concerns, and headers of its response.

    `authorization`: the caller may not do this (a scope it lacks, another customer's
    data). Every 403 is; a 404 that answers another customer's payment or session exactly
    as a missing one says so here, for the metrics only: the response is the same."""

    status: int
    code: str
    message: str
    field: str | None = None
    headers: Mapping[str, str] | None = None
    authorization: bool = False

    def response(self) -> Response:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            error["field"] = self.field
        return json_response(self.status, {"error": error}, self.headers)

    @property
    def refuses_caller(self) -> bool:
        return self.status == 403 or self.authorization


def bad_request(field: str, message: str, code: str = "ValidationError") -> ApiError:
    return ApiError(400, code, f"{field}: {message}", field)


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "body": json.dumps(body, default=_json_default, separators=(",", ":")),
    }


def empty_response(status: int) -> Response:
    return {"statusCode": status, "headers": {}, "body": ""}


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


@dataclass(frozen=True)
class Caller:
    """Who is calling, from the token API Gateway verified: a customer (`id` is the token's
    subject, the customer id) or a back-office client (`id` is its client id)."""

    id: str
    scopes: frozenset[str]
    is_customer: bool


def caller(event: Event) -> Caller:
    """The verified caller. Without claims the function was invoked around the authorizer:
    refused (401), whatever the request says about itself."""
    claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("claims")
    if not isinstance(claims, dict) or not claims.get("sub") or claims.get("token_use") != "access":
        raise ApiError(401, "Unauthorized", "Authorization: no verified access token", "Authorization")
    scopes = frozenset(str(claims.get("scope", "")).split())
    # Users' access tokens carry Cognito's user scope and a username; machine clients' do not.
    return Caller(str(claims["sub"]), scopes, CUSTOMER_SCOPE in scopes and bool(claims.get("username")))


def json_body(event: Event, schema: str) -> dict[str, Any]:
    """The request body: a JSON object of bounded size with only the fields the contract's
    `schema` allows, and all it requires."""
    allowed, required = fields(schema)
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        raise bad_request("body", "must be JSON text, not base64")
    if len(raw.encode()) > MAX_BODY_BYTES:
        raise ApiError(413, "PayloadTooLarge", f"body: larger than {MAX_BODY_BYTES} bytes", "body")
    try:
        body = json.loads(raw, parse_float=Decimal, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as err:
        raise bad_request("body", f"not valid JSON ({type(err).__name__})") from None
    if not isinstance(body, dict):
        raise bad_request("body", "must be a JSON object")
    for name in sorted(set(body) - allowed):
        raise bad_request(name, "unknown field")
    for name in sorted(required - set(body)):
        raise bad_request(name, "is required")
    return body


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def header(event: Event, name: str) -> str | None:
    """A request header, case-insensitively (API Gateway keeps the client's casing)."""
    headers = event.get("headers") or {}
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


def path_parameter(event: Event, name: str) -> str:
    return str((event.get("pathParameters") or {}).get(name, ""))


def query_parameter(event: Event, name: str) -> str | None:
    return (event.get("queryStringParameters") or {}).get(name)


Operation = Callable[[Event, Caller], Response]


class Api:
    """Routes the contract's routes of one function to its operations; logs each request
    by its request id and writes its metrics when it ends (the service dimension is
    POWERTOOLS_SERVICE_NAME, else the function's name)."""

    def __init__(self, function: str, operations: Mapping[str, Operation]) -> None:
        routes = routes_of(function)
        declared = {r.operation_id for r in routes}
        if declared != set(operations):
            raise ConfigurationError(
                f"{function} must implement exactly {sorted(declared)}, implements {sorted(operations)}"
            )
        self.logger = Logger(service=function)
        self.metrics = Metrics(service=os.environ.get("POWERTOOLS_SERVICE_NAME") or function)
        self.routes = {(r.method, r.path): (frozenset(r.scopes), operations[r.operation_id]) for r in routes}

    def __call__(self, event: Event, context: object) -> Response:
        request_id = str((event.get("requestContext") or {}).get("requestId", "-"))
        self.logger.set_correlation_id(request_id)
        method, resource = str(event.get("httpMethod", "")), str(event.get("resource", ""))
        started = invocation.begin(context)  # the time its retries may take (common.retries)
        try:
            response = self._dispatch(method, resource, event)
        except ApiError as err:
            response = err.response()
            self.logger.info("refused", extra={"status": err.status, "code": err.code, "field": err.field})
            # Refusals under `service` and under `service` and `Code`, in the line of this invocation.
            self.metrics.add_metric("Refusals")
            self.metrics.add_dimensions(service=str(self.metrics.service), Code=err.code)
            if err.refuses_caller:
                self.metrics.add_metric("AuthorizationRefusals")
        except Exception:
            # The traceback goes to the log, never to the caller; the event is not logged.
            self.logger.exception("internal error", extra={"route": f"{method} {resource}"})
            response = ApiError(500, "InternalError", "internal error").response()
            self.metrics.add_metric("InternalErrors")
        finally:
            invocation.end(started)
        self.logger.info("handled", extra={"route": f"{method} {resource}", "status": response["statusCode"]})
        # As Powertools' log_metrics(capture_cold_start_metric=True): the cold start line, then the
        # invocation's line. Neither can fail the response.
        self.metrics.add_cold_start_metric(context)
        self.metrics.flush()
        return response

    def _dispatch(self, method: str, resource: str, event: Event) -> Response:
        allowed = sorted(m for (m, r) in self.routes if r == resource)
        if not allowed:
            raise ApiError(404, "NotFound", f"no route {resource or '(none)'}")
        if method not in allowed:
            raise ApiError(
                405, "MethodNotAllowed", f"{method} not allowed on {resource}", None, {"Allow": ", ".join(allowed)}
            )
        scopes, operation = self.routes[(method, resource)]
        who = caller(event)
        if not scopes & who.scopes:
            raise ApiError(403, "Forbidden", f"Authorization: the token may not call {method} {resource}")
        return operation(event, who)
