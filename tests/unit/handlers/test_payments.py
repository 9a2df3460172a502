"""POST /payments, GET /payments/{id}, GET /customers/{id}/payments."""

from __future__ import annotations

import io
import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.core.botocore_stubber import BotocoreStubber

from blueprints.contract import BACKOFFICE_READ
from blueprints.stacks.functions import FunctionsConfig
from tests.unit.handlers.conftest import (
    CUSTOMER,
    backoffice,
    body,
    clients_made,
    customer,
    event,
    items,
    watch_client_creation,
)

KEY = {"Idempotency-Key": "key-00000001"}
PAYMENT = {"customerId": "cust-1", "amount": "12.50", "currency": "EUR"}


@pytest.fixture
def pay(aws, load):
    return load("payment_processor").handler


def _post(pay, payload=PAYMENT, headers=KEY, **kwargs):
    return pay(event("POST", "/payments", payload, headers=headers, **kwargs), None)


def test_a_payment_is_recorded_and_returned(pay, aws):
    response = _post(pay, {**PAYMENT, "description": "coffee"})
    assert response["statusCode"] == 201
    payment = body(response)
    assert set(payment) == {"transactionId", "timestamp", "customerId", "amount", "currency", "status", "description"}
    assert (payment["amount"], payment["currency"], payment["customerId"]) == ("12.50", "EUR", "cust-1")
    uuid.UUID(payment["transactionId"])
    (stored,) = items(aws["TRANSACTIONS_TABLE"])
    assert Decimal(stored["amount"]["N"]) == Decimal("12.50")
    assert stored["timestamp"] == {"N": str(payment["timestamp"])}
    read = pay(event("GET", "/payments/{transactionId}", transactionId=payment["transactionId"]), None)
    assert read["statusCode"] == 200 and body(read) == payment


def test_a_retry_with_the_same_key_returns_the_same_payment_and_writes_nothing(pay, aws):
    first = body(_post(pay))
    for payload in (PAYMENT, {**PAYMENT, "amount": "12.5"}):  # the same amount, written differently
        again = _post(pay, payload)
        assert again["statusCode"] == 201 and body(again) == first
    assert len(items(aws["TRANSACTIONS_TABLE"])) == 1
    assert len(items(aws["IDEMPOTENCY_TABLE"])) == 1


def test_the_same_key_with_another_body_is_refused(pay, aws):
    _post(pay)
    refused = _post(pay, {**PAYMENT, "amount": "13.00"})
    assert refused["statusCode"] == 422
    assert body(refused)["error"] == {
        "code": "IdempotencyKeyReused",
        "message": "Idempotency-Key: already used for a different request",
        "field": "Idempotency-Key",
    }
    assert len(items(aws["TRANSACTIONS_TABLE"])) == 1


def test_fifty_concurrent_identical_requests_make_one_payment(pay, aws, monkeypatch, capsys):
    # moto's DynamoDB is not thread-safe (a cancelled transaction restores an old copy of
    # the table): one lock makes each mocked call atomic, as each DynamoDB call is.
    lock = threading.Lock()
    original = BotocoreStubber.__call__

    def atomic(self, *args, **kwargs):
        with lock:
            return original(self, *args, **kwargs)

    monkeypatch.setattr(BotocoreStubber, "__call__", atomic)
    created = watch_client_creation(monkeypatch)
    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(lambda _: _post(pay, headers={"Idempotency-Key": "same-key-50"}), range(50)))
    assert {r["statusCode"] for r in responses} == {201}
    assert len({body(r)["transactionId"] for r in responses}) == 1
    assert len(items(aws["TRANSACTIONS_TABLE"])) == 1
    assert created == ["dynamodb"]  # fifty concurrent first requests made one client
    # One payment recorded, 49 replays: however the invocations' lines interleave, each is counted once.
    counted: dict[str, float] = {}
    for line in capsys.readouterr().out.splitlines():
        if line.startswith('{"_aws"'):
            for name, values in json.loads(line).items():
                if name in ("PaymentsRecorded", "IdempotentReplays"):
                    counted[name] = counted.get(name, 0) + sum(values)
    assert counted == {"PaymentsRecorded": 1, "IdempotentReplays": 49}


