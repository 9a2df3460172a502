"""The AWS clients of a function: botocore's own (boto3 would add s3transfer and its resource
layer to every cold start), one per service per container, reused by every invocation.

A client is created where a request first needs it, not while the module is imported: a
container that Lambda starts for a waiting request pays for it once either way, but the
import stays the cost of the code, and a container that never needs a service (the payment
handler's Secrets Manager, used only for cursors) never pays for it. A container Lambda
initialises ahead of traffic (provisioned concurrency, SnapStart) has nobody waiting for its
initialisation, so `ahead_of_traffic(...)` creates the named clients then instead.

A client that cannot be created (no region, say) therefore fails the first request that
needs it, as an internal error, rather than the container's initialisation.

Timeouts: botocore's defaults (60 s to connect and to read, standard mode's 3 attempts, legacy
mode's 5 and more) would let one slow call outlast the function, which Lambda then kills
(API Gateway answers 502). Every client of a container is sized instead from the function's
timeout, as the first invocation that made a client was given it (common.invocation: Lambda
states the timeout nowhere else; a client made before any invocation assumes
invocation.DEFAULT_SECONDS): a twentieth of it to connect, a tenth to read, and standard
mode's retries with 2 attempts, so that one call, retried by the SDK, ends within less than
half the time of a function of 10 s or more (`Timeouts.longest_call`). What else is worth
retrying is retried by the handler within what is left (common.retries).
"""

from __future__ import annotations

import functools
import os
import threading
from dataclasses import dataclass

import botocore.session
from botocore.client import BaseClient
from botocore.config import Config

from common import invocation

# Lambda's own word for how this container is initialised: "on-demand" when a request waits
# for it; "provisioned-concurrency" or "snap-start" when none does.
AHEAD_OF_TRAFFIC = os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") in {"provisioned-concurrency", "snap-start"}

_clients: dict[str, BaseClient] = {}
# One container runs one invocation at a time, but threads of one process (tests, a runtime
# with concurrent requests) must still make one session and one client per service:
# botocore's sessions are not thread-safe while they create clients.
_creating = threading.Lock()


def client(service: str) -> BaseClient:
    """The container's client of `service` (e.g. "dynamodb"), created on first use."""
    found = _clients.get(service)
    if found is None:
        with _creating:
            found = _clients.get(service)
            if found is None:
                found = _clients[service] = _session().create_client(service, config=timeouts().config())
    return found


@dataclass(frozen=True)
class Timeouts:
    """The clients' limits, in seconds, and the SDK's attempts at each call."""

    connect: float
    read: float
    attempts: int = 2
    # Standard mode waits at most 1 s before its first retry of a throttled call (botocore's
    # ExponentialBackoff: rand(0, 1) * 1 s), less after any other error.
    first_backoff: float = 1.0

    @classmethod
    def for_function(cls, seconds: float) -> Timeouts:
        return cls(connect=max(0.2, seconds / 20), read=max(0.5, seconds / 10))

    @property
    def longest_call(self) -> float:
        """The longest one call can take: every attempt timing out, with the backoff between."""
        return self.attempts * (self.connect + self.read) + (self.attempts - 1) * self.first_backoff

    def config(self) -> Config:
        return Config(
            connect_timeout=self.connect,
            read_timeout=self.read,
            retries={"mode": "standard", "total_max_attempts": self.attempts},  # the first one included
        )


_timeouts: list[Timeouts] = []  # the one value, once known
_timeouts_lock = threading.Lock()


def timeouts() -> Timeouts:
    """The container's client limits, fixed when first asked for (by the first client made)."""
    if not _timeouts:
        with _timeouts_lock:
            if not _timeouts:
                _timeouts.append(Timeouts.for_function(invocation.given() or invocation.DEFAULT_SECONDS))
    return _timeouts[0]


@functools.cache
def _session() -> botocore.session.Session:
    """The container's botocore session (called with `_creating` held)."""
    return botocore.session.get_session()


def ahead_of_traffic(*services: str) -> None:
    """Create these services' clients now if nobody waits for this initialisation."""
    if AHEAD_OF_TRAFFIC:
        for service in services:
            client(service)
