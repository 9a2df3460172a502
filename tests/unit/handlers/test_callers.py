"""Who may call what: the caller comes from the verified token only; customers act on
their own payments and sessions, back-office clients read, and nothing runs without a
verified access token (defence in depth behind the API's authorizer)."""

from __future__ import annotations

import sys

import pytest

from blueprints.contract import BACKOFFICE_READ, CUSTOMER_SCOPE, ROUTES, routes_of
from tests.unit.handlers.conftest import CUSTOMER, backoffice, body, customer, event, items

PAYMENT = {"amount": "12.50", "currency": "EUR"}
KEY = {"Idempotency-Key": "key-00000001"}
OTHER = customer("cust-2")


@pytest.fixture
def pay(aws, load):
    return load("payment_processor").handler


@pytest.fixture
def sessions(aws, load):
    return load("session_manager").handler


def _pay(pay, claims=CUSTOMER, payload=PAYMENT, headers=KEY):
    return pay(event("POST", "/payments", payload, headers=headers, claims=claims), None)


def _request(route, claims):
    """A well-formed request for `route` from `claims`."""
    path = {p: "0" * 43 if p == "sessionId" else "cust-1" for p in route.path_parameters}
    if "transactionId" in path:
        path["transactionId"] = "00000000-0000-4000-8000-000000000000"
    body_ = PAYMENT if route.body == "PaymentRequest" else {} if route.body else None
    return event(route.method, route.path, body_, headers=KEY, claims=claims, **path)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
@pytest.mark.parametrize(
    "claims",
    [
        None,  # invoked around the authorizer
        {"sub": "cust-1", "token_use": "id", "scope": CUSTOMER_SCOPE, "username": "u"},  # an ID token
        {"token_use": "access", "scope": CUSTOMER_SCOPE},  # no subject
    ],
    ids=["no claims", "id token", "no subject"],
)
def test_without_a_verified_access_token_every_route_answers_401_and_writes_nothing(aws, load, route, claims):
    handler = load(route.function.replace("-", "_")).handler
    response = handler(_request(route, claims), None)
    assert response["statusCode"] == 401
    assert body(response)["error"] == {
        "code": "Unauthorized",
        "message": "Authorization: no verified access token",
        "field": "Authorization",
    }
    assert all(items(table) == [] for key, table in aws.items() if key.endswith("_TABLE"))


@pytest.mark.parametrize("route", [r for r in ROUTES if r.customers_only], ids=lambda r: f"{r.method} {r.path}")
def test_a_back_office_client_may_not_use_customer_routes(aws, load, route):
    handler = load(route.function.replace("-", "_")).handler
    response = handler(_request(route, backoffice(BACKOFFICE_READ)), None)
    assert response["statusCode"] == 403 and body(response)["error"]["code"] == "Forbidden"
    assert all(items(table) == [] for key, table in aws.items() if key.endswith("_TABLE"))


def test_a_client_without_a_scope_of_the_route_is_refused(pay):
    read = event("GET", "/payments/{transactionId}", claims=backoffice("payments/other"), transactionId="0" * 36)
    assert pay(read, None)["statusCode"] == 403


def test_the_customer_id_comes_from_the_token_and_may_not_be_someone_elses(pay, aws):
    created = _pay(pay)
    assert created["statusCode"] == 201 and body(created)["customerId"] == "cust-1"
    as_other = _pay(pay, payload={**PAYMENT, "customerId": "cust-2"}, headers={"Idempotency-Key": "key-00000002"})
    assert as_other["statusCode"] == 403 and body(as_other)["error"]["field"] == "customerId"
    same = _pay(pay, payload={**PAYMENT, "customerId": "cust-1"}, headers={"Idempotency-Key": "key-00000003"})
    assert same["statusCode"] == 201
    assert {item["customerId"]["S"] for item in items(aws["TRANSACTIONS_TABLE"])} == {"cust-1"}
    assert len(items(aws["TRANSACTIONS_TABLE"])) == 2


