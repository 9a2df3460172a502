"""Transient failures retried within the invocation's time, then answered 503.

DynamoDB answers some requests with "not now" rather than "no": a transaction cancelled
because another one holds one of its items (`TransactionConflict`, also while two identical
payments race), a throttled table or account (`ProvisionedThroughputExceededException`,
`ThrottlingException`, `RequestLimitExceeded`), an internal error; and a call can time out
(common.clients bounds each one). `retrying` runs an attempt again after any of these, with
exponential backoff and full jitter, while the invocation has time for one more call
(common.invocation) and for answering after it; then it answers 503 with Retry-After, in
the API's error shape: a fast answer the client may retry, where Lambda's own timeout would
give it a 502 late. An attempt that finds something not there yet raises `NotYet`.

https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html
https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from common import invocation
from common.api import ApiError
from common.clients import timeouts

T = TypeVar("T")

TRANSIENT_ERRORS = frozenset(
    {
        "TransactionConflictException",
        "TransactionInProgressException",
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",  # DynamoDB's
        "InternalServiceError",  # Secrets Manager's
    }
)
# A cancelled transaction's reasons, one per item, that another attempt may not meet.
TRANSIENT_REASONS = frozenset({"TransactionConflict", "ProvisionedThroughputExceeded", "ThrottlingError"})
FIRST_DELAY, MAX_DELAY = 0.025, 1.0  # seconds: the backoff's first cap, and its largest
ANSWER_SECONDS = 0.5  # kept for answering, logging and writing the metrics after the last call
RETRY_AFTER = "1"  # seconds, in the 503's Retry-After


class NotYet(Exception):
    """What an attempt needs is not there yet (an item another request is committing)."""


def transient(error: BaseException) -> bool:
    """Whether the same request may succeed if sent again."""
    if isinstance(error, NotYet | BotocoreConnectionError | HTTPClientError):  # timeouts, lost connections
        return True
    if not isinstance(error, ClientError):
        return False
    code = error.response.get("Error", {}).get("Code")
    # A 5xx is the service's own failure, retryable as AWS documents for every service (an
    # HTTP 500 with no error code is one, after the SDK's own retries): a write it may have
    # applied is then found by the next attempt (a payment's record), never answered 500.
    if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500:
        return True
    if code == "TransactionCanceledException":
        reasons = {r.get("Code") for r in error.response.get("CancellationReasons") or []} - {"None", None}
        return bool(reasons) and reasons <= TRANSIENT_REASONS
    return code in TRANSIENT_ERRORS


def unavailable() -> ApiError:
    return ApiError(
        503,
        "ServiceUnavailable",
        # Every route's request is safe to send again as it was, a payment with its Idempotency-Key.
        "temporarily unable to answer: send the same request again after Retry-After seconds",
        headers={"Retry-After": RETRY_AFTER},
    )


def retrying(attempt: Callable[[], T]) -> T:
    """`attempt()`'s result, retrying transient failures while the invocation has time for
    another call; `unavailable()` once it has not. The first attempt always runs."""
    for delay in _delays():
        try:
            return attempt()
        except Exception as error:
            if not transient(error):
                raise
            if invocation.remaining() - delay < timeouts().longest_call + ANSWER_SECONDS:
                raise unavailable() from error
        time.sleep(delay)
    raise AssertionError("unreachable: the delays never end")


def _delays() -> Iterator[float]:
    """Full jitter: a random delay up to a cap that doubles after each attempt."""
    cap = FIRST_DELAY
    while True:
        yield random.uniform(0, cap)  # noqa: S311 - jitter, not a secret
        cap = min(cap * 2, MAX_DELAY)
