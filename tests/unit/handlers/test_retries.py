"""Races and throttling (common.retries, common.clients): a duplicate that loses a race to a
transaction in flight, a record not visible yet, throttled tables and timed-out calls are
retried within the invocation's time and answered with the one payment; when the time is
up, the answer is a retryable 503, never a 500."""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from tests.unit.handlers.conftest import body, clients_made, event, items

KEY = {"Idempotency-Key": "key-raced-0001"}
PAYMENT = {"amount": "12.50", "currency": "EUR"}
CONFLICT = {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}


class Context:
    """A Lambda context that always has `seconds` left."""

    def __init__(self, seconds: float) -> None:
        self.milliseconds = int(seconds * 1000)

    def get_remaining_time_in_millis(self) -> int:
        return self.milliseconds


@pytest.fixture
def pay(aws, load):
    return load("payment_processor").handler


def _post(pay, context: object = None, headers: dict[str, str] = KEY) -> dict[str, Any]:
    return pay(event("POST", "/payments", PAYMENT, headers=headers), context)


def _error(code: str, operation: str = "TransactWriteItems", **extra: Any) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}, **extra}, operation)


def _cancelled(*reasons: dict[str, str]) -> ClientError:
    return _error("TransactionCanceledException", CancellationReasons=list(reasons))


def _dynamodb(pay) -> Any:
    return pay.routes[("POST", "/payments")][1].__globals__["client"]("dynamodb")


def _failing(monkeypatch, pay, operation: str, failures: list[Exception]) -> list[int]:
    """Make `operation` of the handler's DynamoDB client raise `failures` in turn (a callable
    one is called instead), then work; returns the list its calls are counted in."""
    client = _dynamodb(pay)
    real = getattr(client, operation)
    calls: list[int] = []

    def failing(**kwargs: Any) -> Any:
        calls.append(1)
        if failures:
            failure = failures.pop(0)
            if callable(failure) and not isinstance(failure, Exception):
                return failure(real, kwargs)
            raise failure
        return real(**kwargs)

    monkeypatch.setattr(client, operation, failing)
    return calls


def test_a_duplicate_cancelled_by_a_transaction_in_flight_is_answered_with_the_one_payment(pay, aws, monkeypatch):
    """The second of two identical requests meets the first's transaction in flight: DynamoDB
    cancels it with TransactionConflict. Once the first has committed, it gets its payment."""
    first: list[dict[str, Any]] = []

    def the_first_commits_meanwhile(real: Any, kwargs: Any) -> Any:
        with ThreadPoolExecutor(1) as other:
            first.append(other.submit(_post, pay).result())
        raise _cancelled(CONFLICT, {"Code": "None"})

    _failing(monkeypatch, pay, "transact_write_items", [the_first_commits_meanwhile])
    second = _post(pay)
    assert first[0]["statusCode"] == second["statusCode"] == 201, second
    assert body(second) == body(first[0])
    assert len(items(aws["TRANSACTIONS_TABLE"])) == len(items(aws["IDEMPOTENCY_TABLE"])) == 1


def test_a_replay_that_reads_before_the_winner_committed_reads_again(pay, aws, monkeypatch):
    recorded = body(_post(pay))
    # The key exists (the transaction's condition fails), but the first read finds no record yet.
    calls = _failing(monkeypatch, pay, "get_item", [lambda real, kwargs: {"ResponseMetadata": {}}])
    replayed = _post(pay)
    assert (replayed["statusCode"], body(replayed)) == (201, recorded)
    assert len(calls) > 1 and len(items(aws["TRANSACTIONS_TABLE"])) == 1


@pytest.mark.parametrize(
    "failure",
    [
        _error("ProvisionedThroughputExceededException"),
        _error("ThrottlingException"),
        _error("RequestLimitExceeded"),
        _error("InternalServerError"),
        _error("TransactionConflictException"),
        _cancelled({"Code": "None"}, {"Code": "ThrottlingError", "Message": "throttled"}),
        ReadTimeoutError(endpoint_url="https://dynamodb.eu-west-1.amazonaws.com"),
    ],
    ids=lambda failure: failure.response["Error"]["Code"] if isinstance(failure, ClientError) else "timeout",
)
def test_throttling_and_transient_failures_of_a_payment_are_retried(pay, aws, monkeypatch, failure):
    calls = _failing(monkeypatch, pay, "transact_write_items", [failure, failure])
    created = _post(pay, Context(10))
    assert created["statusCode"] == 201, created
    assert len(calls) == 3 and len(items(aws["TRANSACTIONS_TABLE"])) == 1


