"""The API contract, declared once: every route, who may call it, its parameters, its
request and response schemas and the error shape.

Three things are made from it: the API Gateway methods, authorizer scopes, models and
validators (`blueprints.stacks.api`); the handlers' routing and validation (this package is
zipped into every function as the top-level package `contract`); and the OpenAPI
document (`blueprints.reports.openapi`, written to docs/openapi.json).

Standard library only: it runs inside Lambda, next to the handlers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Who may call. Customers are users of the user pool: their access tokens carry Cognito's
# own user scope, and their customer id is the token's `sub`. Back-office services are
# machine clients (OAuth2 client credentials) with scopes of the pool's resource server.
CUSTOMER_SCOPE = "aws.cognito.signin.user.admin"
RESOURCE_SERVER = "payments"
BACKOFFICE_SCOPES: dict[str, str] = {
    "read": "Read and list any customer's payments (read only; no back-office scope writes).",
}
BACKOFFICE_READ = f"{RESOURCE_SERVER}/read"

# One pattern per value the API accepts; API Gateway's models and the handlers use these.
PATTERNS: dict[str, str] = {
    "customerId": "^[A-Za-z0-9_-]{1,64}$",
    "amount": "^(0|[1-9][0-9]{0,11})(\\.[0-9]{1,4})?$",
    "currency": "^[A-Z]{3}$",
    "transactionId": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
    "sessionId": "^[A-Za-z0-9_-]{43}$",
    "Idempotency-Key": "^[A-Za-z0-9_-]{8,128}$",
    "limit": "^[0-9]{1,3}$",
    "cursor": "^[A-Za-z0-9_-]{1,512}\\.[A-Za-z0-9_-]{43}$",  # position . HMAC-SHA256, both base64url
}
DESCRIPTION_MAX = 200
PAGE_DEFAULT, PAGE_MAX = 20, 100
MAX_BODY_BYTES = 8 * 1024


def _string(name: str, description: str) -> dict[str, Any]:
    return {"type": "string", "pattern": PATTERNS[name], "description": description}


_DRAFT4 = "http://json-schema.org/draft-04/schema#"
_ERROR = {
    "$schema": _DRAFT4,
    "title": "ErrorDetail",
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "string", "description": "Machine-readable reason, e.g. ValidationError."},
        "message": {"type": "string"},
        "field": {"type": "string", "description": "The field, parameter or header the refusal concerns."},
    },
}
_PAYMENT_PROPERTIES: dict[str, Any] = {
    "customerId": _string("customerId", "The paying customer: the caller's own id (the token's subject)."),
    "amount": _string("amount", 'Decimal string, e.g. "12.50": positive, at most the currency\'s minor units.'),
    "currency": _string("currency", "ISO 4217 code, one of the environment's allowed currencies."),
    "description": {"type": "string", "maxLength": DESCRIPTION_MAX},
}

_PAYMENT: dict[str, Any] = {
    "$schema": _DRAFT4,
    "title": "Payment",
    "type": "object",
    "additionalProperties": False,
    "required": ["transactionId", "timestamp", "customerId", "amount", "currency", "status"],
    "properties": {
        "transactionId": {"type": "string", "pattern": PATTERNS["transactionId"]},
        "timestamp": {"type": "integer", "description": "Epoch milliseconds."},
        **_PAYMENT_PROPERTIES,
        "status": {"type": "string", "enum": ["RECORDED"]},
    },
}

# JSON Schema draft 4 (API Gateway's dialect). Request schemas become API Gateway models.
SCHEMAS: dict[str, dict[str, Any]] = {
    "PaymentRequest": {
        "$schema": _DRAFT4,
        "title": "PaymentRequest",
        "type": "object",
        "additionalProperties": False,
        "required": ["amount", "currency"],
        "properties": _PAYMENT_PROPERTIES,
    },
    "SessionRequest": {
        "$schema": _DRAFT4,
        "title": "SessionRequest",
        "type": "object",
        "additionalProperties": False,
        "properties": {"customerId": _PAYMENT_PROPERTIES["customerId"]},
    },
    "Payment": _PAYMENT,
    "PaymentPage": {
        "$schema": _DRAFT4,
        "title": "PaymentPage",
        "type": "object",
        "additionalProperties": False,
        "required": ["items", "nextCursor"],
        "properties": {
            "items": {"type": "array", "items": {k: v for k, v in _PAYMENT.items() if k != "$schema"}},
            "nextCursor": {"type": ["string", "null"], "description": "Pass as `cursor` for the next page."},
        },
    },
    "Session": {
        "$schema": _DRAFT4,
        "title": "Session",
        "type": "object",
        "additionalProperties": False,
        "required": ["sessionId", "customerId", "createdAt", "expiresAt"],
        "properties": {
            "sessionId": {"type": "string", "pattern": PATTERNS["sessionId"]},
            "customerId": {"type": "string", "pattern": PATTERNS["customerId"]},
            "createdAt": {"type": "integer", "description": "Epoch seconds."},
            "expiresAt": {"type": "integer", "description": "Epoch seconds; the session ends then."},
        },
    },
    "Error": {
        "$schema": _DRAFT4,
        "title": "Error",
        "type": "object",
        "required": ["error"],
        "properties": {"error": {k: v for k, v in _ERROR.items() if k != "$schema"}},
    },
    "ErrorDetail": _ERROR,
}


def fields(schema: str) -> tuple[frozenset[str], frozenset[str]]:
    """(allowed, required) property names of a request schema."""
    body = SCHEMAS[schema]
    return frozenset(body["properties"]), frozenset(body.get("required", ()))


@dataclass(frozen=True)
class Parameter:
    """A path, query-string or header parameter."""

    name: str
    location: str  # "path" | "query" | "header"
    required: bool
    description: str
    # An integer parameter's (minimum, maximum, default): clients send a number, which the
    # handler reads as text matching its pattern.
    integer: tuple[int, int, int] | None = None

    @property
    def pattern(self) -> str:
        return PATTERNS[self.name]

    @property
    def schema(self) -> dict[str, Any]:
        """The value's JSON Schema, as clients see it."""
        if self.integer is None:
            return {"type": "string", "pattern": self.pattern}
        minimum, maximum, default = self.integer
        return {"type": "integer", "minimum": minimum, "maximum": maximum, "default": default}


