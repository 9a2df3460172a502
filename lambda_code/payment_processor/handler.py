"""Payment processor behind the API (API Gateway proxy events); the routes, their callers
and their schemas are the API contract's (`contract`).

POST /payments                       record a payment for the calling customer, exactly
                                     once per (customer, Idempotency-Key)
GET  /payments/{transactionId}       read one: a customer only their own (another's is
                                     answered exactly as an unknown one), back office any
GET  /customers/{customerId}/payments  a customer's payments, newest first, paged: a
                                     customer only their own, back office any

Exactly-once: the payment and its idempotency record are written in ONE DynamoDB
transaction, each conditional on not existing. Of any number of concurrent identical
requests one transaction commits; the others read the committed record and answer with
the same payment. A record and its payment therefore never exist without each other, and
a refused or failed request writes nothing.

Races and throttling (common.retries): while one of the identical requests commits,
DynamoDB cancels the others' transactions with `TransactionConflict`, and a throttled table
refuses any of them; each is tried again, within the invocation's time, until it commits or
finds the winner's record, so a raced duplicate is answered with the one payment. A record
not visible yet is read again the same way, by trying the whole transaction again: the
winner's record fails its condition again (then it is read), and a record that expired and
was deleted meanwhile no longer counts (then this request records the payment). Reads
retry the same failures. What still fails when the time is up is answered 503 with
Retry-After, never 500: nothing was written by this request, and its retry is safe.

Metrics (common.metrics; the router adds refusals and cold starts): `PaymentsRecorded`
when a payment is written, `IdempotentReplays` when a retry is answered with the payment
an earlier request recorded.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
import uuid
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError
from common.api import (
    Api,
    ApiError,
    Caller,
    Event,
    Response,
    bad_request,
    environment,
    header,
    json_body,
    json_response,
    path_parameter,
    query_parameter,
)
from common.clients import ahead_of_traffic, client
from common.dynamodb import from_item, to_item
from common.metrics import Metrics
from common.retries import NotYet, retrying
from contract import DESCRIPTION_MAX, PAGE_DEFAULT, PAGE_MAX, PATTERNS

SETTINGS = environment(
    "TRANSACTIONS_TABLE",
    "IDEMPOTENCY_TABLE",
    "CURSOR_SECRET_ARN",
    "MAX_PAYMENT_AMOUNT",
    "ALLOWED_CURRENCIES",
    "IDEMPOTENCY_TTL_SECONDS",
)
CUSTOMER_INDEX = "CustomerIndex"
# ISO 4217 minor units of the currencies this service may be configured to accept.
MINOR_UNITS = {"EUR": 2, "USD": 2, "GBP": 2, "CHF": 2, "SEK": 2, "NOK": 2, "DKK": 2, "PLN": 2, "JPY": 0}
CURRENCIES = frozenset(SETTINGS["ALLOWED_CURRENCIES"].split(","))
if not MINOR_UNITS.keys() >= CURRENCIES:
    raise RuntimeError(f"ALLOWED_CURRENCIES names unknown currencies: {sorted(CURRENCIES - MINOR_UNITS.keys())}")
MAX_AMOUNT = Decimal(SETTINGS["MAX_PAYMENT_AMOUNT"])
IDEMPOTENCY_TTL = int(SETTINGS["IDEMPOTENCY_TTL_SECONDS"])
CUSTOMER_ID, IDEMPOTENCY_KEY, LIMIT, AMOUNT, TRANSACTION_ID, CURSOR = (
    re.compile(PATTERNS[name])
    for name in ("customerId", "Idempotency-Key", "limit", "amount", "transactionId", "cursor")
)

TRANSACTIONS = SETTINGS["TRANSACTIONS_TABLE"]
IDEMPOTENCY = SETTINGS["IDEMPOTENCY_TABLE"]

# Every route reads or writes DynamoDB; only cursors need Secrets Manager (common.clients).
ahead_of_traffic("dynamodb")
METRICS = Metrics()  # shares the invocation's metrics with the router, which writes them


def create_payment(event: Event, caller: Caller) -> Response:
    key = header(event, "Idempotency-Key")
    if key is None or not IDEMPOTENCY_KEY.fullmatch(key):
        raise bad_request("Idempotency-Key", "header required: 8-128 letters, digits, '-' or '_'")
    body = json_body(event, "PaymentRequest")
    if body.get("customerId", caller.id) != caller.id:
        raise ApiError(403, "Forbidden", "customerId: a customer pays only as themselves", "customerId")
    request = _payment_request({**body, "customerId": caller.id})
    # The same payment written as "12.5" or "12.50" is the same request.
    canonical = json.dumps(request, sort_keys=True, default=lambda d: str(d.normalize()))
    fingerprint = hashlib.sha256(canonical.encode()).hexdigest()
    now = time.time()
    payment = {
        "transactionId": str(uuid.uuid4()),
        "timestamp": int(now * 1000),
        **request,
        "status": "RECORDED",
    }
    record = {
        # Keys are the caller's own: two customers' equal keys are two different requests.
        "idempotencyKey": f"{caller.id}/{key}",
        "requestHash": fingerprint,
        "transactionId": payment["transactionId"],
        "timestamp": payment["timestamp"],
        "expiresAt": int(now) + IDEMPOTENCY_TTL,
    }
    return retrying(lambda: _record(payment, record))


def _record(payment: dict[str, Any], record: dict[str, Any]) -> Response:
    """One attempt at recording the payment and its idempotency record, or at answering with
    the payment an earlier request recorded with this key."""
    try:
        client("dynamodb").transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": IDEMPOTENCY,
                        "Item": to_item(record),
                        # An expired record that DynamoDB has not removed yet does not count.
                        "ConditionExpression": "attribute_not_exists(idempotencyKey) OR expiresAt < :now",
                        "ExpressionAttributeValues": to_item({":now": int(time.time())}),
                    }
                },
                {
                    "Put": {
                        "TableName": TRANSACTIONS,
                        "Item": to_item(payment),
                        "ConditionExpression": "attribute_not_exists(transactionId)",
                    }
                },
            ]
        )
    except ClientError as err:
        if not _lost_to_an_earlier_request(err):
            raise
        return _replay(record)
    METRICS.add_metric("PaymentsRecorded")
    return json_response(201, _public(payment))


def _lost_to_an_earlier_request(err: ClientError) -> bool:
    """True when the transaction was cancelled because the idempotency key exists."""
    if err.response["Error"]["Code"] != "TransactionCanceledException":
        return False
    reasons = err.response.get("CancellationReasons") or []
    return bool(reasons) and reasons[0].get("Code") == "ConditionalCheckFailed"


def _replay(ours: dict[str, Any]) -> Response:
    """The payment an earlier request recorded under our key, if it was this same request
    (its fingerprint); another request's key is refused."""
    record = _get_item(IDEMPOTENCY, {"idempotencyKey": ours["idempotencyKey"]})
    if record["requestHash"] != ours["requestHash"]:
        raise ApiError(
            422, "IdempotencyKeyReused", "Idempotency-Key: already used for a different request", "Idempotency-Key"
        )
    stored = _get_item(TRANSACTIONS, {"transactionId": record["transactionId"], "timestamp": record["timestamp"]})
    METRICS.add_metric("IdempotentReplays")
    return json_response(201, _public(stored))


