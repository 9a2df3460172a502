"""The handlers' metrics: CloudWatch embedded metric format lines on stdout, in Powertools
Metrics' shape (checked against Powertools itself), with fixed names and dimension values."""

from __future__ import annotations

import importlib.util
import json
import re
import warnings
from types import ModuleType, SimpleNamespace
from typing import Any

import boto3
import pytest
from aws_lambda_powertools import Metrics as PowertoolsMetrics
from aws_lambda_powertools.metrics.provider import cold_start as powertools_cold_start

from blueprints.contract import BACKOFFICE_READ
from local_aws.client.paths import ROOT
from tests.unit.handlers.conftest import CUSTOMER, backoffice, body, customer, event

NAMESPACE = "payments/dev"
KEY = {"Idempotency-Key": "key-00000001"}
PAYMENT = {"customerId": "cust-1", "amount": "12.50", "currency": "EUR"}
TRANSACTION_ID = "00000000-0000-4000-8000-000000000000"


def _module() -> ModuleType:
    """lambda_code/common/metrics.py on its own (it imports nothing of the package)."""
    spec = importlib.util.spec_from_file_location("common_metrics_under_test", ROOT / "lambda_code/common/metrics.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def emitted(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """The EMF documents written to stdout since the last call (log lines are left out)."""
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    for line in lines:
        assert isinstance(line["_aws"]["Timestamp"], int)
    return lines


def shape(document: dict[str, Any]) -> dict[str, Any]:
    """What a document publishes: namespace, dimension sets, dimension values, metrics and units."""
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    dimensions = {name for names in directive["Dimensions"] for name in names}
    units = {m["Name"]: m["Unit"] for m in directive["Metrics"]}
    assert set(document) == {"_aws"} | dimensions | set(units), "every key is a dimension or a metric"
    return {
        "namespace": directive["Namespace"],
        "dimension_sets": directive["Dimensions"],
        "dimensions": {name: document[name] for name in sorted(dimensions)},
        "metrics": {name: document[name] for name in units},
        "units": set(units.values()),
    }


def invocation(service: str, metrics: dict[str, list[float]], code: str | None = None) -> dict[str, Any]:
    """The shape of an invocation's line: metrics under `service`, and under `service` and
    `Code` when the request was refused."""
    return {
        "namespace": NAMESPACE,
        "dimension_sets": [["service"], ["service", "Code"]] if code else [["service"]],
        "dimensions": {"Code": code, "service": service} if code else {"service": service},
        "metrics": metrics,
        "units": {"Count"},
    }


def cold_start(service: str, function_name: str | None = None) -> dict[str, Any]:
    return {
        "namespace": NAMESPACE,
        "dimension_sets": [["function_name", "service"]],
        "dimensions": {"function_name": function_name or service, "service": service},
        "metrics": {"ColdStart": [1.0]},
        "units": {"Count"},
    }


@pytest.fixture
def pay(aws, load):
    return load("payment_processor").handler


@pytest.fixture
def sessions(aws, load):
    return load("session_manager").handler


def _post(handler, payload=PAYMENT, headers=KEY, **kwargs):
    return handler(event("POST", "/payments", payload, headers=headers, **kwargs), None)


def _warm(handler, capsys) -> None:
    """One invocation, so that the next ones are a warm container's; its lines are dropped."""
    handler(event("GET", "/nowhere"), None)
    emitted(capsys)


# --- what each outcome counts ----------------------------------------------------------------


def test_a_payment_counts_one_payment_recorded_after_the_cold_start_line(pay, capsys):
    assert _post(pay)["statusCode"] == 201
    assert [shape(d) for d in emitted(capsys)] == [
        cold_start("payment-processor"),
        invocation("payment-processor", {"PaymentsRecorded": [1.0]}),
    ]
    assert _post(pay, headers={"Idempotency-Key": "key-00000002"})["statusCode"] == 201
    assert [shape(d) for d in emitted(capsys)] == [invocation("payment-processor", {"PaymentsRecorded": [1.0]})]


def test_a_replay_counts_an_idempotent_replay_and_no_payment(pay, capsys):
    first = _post(pay)
    emitted(capsys)
    again = _post(pay, {**PAYMENT, "amount": "12.5"})  # the same request, written differently
    assert body(again) == body(first)
    assert [shape(d) for d in emitted(capsys)] == [invocation("payment-processor", {"IdempotentReplays": [1.0]})]


def test_the_cold_start_names_the_function_from_its_context(pay, capsys):
    pay(event("GET", "/nowhere"), SimpleNamespace(function_name="payments-dev-payment-processor"))
    assert shape(emitted(capsys)[0]) == cold_start("payment-processor", "payments-dev-payment-processor")
    pay(event("GET", "/nowhere"), SimpleNamespace(function_name="payments-dev-payment-processor"))
    assert "ColdStart" not in json.dumps(emitted(capsys)), "once per container"


def test_the_service_comes_from_powertools_variable_and_cold_start_respects_provisioned_concurrency(
    aws, load, capsys, monkeypatch
):
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "payments-api")
    monkeypatch.setenv("POWERTOOLS_METRICS_FUNCTION_NAME", "payments-dev-api")
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "provisioned-concurrency")
    handler = load("payment_processor").handler
    _post(handler)
    assert [shape(d) for d in emitted(capsys)] == [invocation("payments-api", {"PaymentsRecorded": [1.0]})]


