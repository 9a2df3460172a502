"""The generated client (examples/payments_client) is what the generator makes of the current
document, and the example program's retries, paging and errors behave as it says, against
answers played by httpx's mock transport."""

from __future__ import annotations

import json

import httpx
import pytest

from examples.payments_example import ApiError, Retry, client_for, pay, payments_of, start_session
from scripts.client import PACKAGE, TOOLS, files, generate

URL = "https://api.test"
PAYMENT = {
    "transactionId": "b7e2d3c1-5a4f-4e6b-8d9c-0a1b2c3d4e5f",
    "timestamp": 1767225600000,
    "customerId": "alice",
    "amount": "12.50",
    "currency": "EUR",
    "status": "RECORDED",
}


def test_the_generated_client_is_current(tmp_path):
    if not (TOOLS / "openapi-python-client").exists():
        pytest.fail(f"the generator is missing ({TOOLS}): run the tests through `make test`")
    generate(tmp_path / "client")
    assert files(tmp_path / "client") == files(PACKAGE), "run: make report"


def _error(status: int, code: str, **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": code}}, headers=headers)


def _playing(*answers: httpx.Response | Exception) -> tuple[list[httpx.Request], httpx.MockTransport]:
    """A transport answering each request with the next of `answers` (an exception is raised)."""
    sent: list[httpx.Request] = []
    queue = list(answers)

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        reply = queue.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply

    return sent, httpx.MockTransport(answer)


def test_a_payment_is_retried_with_its_one_key_waiting_as_told():
    sent, transport = _playing(
        httpx.ConnectError("reset"),
        _error(429, "THROTTLED", **{"Retry-After": "2"}),
        _error(503, "ServiceUnavailable", **{"Retry-After": "1"}),
        httpx.Response(201, json=PAYMENT),
    )
    waits: list[float] = []
    payment = pay(
        client_for(URL, "t", transport=transport), "12.50", "EUR", retry=Retry(backoff=0.25, sleep=waits.append)
    )
    assert payment.transaction_id == PAYMENT["transactionId"] and payment.status == "RECORDED"
    assert waits == [0.25, 2.0, 1.0]  # backoff after the transport error, then Retry-After
    keys = {r.headers["Idempotency-Key"] for r in sent}
    assert len(sent) == 4 and len(keys) == 1
    assert {r.headers["Authorization"] for r in sent} == {"Bearer t"}
    assert {json.loads(r.content)["amount"] for r in sent} == {"12.50"}


def test_retries_stop_after_the_last_attempt_with_the_typed_error():
    _, transport = _playing(*[_error(503, "ServiceUnavailable", **{"Retry-After": "1"})] * 3)
    with pytest.raises(ApiError) as refused:
        pay(client_for(URL, "t", transport=transport), "1.00", "EUR", retry=Retry(attempts=3, sleep=lambda _: None))
    assert (refused.value.status, refused.value.code) == (503, "ServiceUnavailable")


def test_a_refusal_is_raised_as_the_typed_error_without_a_retry():
    sent, transport = _playing(_error(422, "IdempotencyKeyReused"))
    with pytest.raises(ApiError) as refused:
        pay(client_for(URL, "t", transport=transport), "1.00", "EUR", key="order-0001")
    assert refused.value.code == "IdempotencyKeyReused" and refused.value.error.error.message
    assert len(sent) == 1


def test_a_request_without_a_key_is_not_repeated_after_a_transport_error():
    sent, transport = _playing(httpx.ReadTimeout("lost"), httpx.Response(201, json={}))
    with pytest.raises(httpx.ReadTimeout):
        start_session(client_for(URL, "t", transport=transport), retry=Retry(sleep=lambda _: None))
    assert len(sent) == 1  # it may have made a session: a second attempt could make another


def test_pages_are_followed_to_the_end():
    second = {**PAYMENT, "transactionId": "c7e2d3c1-5a4f-4e6b-8d9c-0a1b2c3d4e5f"}
    sent, transport = _playing(
        httpx.Response(200, json={"items": [PAYMENT], "nextCursor": "next.page"}),
        _error(429, "THROTTLED", **{"Retry-After": "1"}),
        httpx.Response(200, json={"items": [second], "nextCursor": None}),
    )
    client = client_for(URL, "t", transport=transport)
    found = list(payments_of(client, "alice", page_size=1, retry=Retry(sleep=lambda _: None)))
    assert [p.transaction_id for p in found] == [PAYMENT["transactionId"], second["transactionId"]]
    following = {"limit": "1", "cursor": "next.page"}  # sent twice: the throttled one, again
    assert [dict(r.url.params) for r in sent] == [{"limit": "1"}, following, following]
    assert sent[0].url.path == "/customers/alice/payments"
