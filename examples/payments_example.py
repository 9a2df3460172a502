"""Calling the payments API with its generated client (examples/payments_client): every
operation, a customer's payments paged to the end, retries that are safe to repeat, and
every refusal as the API's typed `Error`.

    python -m examples.payments_example --url https://api.dev.example.com --token "$ALICE" \\
        [--back-office-token "$READER"]

Locally, `python -m local_aws.client.control url --env dev` and `... token` give the URL and tokens.
"""

from __future__ import annotations

import argparse
import base64
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from http import HTTPStatus
from typing import Any, TypeVar

import httpx

from examples.payments_client import AuthenticatedClient
from examples.payments_client.api.default import (
    create_payment,
    create_session,
    end_session,
    get_payment,
    get_session,
    list_customer_payments,
)
from examples.payments_client.models import Error, ErrorDetail, Payment, PaymentRequest, Session, SessionRequest
from examples.payments_client.types import UNSET, Response

T = TypeVar("T")

# The API's answers that ask to send the same request again: its throttling, and a handler
# that could not reach its table in time (both with Retry-After).
RETRIED = frozenset({HTTPStatus.TOO_MANY_REQUESTS, HTTPStatus.SERVICE_UNAVAILABLE})


class ApiError(Exception):
    """The API refused or failed: `error` is its typed body; branch on `error.error.code`."""

    def __init__(self, status: int, error: Error) -> None:
        super().__init__(f"{status} {error.error.code}: {error.error.message}")
        self.status = status
        self.error = error

    @property
    def code(self) -> str:
        return self.error.error.code


@dataclass
class Retry:
    """How often and how long to wait: Retry-After when the answer gives it, else a backoff."""

    attempts: int = 5
    backoff: float = 0.5  # seconds before the first retry without Retry-After, doubled each time
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def delay(self, attempt: int, headers: httpx.Headers | None = None) -> float:
        given = (headers or httpx.Headers()).get("Retry-After", "")
        return float(given) if given.isdigit() else self.backoff * 2 ** (attempt - 1)


def call(send: Callable[[], Response[T | Error]], retry: Retry, *, repeatable: bool = True) -> T:
    """`send`'s result, sending it again after a 429 or 503, and after a transport error when
    `repeatable` (a request that may have arrived: only one its server recognises when repeated,
    by Idempotency-Key or because it changes nothing). `send` is the same request each time."""
    for attempt in range(1, retry.attempts + 1):
        try:
            response = send()
        except httpx.TransportError:
            if not repeatable or attempt == retry.attempts:
                raise
            retry.sleep(retry.delay(attempt))
            continue
        if response.status_code not in RETRIED or attempt == retry.attempts:
            return _result(response)
        retry.sleep(retry.delay(attempt, httpx.Headers(response.headers)))
    raise AssertionError("unreachable: the last attempt returns or raises")


def _result(response: Response[T | Error]) -> T:
    parsed = response.parsed
    if isinstance(parsed, Error):
        raise ApiError(response.status_code, parsed)
    if response.status_code >= HTTPStatus.BAD_REQUEST:  # a status the document does not list
        text = response.content.decode(errors="replace")[:200]
        raise ApiError(response.status_code, Error(error=ErrorDetail(code=f"HTTP{response.status_code}", message=text)))
    return parsed  # type: ignore[return-value]  # None only for 204, whose T is None


def new_idempotency_key() -> str:
    """One key per payment the caller means to make, chosen before its first attempt."""
    return f"pay-{uuid.uuid4().hex}"


def pay(
    client: AuthenticatedClient,
    amount: str,
    currency: str,
    *,
    description: str | None = None,
    key: str | None = None,
    retry: Retry | None = None,
) -> Payment:
    """Record a payment exactly once: every attempt carries the same Idempotency-Key, so a
    retry after a lost answer returns the payment the first attempt recorded."""
    body = PaymentRequest(amount=amount, currency=currency, description=description or UNSET)
    send = partial(create_payment.sync_detailed, client=client, body=body, idempotency_key=key or new_idempotency_key())
    return call(send, retry or Retry())


def payments_of(
    client: AuthenticatedClient, customer_id: str, *, page_size: int = 20, retry: Retry | None = None
) -> Iterator[Payment]:
    """Every payment of a customer, newest first, page after page to the end."""
    cursor: str | None = None
    while True:
        page = call(
            partial(
                list_customer_payments.sync_detailed,
                customer_id,
                client=client,
                limit=page_size,
                cursor=UNSET if cursor is None else cursor,
            ),
            retry or Retry(),
        )
        yield from page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def read_payment(client: AuthenticatedClient, transaction_id: str, *, retry: Retry | None = None) -> Payment:
    return call(partial(get_payment.sync_detailed, transaction_id, client=client), retry or Retry())


def start_session(client: AuthenticatedClient, *, retry: Retry | None = None) -> Session:
    # Not repeated after a transport error: a request that arrived would leave a second session.
    return call(partial(create_session.sync_detailed, client=client, body=SessionRequest()), retry or Retry(),
                repeatable=False)  # fmt: skip


def read_session(client: AuthenticatedClient, session_id: str, *, retry: Retry | None = None) -> Session:
    return call(partial(get_session.sync_detailed, session_id, client=client), retry or Retry())


def finish_session(client: AuthenticatedClient, session_id: str, *, retry: Retry | None = None) -> None:
    call(partial(end_session.sync_detailed, session_id, client=client), retry or Retry())


def customer_id(token: str) -> str:
    """The customer's id is their access token's subject (read here, verified by the API)."""
    payload = token.split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])


def tour(customer: AuthenticatedClient, me: str, back_office: AuthenticatedClient | None = None) -> list[str]:
    """Every operation once, as a customer (and reads as the back office): what happened, in order."""
    said = []
    key = new_idempotency_key()
    payment = pay(customer, "12.50", "EUR", description="Order 1001", key=key)
    again = pay(customer, "12.50", "EUR", description="Order 1001", key=key)
    said.append(f"paid {payment.amount} {payment.currency}: {payment.transaction_id} (its retry: {again == payment})")
    said.append(f"read {read_payment(customer, payment.transaction_id).transaction_id}")
    said.append(f"listed {sum(1 for _ in payments_of(customer, me, page_size=2))} payments of {me}")
    if back_office is not None:
        said.append(f"back office read {read_payment(back_office, payment.transaction_id).transaction_id}")
        try:
            pay(back_office, "1.00", "EUR")
        except ApiError as err:
            said.append(f"back office may not pay: {err.status} {err.code}")
    session = start_session(customer)
    said.append(f"session {session.session_id} until {session.expires_at}")
    said.append(f"read session {read_session(customer, session.session_id).session_id}")
    finish_session(customer, session.session_id)
    try:
        read_session(customer, session.session_id)
    except ApiError as err:
        said.append(f"ended: reading it again answers {err.status} {err.code}")
    return said


def client_for(url: str, token: str, **httpx_args: Any) -> AuthenticatedClient:
    return AuthenticatedClient(base_url=url, token=token, timeout=httpx.Timeout(10.0), httpx_args=httpx_args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="the API's base URL (the environment's domain)")
    parser.add_argument("--token", required=True, help="a customer's access token")
    parser.add_argument("--back-office-token", help="a back-office client's access token (payments/read)")
    args = parser.parse_args()
    back_office = client_for(args.url, args.back_office_token) if args.back_office_token else None
    for line in tour(client_for(args.url, args.token), customer_id(args.token), back_office):
        print(line)


if __name__ == "__main__":
    main()