def test_throttled_reads_are_retried(pay, aws, monkeypatch):
    payment = body(_post(pay))
    _failing(monkeypatch, pay, "query", [_error("ProvisionedThroughputExceededException", "Query")] * 2)
    read = pay(event("GET", "/payments/{transactionId}", transactionId=payment["transactionId"]), Context(10))
    assert (read["statusCode"], body(read)) == (200, payment)
    _failing(monkeypatch, pay, "query", [_error("ThrottlingException", "Query")])
    listed = pay(event("GET", "/customers/{customerId}/payments", customerId="cust-1"), Context(10))
    assert listed["statusCode"] == 200 and body(listed)["items"] == [payment]


def _unavailable(response: dict[str, Any]) -> None:
    assert response["statusCode"] == 503, response
    assert response["headers"]["Retry-After"] == "1"
    assert set(json.loads(response["body"])["error"]) == {"code", "message"}
    assert body(response)["error"]["code"] == "ServiceUnavailable"


def test_when_the_time_is_up_the_answer_is_a_retryable_503_and_nothing_is_written(pay, aws, monkeypatch):
    conflicts = [_cancelled(CONFLICT, {"Code": "None"}) for _ in range(1000)]
    calls = _failing(monkeypatch, pay, "transact_write_items", conflicts)
    # An invocation counting down one second per look at the clock, without waiting for it.
    seconds = iter(range(10, -1000, -1))
    monkeypatch.setattr(sys.modules["common.invocation"], "remaining", lambda: float(next(seconds)))
    monkeypatch.setattr(sys.modules["common.retries"], "time", SimpleNamespace(sleep=lambda delay: None))
    _unavailable(_post(pay, Context(10)))
    # Retried only while another call (at most `longest_call`) fitted in what was left: one
    # look at the clock after each attempt, one second less each time.
    longest = sys.modules["common.clients"].timeouts().longest_call
    assert 1 < len(calls) <= 1 + (10 - longest)
    assert items(aws["TRANSACTIONS_TABLE"]) == [] and items(aws["IDEMPOTENCY_TABLE"]) == []


def test_an_invocation_with_time_for_one_call_only_answers_503_after_it(pay, aws, monkeypatch):
    calls = _failing(monkeypatch, pay, "transact_write_items", [_error("ThrottlingException")] * 3)
    _unavailable(_post(pay, Context(1)))
    assert len(calls) == 1


def test_other_failures_are_not_retried(pay, aws, monkeypatch):
    calls = _failing(monkeypatch, pay, "transact_write_items", [_error("ValidationException")])
    assert _post(pay, Context(10))["statusCode"] == 500
    assert len(calls) == 1


def test_clients_are_sized_from_the_first_invocations_time(aws, load):
    """A tenth of the function's time to read, a twentieth to connect, standard retries with
    2 attempts: one call, retried by the SDK, ends well before the function would."""
    handler = load("payment_processor").handler
    assert handler(event("GET", "/customers/{customerId}/payments", customerId="cust-1"), Context(20))
    assert clients_made() == ["dynamodb"]
    config = sys.modules["common.clients"]._clients["dynamodb"].meta.config
    assert (config.connect_timeout, config.read_timeout) == (1.0, 2.0)
    assert config.retries == {"mode": "standard", "total_max_attempts": 2}
    assert sys.modules["common.clients"].timeouts().longest_call < 20 / 2


def test_a_client_made_before_any_invocation_is_sized_for_the_default_time(aws, load, monkeypatch):
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "provisioned-concurrency")
    load("payment_processor")
    clients = sys.modules["common.clients"]
    default = sys.modules["common.invocation"].DEFAULT_SECONDS
    assert clients.timeouts() == clients.Timeouts.for_function(default)
    assert clients._clients["dynamodb"].meta.config.read_timeout == default / 10