def _get_item(table: str, key: dict[str, Any]) -> dict[str, Any]:
    """An item that another request has recorded, read consistently; `NotYet` (retried by
    the caller's `retrying`) while it cannot be read."""
    found = client("dynamodb").get_item(TableName=table, Key=to_item(key), ConsistentRead=True).get("Item")
    if found is None:
        raise NotYet(f"no item yet in {table}")
    return from_item(found)


def _payment_request(body: dict[str, Any]) -> dict[str, Any]:
    customer_id = body["customerId"]
    if not isinstance(customer_id, str) or not CUSTOMER_ID.fullmatch(customer_id):
        raise bad_request("customerId", "1-64 letters, digits, '-' or '_'")
    currency = body["currency"]
    if not isinstance(currency, str) or currency not in CURRENCIES:
        raise bad_request("currency", f"must be one of {', '.join(sorted(CURRENCIES))}")
    amount = body["amount"]
    if not isinstance(amount, str) or not AMOUNT.fullmatch(amount):
        raise bad_request("amount", 'must be a decimal string such as "12.50"')
    value = Decimal(amount)
    if value <= 0:
        raise bad_request("amount", "must be positive")
    if -value.as_tuple().exponent > MINOR_UNITS[currency]:  # type: ignore[operator]
        raise bad_request("amount", f"{currency} has {MINOR_UNITS[currency]} decimal places at most")
    if value > MAX_AMOUNT:
        raise bad_request("amount", f"must not exceed {MAX_AMOUNT}")
    request = {"customerId": customer_id, "amount": value, "currency": currency}
    if "description" in body:
        description = body["description"]
        if not isinstance(description, str) or len(description) > DESCRIPTION_MAX or not description.isprintable():
            raise bad_request("description", f"printable text of at most {DESCRIPTION_MAX} characters")
        request["description"] = description
    return request


def get_payment(event: Event, caller: Caller) -> Response:
    transaction_id = path_parameter(event, "transactionId")
    if not TRANSACTION_ID.fullmatch(transaction_id):
        raise bad_request("transactionId", "must be a UUID in lower case")
    found, _ = _query(
        TableName=TRANSACTIONS,
        KeyConditionExpression="transactionId = :id",
        ExpressionAttributeValues=to_item({":id": transaction_id}),
        Limit=1,
    )
    # Another customer's payment is answered exactly as an unknown one: nothing says it exists
    # (but the metrics count it as an authorization refusal).
    someone_elses = bool(found) and caller.is_customer and found[0]["customerId"] != caller.id
    if not found or someone_elses:
        raise ApiError(404, "NotFound", "transactionId: no such payment", "transactionId", authorization=someone_elses)
    return json_response(200, _public(found[0]))