@pytest.mark.parametrize(
    ("payload", "field", "status"),
    [
        ({**PAYMENT, "amount": 12.5}, "amount", 400),  # a JSON number, not an exact decimal string
        ({**PAYMENT, "amount": "-1.00"}, "amount", 400),
        ({**PAYMENT, "amount": "0"}, "amount", 400),
        ({**PAYMENT, "amount": "0.00"}, "amount", 400),
        ({**PAYMENT, "amount": "12.345"}, "amount", 400),
        ({**PAYMENT, "amount": "1e3"}, "amount", 400),
        ({**PAYMENT, "amount": "10000.01"}, "amount", 400),
        ({**PAYMENT, "amount": "NaN"}, "amount", 400),
        ({**PAYMENT, "amount": "10.5", "currency": "JPY"}, "amount", 400),
        ({**PAYMENT, "currency": "XXX"}, "currency", 400),
        ({**PAYMENT, "currency": "eur"}, "currency", 400),
        ({**PAYMENT, "currency": "CHF"}, "currency", 400),  # known, but not allowed here
        ({**PAYMENT, "customerId": "a b"}, "customerId", 403),
        ({**PAYMENT, "customerId": "c" * 65}, "customerId", 403),
        ({**PAYMENT, "customerId": 7}, "customerId", 403),
        ({**PAYMENT, "customerId": "cust-1\n"}, "customerId", 403),  # `$` alone would let this through
        ({**PAYMENT, "description": "x" * 201}, "description", 400),
        ({**PAYMENT, "description": "line\nbreak"}, "description", 400),
        ({**PAYMENT, "extra": 1}, "extra", 400),
        ([PAYMENT], "body", 400),
    ],
)
def test_invalid_payments_are_refused_naming_the_field_and_nothing_is_written(pay, aws, payload, field, status):
    response = _post(pay, payload)
    assert response["statusCode"] == status
    error = body(response)["error"]
    assert error["field"] == field and error["message"].startswith(f"{field}: ")
    assert items(aws["TRANSACTIONS_TABLE"]) == [] and items(aws["IDEMPOTENCY_TABLE"]) == []


@pytest.mark.parametrize(
    ("raw", "status", "field"),
    [("{not json", 400, "body"), ("NaN", 400, "body"), ("x" * 9000, 413, "body"), ("", 400, "body")],
)
def test_malformed_bodies_are_refused(pay, aws, raw, status, field):
    response = pay(event("POST", "/payments", headers=KEY, raw_body=raw), None)
    assert response["statusCode"] == status and body(response)["error"]["field"] == field


def test_base64_bodies_are_refused(pay, aws):
    request = event("POST", "/payments", PAYMENT, headers=KEY)
    request["isBase64Encoded"] = True
    assert pay(request, None)["statusCode"] == 400


@pytest.mark.parametrize("headers", [{}, {"Idempotency-Key": "short"}, {"Idempotency-Key": "has space here"}])
def test_the_idempotency_key_is_required_and_checked(pay, aws, headers):
    response = _post(pay, headers=headers)
    assert response["statusCode"] == 400 and body(response)["error"]["field"] == "Idempotency-Key"