def _get(pay, transaction_id=TRANSACTION_ID, claims=CUSTOMER):
    return pay(event("GET", "/payments/{transactionId}", claims=claims, transactionId=transaction_id), None)


# Every refusal the payment handler makes: the request (given cust-1's payment), its status and
# code, and whether the caller was refused for what it may not do (a scope it lacks, another
# customer's data).
REFUSALS = {
    "invalid amount": (lambda pay, _: _post(pay, {**PAYMENT, "amount": "-1.00"}), 400, "ValidationError", False),
    "no idempotency key": (lambda pay, _: _post(pay, headers={}), 400, "ValidationError", False),
    "body too large": (
        lambda pay, _: pay(event("POST", "/payments", headers=KEY, raw_body="x" * 9000), None),
        413,
        "PayloadTooLarge",
        False,
    ),
    "no verified token": (lambda pay, _: _post(pay, claims=None), 401, "Unauthorized", False),
    "paying as another customer": (
        lambda pay, _: _post(pay, {**PAYMENT, "customerId": "cust-2"}),
        403,
        "Forbidden",
        True,
    ),
    "listing another customer's payments": (
        lambda pay, _: pay(event("GET", "/customers/{customerId}/payments", customerId="cust-2"), None),
        403,
        "Forbidden",
        True,
    ),
    "a scope the route does not accept": (
        lambda pay, _: _get(pay, claims=backoffice("payments/other")),
        403,
        "Forbidden",
        True,
    ),
    "a back-office client on a customer route": (
        lambda pay, _: _post(pay, claims=backoffice(BACKOFFICE_READ)),
        403,
        "Forbidden",
        True,
    ),
    "unknown route": (lambda pay, _: pay(event("GET", "/refunds"), None), 404, "NotFound", False),
    "unknown payment": (lambda pay, _: _get(pay), 404, "NotFound", False),
    "another customer's payment": (
        lambda pay, mine: _get(pay, mine, claims=customer("cust-2")),
        404,  # answered exactly as an unknown one
        "NotFound",
        True,
    ),
    "wrong method": (
        lambda pay, _: pay(event("DELETE", "/payments/{transactionId}", transactionId=TRANSACTION_ID), None),
        405,
        "MethodNotAllowed",
        False,
    ),
    "a key reused for another payment": (
        lambda pay, _: _post(pay, {**PAYMENT, "amount": "13.00"}),
        422,
        "IdempotencyKeyReused",
        False,
    ),
}


@pytest.mark.parametrize(("request_", "status", "code", "authorization"), REFUSALS.values(), ids=REFUSALS)
def test_every_refusal_is_counted_under_its_code(pay, capsys, request_, status, code, authorization):
    mine = body(_post(pay))["transactionId"]  # cust-1's payment (and the cold start)
    emitted(capsys)
    response = request_(pay, mine)
    assert response["statusCode"] == status and body(response)["error"]["code"] == code
    counted = {"Refusals": [1.0], **({"AuthorizationRefusals": [1.0]} if authorization else {})}
    assert [shape(d) for d in emitted(capsys)] == [invocation("payment-processor", counted, code)]


def test_another_customers_payment_is_answered_as_an_unknown_one_though_counted(pay, capsys):
    mine = body(_post(pay))["transactionId"]
    emitted(capsys)
    theirs = pay(event("GET", "/payments/{transactionId}", claims=customer("cust-2"), transactionId=mine), None)
    unknown = pay(event("GET", "/payments/{transactionId}", transactionId=TRANSACTION_ID), None)
    assert theirs == unknown
    assert [shape(d)["metrics"] for d in emitted(capsys)] == [
        {"Refusals": [1.0], "AuthorizationRefusals": [1.0]},
        {"Refusals": [1.0]},
    ]