# Every route's handler waits on DynamoDB, retries its transient failures while the
# invocation has time, then answers 503 with Retry-After (lambda_code/common/retries.py):
# every route may answer it, whatever its own refusals, so it is declared here alone.
UNAVAILABLE = 503


@dataclass(frozen=True)
class Route:
    """One method on one path, served by one function, callable with any of `scopes`."""

    method: str
    path: str  # e.g. "/payments/{transactionId}"
    function: str  # the function's name, e.g. "payment-processor"
    operation_id: str
    summary: str
    scopes: tuple[str, ...]  # the token must carry at least one of these
    responses: dict[int, tuple[str, str | None]]  # status -> (description, schema name or None)
    parameters: tuple[Parameter, ...] = ()
    body: str | None = None  # request schema name
    refusals: tuple[int, ...] = field(default=(400, 401, 403))  # statuses every caller may meet

    @property
    def statuses(self) -> tuple[int, ...]:
        """Every error status its handler may answer: its refusals, and UNAVAILABLE."""
        return tuple(sorted({*self.refusals, UNAVAILABLE}))

    @property
    def path_parameters(self) -> list[str]:
        return [seg[1:-1] for seg in self.path.strip("/").split("/") if seg.startswith("{")]

    @property
    def customers_only(self) -> bool:
        return self.scopes == (CUSTOMER_SCOPE,)


def _path(name: str, description: str) -> Parameter:
    return Parameter(name, "path", True, description)


_TRANSACTION = _path("transactionId", "The payment's id (a UUID).")
_SESSION = _path("sessionId", "The session's id.")

ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "/payments",
        "payment-processor",
        "createPayment",
        "Record a payment for the calling customer, exactly once per Idempotency-Key.",
        scopes=(CUSTOMER_SCOPE,),
        parameters=(
            Parameter(
                "Idempotency-Key",
                "header",
                True,
                "Client-chosen key: a retry with the same key and body returns the same payment; "
                "with another body it is refused (422). Scoped to the caller.",
            ),
        ),
        body="PaymentRequest",
        responses={201: ("The recorded payment (also for a retry).", "Payment")},
        refusals=(400, 401, 403, 413, 422),
    ),
    Route(
        "GET",
        "/payments/{transactionId}",
        "payment-processor",
        "getPayment",
        "Read one payment: a customer reads only their own (another's answers as unknown).",
        scopes=(CUSTOMER_SCOPE, BACKOFFICE_READ),
        parameters=(_TRANSACTION,),
        responses={200: ("The payment.", "Payment")},
        refusals=(400, 401, 403, 404),
    ),
    Route(
        "GET",
        "/customers/{customerId}/payments",
        "payment-processor",
        "listCustomerPayments",
        "A customer's payments, newest first, paged: customers list only their own.",
        scopes=(CUSTOMER_SCOPE, BACKOFFICE_READ),
        parameters=(
            _path("customerId", "The customer's id (a customer's own: the token's subject)."),
            Parameter(
                "limit",
                "query",
                False,
                f"Page size, 1 to {PAGE_MAX} (default {PAGE_DEFAULT}).",
                integer=(1, PAGE_MAX, PAGE_DEFAULT),
            ),
            Parameter("cursor", "query", False, "`nextCursor` of the previous page."),
        ),
        responses={200: ("One page of payments.", "PaymentPage")},
        refusals=(400, 401, 403),
    ),
    Route(
        "POST",
        "/sessions",
        "session-manager",
        "createSession",
        "Start a session for the calling customer.",
        scopes=(CUSTOMER_SCOPE,),
        body="SessionRequest",
        responses={201: ("The new session.", "Session")},
        refusals=(400, 401, 403, 413),
    ),
    Route(
        "GET",
        "/sessions/{sessionId}",
        "session-manager",
        "getSession",
        "Read one of the caller's live sessions (expired or another's answer as unknown).",
        scopes=(CUSTOMER_SCOPE,),
        parameters=(_SESSION,),
        responses={200: ("The live session.", "Session")},
        refusals=(400, 401, 403, 404),
    ),
    Route(
        "DELETE",
        "/sessions/{sessionId}",
        "session-manager",
        "endSession",
        "End one of the caller's sessions (also answered 204 when it is already gone).",
        scopes=(CUSTOMER_SCOPE,),
        parameters=(_SESSION,),
        responses={204: ("Ended, or there was no such session of the caller's.", None)},
    ),
)