def test_the_idempotency_header_is_case_insensitive(pay, aws):
    assert _post(pay, headers={"idempotency-key": "lower-case-key"})["statusCode"] == 201


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("10000.00"), places=2, allow_nan=False),
    st.sampled_from(["EUR", "USD", "GBP"]),
)
def test_every_valid_amount_round_trips_exactly(pay, aws, amount, currency):
    text = f"{amount:.2f}"
    response = _post(
        pay, {**PAYMENT, "amount": text, "currency": currency}, headers={"Idempotency-Key": uuid.uuid4().hex}
    )
    assert response["statusCode"] == 201
    assert body(response)["amount"] == text


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.text(max_size=20),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.none(),
        st.lists(st.integers(), max_size=2),
    )
)
def test_any_amount_is_either_accepted_or_refused_never_a_server_error(pay, aws, amount):
    response = _post(pay, {**PAYMENT, "amount": amount}, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert response["statusCode"] in (201, 400)
    if response["statusCode"] == 400:
        assert body(response)["error"]["field"] == "amount"


def test_unknown_and_malformed_transaction_ids(pay, aws):
    unknown = pay(event("GET", "/payments/{transactionId}", transactionId=str(uuid.uuid4())), None)
    assert unknown["statusCode"] == 404 and body(unknown)["error"]["field"] == "transactionId"
    for bad in ("nope", "12345678-1234-1234-1234-1234567890123", "{" + str(uuid.uuid4()) + "}"):
        malformed = pay(event("GET", "/payments/{transactionId}", transactionId=bad), None)
        assert malformed["statusCode"] == 400, bad


def _list(pay, customer_id="cust-1", claims=CUSTOMER, **query):
    request = event(
        "GET", "/customers/{customerId}/payments", query=query or None, claims=claims, customerId=customer_id
    )
    return pay(request, None)


def test_a_customers_payments_are_listed_newest_first_in_pages(pay, aws, monkeypatch):
    clock = iter(range(1_800_000_000, 1_800_000_100))
    handler_module = pay.routes[("POST", "/payments")][1].__globals__
    monkeypatch.setattr(handler_module["time"], "time", lambda: next(clock))
    made = [
        body(_post(pay, {**PAYMENT, "amount": f"{i}.00"}, headers={"Idempotency-Key": f"key-list-{i:04d}"}))
        for i in range(1, 6)
    ]
    _post(
        pay, {**PAYMENT, "customerId": "other"}, headers={"Idempotency-Key": "key-other-01"}, claims=customer("other")
    )
    seen, cursor = [], None
    while True:
        page = body(_list(pay, limit="2", **({"cursor": cursor} if cursor else {})))
        assert len(page["items"]) <= 2
        seen += page["items"]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert [p["transactionId"] for p in seen] == [p["transactionId"] for p in reversed(made)]
    assert body(_list(pay))["items"] == list(reversed(made))  # default page size holds all five


def test_cursors_are_tamper_checked(pay, aws):
    for i in range(3):
        _post(pay, {**PAYMENT, "amount": f"{i + 1}.00"}, headers={"Idempotency-Key": f"key-cursor-{i}"})
    cursor = body(_list(pay, limit="1"))["nextCursor"]
    payload, _, signature = cursor.partition(".")
    forged_payload = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB")
    for bad in (forged_payload + "." + signature, payload + "." + signature[::-1], payload, "garbage", "a.b"):
        response = _list(pay, cursor=bad)
        assert response["statusCode"] == 400 and body(response)["error"]["field"] == "cursor", bad
    assert _list(pay, cursor=cursor)["statusCode"] == 200
    other = _list(pay, customer_id="cust-2", claims=backoffice(BACKOFFICE_READ), cursor=cursor)
    assert other["statusCode"] == 400 and "another customer" in body(other)["error"]["message"]


def test_a_validly_signed_cursor_with_a_broken_payload_is_refused(pay, aws, load):
    module = pay.routes[("GET", "/customers/{customerId}/payments")][1].__globals__
    payload = module["_b64"](b"not json")
    signature = module["_b64"](module["hmac"].new(b"k" * 64, payload.encode(), module["hashlib"].sha256).digest())
    response = _list(pay, cursor=f"{payload}.{signature}")
    assert response["statusCode"] == 400


@pytest.mark.parametrize("limit", ["0", "101", "ten", "-1", "", "\u00b2", "1\n"])
def test_list_limits(pay, aws, limit):
    response = _list(pay, limit=limit)
    assert response["statusCode"] == 400 and body(response)["error"]["field"] == "limit"


def test_list_refuses_a_bad_customer_id(pay, aws):
    assert _list(pay, customer_id="bad id")["statusCode"] == 400


def test_unknown_routes_and_wrong_methods(pay, aws):
    assert pay(event("GET", "/refunds"), None)["statusCode"] == 404
    wrong = pay(event("DELETE", "/payments/{transactionId}", transactionId=str(uuid.uuid4())), None)
    assert wrong["statusCode"] == 405 and wrong["headers"]["Allow"] == "GET"


def test_an_internal_failure_is_a_500_that_leaks_nothing_and_writes_nothing(pay, aws, monkeypatch, capsys):
    module = pay.routes[("POST", "/payments")][1].__globals__
    client = module["client"]("dynamodb")

    def broken(**kwargs):
        raise RuntimeError(f"connection to {aws['TRANSACTIONS_TABLE']} lost")

    monkeypatch.setattr(client, "transact_write_items", broken)
    response = _post(pay)
    assert response["statusCode"] == 500
    assert body(response) == {"error": {"code": "InternalError", "message": "internal error"}}
    assert aws["TRANSACTIONS_TABLE"] not in response["body"]
    assert items(aws["TRANSACTIONS_TABLE"]) == [] and items(aws["IDEMPOTENCY_TABLE"]) == []


def test_a_failed_transaction_leaves_both_tables_as_they_were(pay, aws, monkeypatch):
    """The idempotency record and the payment are one transaction: one cannot exist alone."""
    module = pay.routes[("POST", "/payments")][1].__globals__
    monkeypatch.setitem(module, "TRANSACTIONS", "no-such-table")  # the second write of the transaction fails
    assert _post(pay)["statusCode"] == 500
    assert items(aws["TRANSACTIONS_TABLE"]) == [] and items(aws["IDEMPOTENCY_TABLE"]) == []


def test_logs_are_structured_with_the_request_id_and_no_customer_data(pay, aws, monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr(pay.logger.registered_handler, "stream", stream)
    _post(pay, {**PAYMENT, "description": "secret purchase"})
    _post(pay, {**PAYMENT, "amount": "-3.00"}, headers={"Idempotency-Key": "key-refused-1"})
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines, "no structured log lines"
    assert all(line["correlation_id"] == "req-123" for line in lines)
    assert {line.get("status") for line in lines} >= {201, 400}
    assert any(line.get("field") == "amount" for line in lines)
    text = json.dumps(lines)
    assert "12.50" not in text and "secret purchase" not in text


def test_missing_configuration_is_reported_at_cold_start(aws, load, monkeypatch):
    monkeypatch.delenv("IDEMPOTENCY_TABLE")
    monkeypatch.delenv("CURSOR_SECRET_ARN")
    with pytest.raises(RuntimeError, match="missing environment variables: IDEMPOTENCY_TABLE, CURSOR_SECRET_ARN"):
        load("payment_processor")


def test_unknown_currencies_in_configuration_are_reported_at_cold_start(aws, load, monkeypatch):
    monkeypatch.setenv("ALLOWED_CURRENCIES", "EUR,XXX")
    with pytest.raises(RuntimeError, match=r"unknown currencies: \['XXX'\]"):
        load("payment_processor")


def test_every_currency_the_configuration_allows_has_known_minor_units(pay):
    module = pay.routes[("POST", "/payments")][1].__globals__
    # Every currency the configuration may allow has known minor units in the handler.
    currencies = FunctionsConfig.model_fields["allowed_currencies"].annotation.__args__[0].__args__
    assert set(currencies) == set(module["MINOR_UNITS"])


def test_clients_are_made_on_first_use_once_per_container_and_secrets_manager_only_for_cursors(pay, aws, monkeypatch):
    assert clients_made() == []  # importing the handler made no client (Lambda initialised it on demand)
    created = watch_client_creation(monkeypatch)
    for i in range(3):
        _post(pay, {**PAYMENT, "amount": f"{i + 1}.00"}, headers={"Idempotency-Key": f"key-lazy-{i}"})
    assert body(_list(pay))["nextCursor"] is None  # one page: no cursor, so no Secrets Manager client
    assert created == ["dynamodb"]  # made on the first request, then reused
    cursor = body(_list(pay, limit="1"))["nextCursor"]
    for _ in range(3):
        assert _list(pay, limit="1", cursor=cursor)["statusCode"] == 200
    assert created == ["dynamodb", "secretsmanager"]  # Secrets Manager's on the first cursor, then reused


@pytest.mark.parametrize(
    ("initialisation", "at_import"),
    [("on-demand", []), ("provisioned-concurrency", ["dynamodb"]), ("snap-start", ["dynamodb"])],
)
def test_a_container_initialised_ahead_of_traffic_makes_its_dynamodb_client_then(
    aws, load, monkeypatch, initialisation, at_import
):
    """Nobody waits for a provisioned (or SnapStart) container's initialisation: the client
    every route needs is made there, not on the first request."""
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", initialisation)
    module = load("payment_processor")
    assert clients_made() == at_import
    assert _post(module.handler)["statusCode"] == 201
    assert clients_made() == ["dynamodb"]
