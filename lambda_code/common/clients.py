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
"""

from __future__ import annotations

import functools
import os
import threading

import botocore.session
from botocore.client import BaseClient

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
                found = _clients[service] = _session().create_client(service)
    return found


@functools.cache
def _session() -> botocore.session.Session:
    """The container's botocore session (called with `_creating` held)."""
    return botocore.session.get_session()


def ahead_of_traffic(*services: str) -> None:
    """Create these services' clients now if nobody waits for this initialisation."""
    if AHEAD_OF_TRAFFIC:
        for service in services:
            client(service)
