"""Races and throttling (common.retries, common.clients): a duplicate that loses a race to a
transaction in flight, a record not visible yet, throttled tables and timed-out calls are
retried within the invocation's time and answered with the one payment, or session; when
the time is up, the answer is a retryable 503, never a 500."""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import boto3
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


def _dynamodb(handler) -> Any:
    """The DynamoDB client of the handler's container (common.clients)."""
    _, operation = next(iter(handler.routes.values()))
    return operation.__globals__["client"]("dynamodb")


def _failing(monkeypatch, handler, operation: str, failures: list[Exception]) -> list[int]:
    """Make `operation` of the handler's DynamoDB client raise `failures` in turn (a callable
    one is called instead), then work; returns the list its calls are counted in."""
    client = _dynamodb(handler)
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


def test_a_payment_the_service_applied_before_failing_with_a_500_is_answered_201(pay, aws, monkeypatch):
    """DynamoDB (or a server in front of it) answers 500 with no error code after it applied the
    transaction: the next attempt finds the record and answers with that payment, not a 500."""

    def applied_then_failed(real: Any, kwargs: Any) -> Any:
        real(**kwargs)
        raise _error("500", ResponseMetadata={"HTTPStatusCode": 500})

    _failing(monkeypatch, pay, "transact_write_items", [applied_then_failed])
    created = _post(pay, Context(10))
    assert created["statusCode"] == 201, created
    assert len(items(aws["TRANSACTIONS_TABLE"])) == len(items(aws["IDEMPOTENCY_TABLE"])) == 1
    assert body(created)["transactionId"] == items(aws["TRANSACTIONS_TABLE"])[0]["transactionId"]["S"]


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


def _counting_down(monkeypatch) -> int:
    """An invocation of 10 s that loses one second per look at the clock, without waiting
    for it; returns the most calls that fit: one look after each attempt, and another only
    while a call (at most `longest_call`) and the answer fit in what is left."""
    seconds = iter(range(10, -1000, -1))
    monkeypatch.setattr(sys.modules["common.invocation"], "remaining", lambda: float(next(seconds)))
    monkeypatch.setattr(sys.modules["common.retries"], "time", SimpleNamespace(sleep=lambda delay: None))
    return 1 + int(10 - sys.modules["common.clients"].timeouts().longest_call)


def test_when_the_time_is_up_the_answer_is_a_retryable_503_and_nothing_is_written(pay, aws, monkeypatch):
    conflicts = [_cancelled(CONFLICT, {"Code": "None"}) for _ in range(1000)]
    calls = _failing(monkeypatch, pay, "transact_write_items", conflicts)
    most = _counting_down(monkeypatch)
    _unavailable(_post(pay, Context(10)))
    assert 1 < len(calls) <= most
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


# --- sessions: the same retries, and a retried write that stays one session --------------

THROTTLED = "ProvisionedThroughputExceededException"
TIMEOUT = ReadTimeoutError(endpoint_url="https://dynamodb.eu-west-1.amazonaws.com")
# Each session route's one DynamoDB call: the client's method, and the operation's name.
SESSION_CALLS = {
    "POST": ("put_item", "PutItem"),
    "GET": ("get_item", "GetItem"),
    "DELETE": ("delete_item", "DeleteItem"),
}


@pytest.fixture
def sessions(aws, load):
    return load("session_manager").handler


def _sessions(sessions, method: str, session_id: str = "s" * 43, context: object = None) -> dict[str, Any]:
    """POST /sessions, or GET or DELETE /sessions/{session_id}."""
    if method == "POST":
        return sessions(event("POST", "/sessions", {}), context)
    return sessions(event(method, "/sessions/{sessionId}", sessionId=session_id), context)


def _done_but_timed_out(real: Any, kwargs: Any) -> Any:
    """The call reached DynamoDB and took effect; its answer never came back."""
    real(**kwargs)
    raise TIMEOUT