def test_an_internal_error_is_counted(pay, capsys, monkeypatch):
    _warm(pay, capsys)
    module = pay.routes[("POST", "/payments")][1].__globals__

    def broken(**kwargs):
        raise RuntimeError("connection lost")

    monkeypatch.setattr(module["client"]("dynamodb"), "transact_write_items", broken)
    assert _post(pay)["statusCode"] == 500
    assert [shape(d) for d in emitted(capsys)] == [invocation("payment-processor", {"InternalErrors": [1.0]})]


def test_a_read_counts_nothing_and_writes_no_line(pay, capsys):
    _warm(pay, capsys)
    assert pay(event("GET", "/customers/{customerId}/payments", customerId="cust-1"), None)["statusCode"] == 200
    assert emitted(capsys) == []  # Powertools would warn of an empty flush; nothing is written


def test_sessions_started_and_ended(sessions, capsys, aws):
    created = sessions(event("POST", "/sessions", {}), None)
    session_id = body(created)["sessionId"]
    assert [shape(d) for d in emitted(capsys)] == [
        cold_start("session-manager"),
        invocation("session-manager", {"SessionsStarted": [1.0]}),
    ]
    delete = event("DELETE", "/sessions/{sessionId}", sessionId=session_id)
    assert sessions(delete, None)["statusCode"] == 204
    assert [shape(d) for d in emitted(capsys)] == [invocation("session-manager", {"SessionsEnded": [1.0]})]
    assert sessions(delete, None)["statusCode"] == 204  # already ended: nothing ends now
    assert emitted(capsys) == []


def test_ending_an_expired_or_someone_elses_session_ends_nothing(sessions, capsys, aws):
    _warm(sessions, capsys)
    client = boto3.client("dynamodb")
    for session_id, owner, expires in (("e" * 43, "cust-1", 1), ("o" * 43, "cust-2", 4_000_000_000)):
        item = {"sessionId": {"S": session_id}, "customerId": {"S": owner}, "expiresAt": {"N": str(expires)}}
        client.put_item(TableName=aws["SESSIONS_TABLE"], Item=item)
        sessions(event("DELETE", "/sessions/{sessionId}", sessionId=session_id), None)
    assert emitted(capsys) == []


def test_session_refusals_are_counted_under_their_codes(sessions, capsys, aws):
    _warm(sessions, capsys)
    theirs = body(sessions(event("POST", "/sessions", {}, claims=customer("cust-2")), None))["sessionId"]
    emitted(capsys)
    for request, code, authorization in (
        (event("POST", "/sessions", {"customerId": "cust-2"}), "Forbidden", True),
        (event("GET", "/sessions/{sessionId}", sessionId=theirs), "NotFound", True),  # answered as missing
        (event("GET", "/sessions/{sessionId}", sessionId="u" * 43), "NotFound", False),
        (event("GET", "/sessions/{sessionId}", sessionId="short"), "ValidationError", False),
        (event("PUT", "/sessions"), "MethodNotAllowed", False),
    ):
        assert body(sessions(request, None))["error"]["code"] == code
        counted = {"Refusals": [1.0], **({"AuthorizationRefusals": [1.0]} if authorization else {})}
        assert [shape(d) for d in emitted(capsys)] == [invocation("session-manager", counted, code)]


# --- what the lines never hold ---------------------------------------------------------------


def test_no_metric_line_holds_request_data(pay, capsys):
    secret_customer = "cust-SECRET-4711"
    secret_key = "key-SECRET-0815"
    claims = customer(secret_customer)
    payment = {"amount": "1234.56", "currency": "USD", "description": "SECRET purchase"}
    first = body(_post(pay, payment, {"Idempotency-Key": secret_key}, claims=claims))
    _post(pay, payment, {"Idempotency-Key": secret_key}, claims=claims)  # replayed
    _post(pay, {**payment, "amount": "1.00"}, {"Idempotency-Key": secret_key}, claims=claims)  # reused key
    _post(pay, {**payment, "customerId": "cust-OTHER-SECRET"}, {"Idempotency-Key": "key-SECRET-2"}, claims=claims)
    _get(pay, first["transactionId"])  # cust-1 reads it
    pay(event("GET", "/customers/{customerId}/payments", customerId="cust-OTHER-SECRET", claims=claims), None)
    documents = emitted(capsys)
    assert len(documents) == 7
    text = json.dumps(documents)
    for value in ("SECRET", "1234.56", "USD", first["transactionId"], "req-123", "user-"):
        assert value not in text
    names = {"service", "Code", "function_name"}
    for document in documents:
        described = shape(document)
        assert set(described["dimensions"]) <= names
        assert described["dimensions"]["service"] == "payment-processor"
        assert set(described["metrics"]) <= {
            "ColdStart",
            "PaymentsRecorded",
            "IdempotentReplays",
            "Refusals",
            "AuthorizationRefusals",
        }