# Statuses any route may answer besides its own: API Gateway's throttling, and internal
# failures (the handler's 500, API Gateway's 502 when a function fails).
COMMON_RESPONSES: dict[int, str] = {
    400: "Refused: the named field, parameter or header is missing or invalid.",
    401: "No valid bearer token (missing, expired, altered, or from another issuer or client).",
    403: "The token may not call this route, or may not act on this customer.",
    404: "No such resource (another customer's answers the same).",
    413: "Body larger than 8 KiB.",
    422: "The Idempotency-Key was already used for a different request.",
    429: "Too many requests (the stage's throttling limit, or the edge's limit per client address): send the "
    "same request again after Retry-After seconds where it is given.",
    500: "Internal error; nothing is leaked and nothing was written.",
    502: "The function failed.",
    UNAVAILABLE: (
        "Temporarily unable to answer (DynamoDB throttled, failed or kept conflicting for longer than the function "
        "may run): send the same request again after Retry-After seconds, a payment with the same Idempotency-Key."
    ),
}
# Headers of the statuses above that carry any: name -> description.
COMMON_RESPONSE_HEADERS: dict[int, dict[str, str]] = {
    429: {"Retry-After": "Seconds to wait before retrying (sent by the stage's throttling)."},
    UNAVAILABLE: {"Retry-After": "Seconds to wait before retrying."},
}

# The `error.code` each error status may carry -> an example message, whoever answers:
# the handlers (lambda_code), API Gateway's gateway responses (blueprints.stacks.api: a DEFAULT_4XX
# answer names its response type) and the web ACLs (blueprints.blocks.web_acl).
# Codes are for branching on; messages are for people and may change.
ERROR_CODES: dict[int, dict[str, str]] = {
    400: {"ValidationError": 'amount: must be a decimal string such as "12.50"'},
    401: {"Unauthorized": "Unauthorized"},
    403: {
        "Forbidden": "customerId: a customer lists only their own payments",
        "MISSING_AUTHENTICATION_TOKEN": "Missing Authentication Token",
    },
    404: {"NotFound": "transactionId: no such payment"},
    413: {"PayloadTooLarge": f"body: larger than {MAX_BODY_BYTES} bytes"},
    422: {"IdempotencyKeyReused": "Idempotency-Key: already used for a different request"},
    429: {"THROTTLED": "Too Many Requests", "TooManyRequests": "too many requests from this address"},
    500: {"InternalError": "internal error"},
    502: {"InternalError": "internal error"},
    UNAVAILABLE: {"ServiceUnavailable": "temporarily unable to answer: send the same request again after Retry-After"},
}

# One example of every value, body and parameter (the OpenAPI document's examples; a test
# checks each against its schema and pattern).
_CUSTOMER_ID = "3f0c9a52-7d1e-4b8a-9c6f-2e5d8b1a4c70"  # a Cognito user's `sub`
EXAMPLE_VALUES: dict[str, Any] = {
    "customerId": _CUSTOMER_ID,
    "transactionId": "b7e2d3c1-5a4f-4e6b-8d9c-0a1b2c3d4e5f",
    "sessionId": "Zk3xQ9v_Lm2Rt8Yp-Wq4Nc7Hs1Dj6Gb0Ae5Uo3Ii9Kl",
    "Idempotency-Key": "order-1001",
    "limit": 20,
    "cursor": "eyJ0IjoxNzY3MjI1NjAwMDAwfQ.mQ3vR8sT1uW4xY7zA0bC2dE5fG8hJ1kL3mN6pQ9rS2t",
}
_EXAMPLE_PAYMENT = {
    "transactionId": EXAMPLE_VALUES["transactionId"],
    "timestamp": 1767225600000,
    "customerId": _CUSTOMER_ID,
    "amount": "12.50",
    "currency": "EUR",
    "description": "Order 1001",
    "status": "RECORDED",
}
EXAMPLES: dict[str, Any] = {
    "PaymentRequest": {"amount": "12.50", "currency": "EUR", "description": "Order 1001"},
    "SessionRequest": {},
    "Payment": _EXAMPLE_PAYMENT,
    "PaymentPage": {"items": [_EXAMPLE_PAYMENT], "nextCursor": EXAMPLE_VALUES["cursor"]},
    "Session": {
        "sessionId": EXAMPLE_VALUES["sessionId"],
        "customerId": _CUSTOMER_ID,
        "createdAt": 1767225600,
        "expiresAt": 1767229200,
    },
}


def routes_of(function: str) -> tuple[Route, ...]:
    """The routes served by one function."""
    return tuple(r for r in ROUTES if r.function == function)