@pytest.mark.parametrize(
    "failure",
    [
        _error(THROTTLED, "PutItem"),
        _error("ThrottlingException", "PutItem"),
        _error("InternalServerError", "PutItem"),
        TIMEOUT,
    ],
    ids=lambda failure: failure.response["Error"]["Code"] if isinstance(failure, ClientError) else "timeout",
)
def test_a_throttled_session_write_is_retried_and_answered(sessions, aws, monkeypatch, failure):
    calls = _failing(monkeypatch, sessions, "put_item", [failure, failure])
    started = _sessions(sessions, "POST", context=Context(10))
    assert started["statusCode"] == 201, started
    assert len(calls) == 3
    (stored,) = items(aws["SESSIONS_TABLE"])
    assert stored["sessionId"] == {"S": body(started)["sessionId"]}


def test_a_session_write_stored_before_it_timed_out_stays_one_session(sessions, aws, monkeypatch):
    """The retry meets the item its first attempt wrote: the caller gets that session."""
    calls = _failing(monkeypatch, sessions, "put_item", [_done_but_timed_out])
    started = _sessions(sessions, "POST", context=Context(10))
    assert started["statusCode"] == 201, started
    assert len(calls) == 2
    (stored,) = items(aws["SESSIONS_TABLE"])
    assert stored["sessionId"] == {"S": body(started)["sessionId"]}
    assert _sessions(sessions, "GET", body(started)["sessionId"])["statusCode"] == 200


def test_a_session_id_in_use_is_still_never_overwritten(sessions, aws, monkeypatch):
    """The write's condition admits the item this request writes, not another session, not
    even one of the same customer's."""
    another = {"sessionId": {"S": "t" * 43}, "customerId": {"S": "cust-1"}, "createdAt": {"N": "1"}}
    boto3.client("dynamodb").put_item(TableName=aws["SESSIONS_TABLE"], Item=another)
    monkeypatch.setattr("secrets.token_urlsafe", lambda size: "t" * 43)
    assert _sessions(sessions, "POST", context=Context(10))["statusCode"] == 500
    assert items(aws["SESSIONS_TABLE"]) == [another]


def test_throttled_session_reads_and_ends_are_retried(sessions, aws, monkeypatch):
    session = body(_sessions(sessions, "POST"))
    _failing(monkeypatch, sessions, "get_item", [_error(THROTTLED, "GetItem")] * 2)
    read = _sessions(sessions, "GET", session["sessionId"], Context(10))
    assert (read["statusCode"], body(read)) == (200, session)
    # Throttled, then ended without its answer: the retry finds it gone, which is ended.
    calls = _failing(monkeypatch, sessions, "delete_item", [_error(THROTTLED, "DeleteItem"), _done_but_timed_out])
    assert _sessions(sessions, "DELETE", session["sessionId"], Context(10))["statusCode"] == 204
    assert len(calls) == 3 and items(aws["SESSIONS_TABLE"]) == []


@pytest.mark.parametrize("method", SESSION_CALLS)
def test_when_the_time_is_up_a_session_route_answers_a_retryable_503(sessions, aws, monkeypatch, method):
    session_id = body(_sessions(sessions, "POST"))["sessionId"]
    before = items(aws["SESSIONS_TABLE"])
    method_name, operation = SESSION_CALLS[method]
    calls = _failing(monkeypatch, sessions, method_name, [_error(THROTTLED, operation)] * 1000)
    most = _counting_down(monkeypatch)
    _unavailable(_sessions(sessions, method, session_id, Context(10)))
    assert 1 < len(calls) <= most
    assert items(aws["SESSIONS_TABLE"]) == before


@pytest.mark.parametrize("method", SESSION_CALLS)
def test_other_failures_of_a_session_call_are_not_retried(sessions, aws, monkeypatch, method):
    method_name, operation = SESSION_CALLS[method]
    calls = _failing(monkeypatch, sessions, method_name, [_error("ValidationException", operation)])
    answered = _sessions(sessions, method, context=Context(10))
    assert answered["statusCode"] == 500, answered
    assert len(calls) == 1