# --- never in the way --------------------------------------------------------------------------


def test_a_failing_metric_never_fails_the_response(pay, capsys, monkeypatch):
    metrics = type(pay.metrics)

    def broken(*args, **kwargs):
        raise OSError("stdout is gone")

    monkeypatch.setattr(metrics, "_document", broken)
    assert _post(pay)["statusCode"] == 201  # the cold start line and the payment's line fail
    assert _post(pay, headers={})["statusCode"] == 400
    metrics().add_metric("PaymentsRecorded", "Count", "not a number")  # type: ignore[arg-type]
    assert emitted(capsys) == []


@pytest.mark.parametrize(
    "env",
    [
        {"POWERTOOLS_METRICS_DISABLED": "true"},
        {"POWERTOOLS_DEV": "1"},
        {"POWERTOOLS_METRICS_NAMESPACE": ""},  # no namespace: Powertools would raise at the flush
    ],
)
def test_metrics_can_be_turned_off_as_in_powertools(aws, load, capsys, monkeypatch, env):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    handler = load("payment_processor").handler
    assert _post(handler)["statusCode"] == 201
    assert emitted(capsys) == []


def test_powertools_dev_with_metrics_explicitly_on_still_writes(aws, load, capsys, monkeypatch):
    monkeypatch.setenv("POWERTOOLS_DEV", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    _post(load("payment_processor").handler)
    assert len(emitted(capsys)) == 2


# --- the same lines as Powertools ------------------------------------------------------------

SERVICE = "payment-processor"
CONTEXT = SimpleNamespace(function_name="payments-dev-payment-processor")


def _payment(m: Any) -> None:
    m.add_metric("PaymentsRecorded", "Count", 1)


def _replay(m: Any) -> None:
    m.add_metric("IdempotentReplays", "Count", 1)


def _refusal(m: Any) -> None:
    m.add_metric("Refusals", "Count", 1)
    m.add_dimensions(service=SERVICE, Code="ValidationError")


def _authorization_refusal(m: Any) -> None:
    m.add_metric("Refusals", "Count", 1)
    m.add_dimensions(service=SERVICE, Code="Forbidden")
    m.add_metric("AuthorizationRefusals", "Count", 1)


def _several(m: Any) -> None:
    m.add_metric("SessionsStarted", "Count", 1)
    m.add_metric("SessionsStarted", "Count", 2)
    m.add_metric("Latency", "Milliseconds", 12.5)


def _nothing(m: Any) -> None:
    pass


@pytest.mark.parametrize("cold", [True, False], ids=["cold", "warm"])
@pytest.mark.parametrize("scenario", [_payment, _replay, _refusal, _authorization_refusal, _several, _nothing])
def test_metric_lines_are_powertools_lines(monkeypatch, capsys, scenario, cold):
    for name in ("POWERTOOLS_METRICS_DISABLED", "POWERTOOLS_DEV", "POWERTOOLS_METRICS_FUNCTION_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", SERVICE)
    monkeypatch.setattr(powertools_cold_start, "is_cold_start", cold)
    reference = PowertoolsMetrics(service=SERVICE, namespace=NAMESPACE)

    @reference.log_metrics(capture_cold_start_metric=True)
    def powertools_handler(event: Any, context: Any) -> None:
        scenario(reference)

    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Powertools warns when there is nothing to flush
        powertools_handler({}, CONTEXT)
    expected = capsys.readouterr().out.splitlines()

    metrics = _module()
    monkeypatch.setattr(metrics, "_cold_start", cold)
    ours = metrics.Metrics(service=SERVICE, namespace=NAMESPACE)
    scenario(ours)
    ours.add_cold_start_metric(CONTEXT)
    ours.flush()
    lines = capsys.readouterr().out.splitlines()

    def untimed(line: str) -> str:
        return re.sub(r'"Timestamp":\d+', '"Timestamp":0', line)

    assert len(expected) == cold + (scenario is not _nothing)
    assert [untimed(line) for line in lines] == [untimed(line) for line in expected]