def list_payments(event: Event, caller: Caller) -> Response:
    customer_id = path_parameter(event, "customerId")
    if not CUSTOMER_ID.fullmatch(customer_id):
        raise bad_request("customerId", "1-64 letters, digits, '-' or '_'")
    if caller.is_customer and customer_id != caller.id:
        raise ApiError(403, "Forbidden", "customerId: a customer lists only their own payments", "customerId")
    limit_text = query_parameter(event, "limit")
    if limit_text is None:
        limit = PAGE_DEFAULT
    elif LIMIT.fullmatch(limit_text) and 1 <= int(limit_text) <= PAGE_MAX:
        limit = int(limit_text)
    else:
        raise bad_request("limit", f"must be a whole number from 1 to {PAGE_MAX}")
    query: dict[str, Any] = {
        "TableName": TRANSACTIONS,
        "IndexName": CUSTOMER_INDEX,
        "KeyConditionExpression": "customerId = :customer",
        "ExpressionAttributeValues": to_item({":customer": customer_id}),
        "ScanIndexForward": False,  # newest first
        "Limit": limit,
    }
    cursor = query_parameter(event, "cursor")
    if cursor is not None:
        query["ExclusiveStartKey"] = to_item(_read_cursor(cursor, customer_id))
    found, last = _query(**query)
    return json_response(
        200, {"items": [_public(item) for item in found], "nextCursor": _make_cursor(last) if last else None}
    )


def _query(**query: Any) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One page of a query as plain values: its items, and the key after it (None after the last)."""
    page = retrying(lambda: client("dynamodb").query(**query))
    last = page.get("LastEvaluatedKey")
    return [from_item(item) for item in page["Items"]], from_item(last) if last else None


# The signing keys are read again after this many seconds, so a rotation reaches running
# containers; only list requests need them.
KEYS_READ_SECONDS = 300
_keys: dict[str, Any] = {}


def _cursor_keys() -> tuple[bytes, ...]:
    """The cursor signing keys, newest first: the current one signs; the previous one still
    verifies cursors handed out just before the key was rotated (a rotation moves the
    current key to AWSPREVIOUS)."""
    if _keys and time.monotonic() - _keys["read"] < KEYS_READ_SECONDS:
        return tuple(_keys["values"])
    secret = SETTINGS["CURSOR_SECRET_ARN"]
    values = [retrying(lambda: _secret(secret, "AWSCURRENT"))]
    try:
        values.append(retrying(lambda: _secret(secret, "AWSPREVIOUS")))
    except ClientError as err:
        if err.response["Error"]["Code"] != "ResourceNotFoundException":
            raise  # before the first rotation there is no previous key
    _keys.update(read=time.monotonic(), values=values)
    return tuple(values)


def _secret(secret: str, stage: str) -> bytes:
    value: str = client("secretsmanager").get_secret_value(SecretId=secret, VersionStage=stage)["SecretString"]
    return value.encode()


def _signature(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())


def _make_cursor(last_key: dict[str, Any]) -> str:
    position = {"c": last_key["customerId"], "t": int(last_key["timestamp"]), "id": last_key["transactionId"]}
    payload = _b64(json.dumps(position, separators=(",", ":")).encode())
    return f"{payload}.{_signature(_cursor_keys()[0], payload)}"


def _read_cursor(cursor: str, customer_id: str) -> dict[str, Any]:
    """The position a cursor encodes, if this service signed it for this customer."""
    if not CURSOR.fullmatch(cursor):
        raise bad_request("cursor", "invalid or altered cursor")
    payload, _, signature = cursor.partition(".")
    if not signature or not any(hmac.compare_digest(signature, _signature(k, payload)) for k in _cursor_keys()):
        raise bad_request("cursor", "invalid or altered cursor")
    try:
        position = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        start = {"customerId": position["c"], "timestamp": int(position["t"]), "transactionId": position["id"]}
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise bad_request("cursor", "invalid or altered cursor") from None
    if start["customerId"] != customer_id:
        raise bad_request("cursor", "belongs to another customer")
    return start


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _public(item: dict[str, Any]) -> dict[str, Any]:
    """A stored payment as the API returns it: the amount an exact decimal string."""
    public = {k: item[k] for k in ("transactionId", "customerId", "currency", "status")}
    public["timestamp"] = int(item["timestamp"])
    # '12.5' -> '12.50' in a two-decimal currency: exact, never through float.
    places = MINOR_UNITS.get(item["currency"], 2)
    public["amount"] = str(Decimal(item["amount"]).quantize(Decimal(1).scaleb(-places)))
    if "description" in item:
        public["description"] = item["description"]
    return public


handler = Api(
    "payment-processor",
    {"createPayment": create_payment, "getPayment": get_payment, "listCustomerPayments": list_payments},
)