def test_another_customers_payment_reads_exactly_as_an_unknown_one(pay):
    mine = body(_pay(pay))
    theirs = pay(event("GET", "/payments/{transactionId}", claims=OTHER, transactionId=mine["transactionId"]), None)
    unknown = pay(
        event("GET", "/payments/{transactionId}", claims=OTHER, transactionId="00000000-0000-4000-8000-000000000000"),
        None,
    )
    assert theirs["statusCode"] == unknown["statusCode"] == 404
    assert theirs["body"] == unknown["body"] and theirs["headers"] == unknown["headers"]
    own = pay(event("GET", "/payments/{transactionId}", transactionId=mine["transactionId"]), None)
    assert own["statusCode"] == 200 and body(own) == mine


def test_a_customer_may_not_list_another_customers_payments(pay):
    _pay(pay)
    listing = event("GET", "/customers/{customerId}/payments", claims=OTHER, customerId="cust-1")
    refused = pay(listing, None)
    assert refused["statusCode"] == 403 and body(refused)["error"]["field"] == "customerId"
    assert "12.50" not in refused["body"]


def test_the_back_office_reads_and_lists_any_customers_payments(pay):
    mine = body(_pay(pay))
    reader = backoffice(BACKOFFICE_READ)
    read = pay(event("GET", "/payments/{transactionId}", claims=reader, transactionId=mine["transactionId"]), None)
    assert read["statusCode"] == 200 and body(read) == mine
    listing = pay(event("GET", "/customers/{customerId}/payments", claims=reader, customerId="cust-1"), None)
    assert listing["statusCode"] == 200 and body(listing)["items"] == [mine]


def test_idempotency_keys_belong_to_their_customer(pay, aws):
    first = body(_pay(pay))
    other = _pay(pay, claims=OTHER)  # the same key and body, another customer
    assert other["statusCode"] == 201
    theirs = body(other)
    assert theirs["transactionId"] != first["transactionId"] and theirs["customerId"] == "cust-2"
    assert len(items(aws["TRANSACTIONS_TABLE"])) == 2 and len(items(aws["IDEMPOTENCY_TABLE"])) == 2
    # Each customer's retry still returns their own payment.
    assert body(_pay(pay)) == first and body(_pay(pay, claims=OTHER)) == theirs
    # Another body under a key another customer used is no conflict for this one.
    assert _pay(pay, claims=customer("cust-3"), payload={**PAYMENT, "amount": "99.00"})["statusCode"] == 201


def test_sessions_are_created_for_the_caller_and_only_the_owner_reads_or_ends_them(sessions, aws):
    created = sessions(event("POST", "/sessions", {}), None)
    assert created["statusCode"] == 201
    session = body(created)
    assert session["customerId"] == "cust-1"
    sid = session["sessionId"]

    def call(method, claims):
        return sessions(event(method, "/sessions/{sessionId}", claims=claims, sessionId=sid), None)

    unknown = sessions(event("GET", "/sessions/{sessionId}", claims=OTHER, sessionId="x" * 43), None)
    theirs = call("GET", OTHER)
    assert theirs["statusCode"] == unknown["statusCode"] == 404 and theirs["body"] == unknown["body"]
    assert call("DELETE", OTHER)["statusCode"] == 204  # answered as for a missing session ...
    assert call("GET", CUSTOMER)["statusCode"] == 200  # ... and nothing was ended
    assert call("DELETE", CUSTOMER)["statusCode"] == 204
    assert call("GET", CUSTOMER)["statusCode"] == 404
    assert items(aws["SESSIONS_TABLE"]) == []


def test_each_function_implements_exactly_its_contract_routes(aws, load):
    common = sys.modules[load("payment_processor").Api.__module__]  # as the handler imported it
    with pytest.raises(common.ConfigurationError, match="must implement exactly"):
        common.Api("payment-processor", {"createPayment": lambda e, c: {}})
    assert {r.operation_id for r in routes_of("session-manager")} == {"createSession", "getSession", "endSession"}
