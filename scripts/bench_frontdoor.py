"""Benchmark: what the local front door adds to a request.

    python -m scripts.bench_frontdoor [--requests 200]

Launches prod (the stage with the highest throttling limits) on a fresh emulator, then
sends the same requests two ways, interleaved: over HTTP through the front door (route
matching, throttling, the Cognito authorizer, validation, the worker process running the
deployed package) and as an in-process call of the same handler code, warm, configured
as deployed, with the claims the authorizer would pass. Both reach the same emulator's
DynamoDB. Timings on shared machines are noisy: read the ratios, measured in one run.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from typing import Protocol

from local_aws.client.callers import Environment, send
from local_aws.client.launched import LaunchedEnvironment, fresh_launch
from scripts.bench_load import admin, in_process

ENV = "prod"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with fresh_launch(ENV) as (emulator, _):
        timings = _measure(LaunchedEnvironment(ENV), Environment(ENV, emulator), args.requests)
    print("| request | over HTTP (front door) | in-process handler | ratio |")
    print("|---|---:|---:|---:|")
    for name, (http, direct) in timings.items():
        http_p50, direct_p50 = statistics.median(http), statistics.median(direct)
        print(f"| {name} p50 | {http_p50 * 1000:.2f} ms | {direct_p50 * 1000:.2f} ms | {http_p50 / direct_p50:.2f} |")
    return 0


class _Answer(Protocol):
    """An answer over HTTP or from the handler in this process: both say their status."""

    @property
    def status(self) -> int: ...


def _measure(
    launched: LaunchedEnvironment, env: Environment, requests: int
) -> dict[str, tuple[list[float], list[float]]]:
    token = env.customer_token("bench")
    payment = {"amount": "12.50", "currency": "EUR"}
    created = send("POST", f"{env.url}/payments", payment, token=token, headers={"Idempotency-Key": "bench-first"})
    assert created.status == 201, created.text
    transaction = created.json["transactionId"]
    timings: dict[str, tuple[list[float], list[float]]] = {"GET /payments/{id}": ([], []), "POST /payments": ([], [])}
    # The same warm handler in this process, as deployed, acting in the environment's account.
    with in_process(launched, admin(env)) as direct:
        for i in range(requests):
            key = {"Idempotency-Key": f"bench-{uuid.uuid4()}"}
            direct_key = {"Idempotency-Key": f"direct-{i:08d}"}
            routes: list[tuple[str, Callable[[], _Answer], Callable[[], _Answer]]] = [
                (
                    "GET /payments/{id}",
                    lambda: send("GET", f"{env.url}/payments/{transaction}", token=token),
                    lambda: direct("GET", f"/payments/{transaction}", None, token, {}, "read"),
                ),
                (
                    "POST /payments",
                    functools.partial(send, "POST", f"{env.url}/payments", payment, token=token, headers=key),
                    functools.partial(direct, "POST", "/payments", payment, token, direct_key, "pay"),
                ),
            ]
            for name, http_call, direct_call in routes:
                for timed, call in zip(timings[name], (http_call, direct_call), strict=True):
                    start = time.perf_counter()
                    reply = call()
                    timed.append(time.perf_counter() - start)
                    assert reply.status in (200, 201), (name, reply)
    return timings


if __name__ == "__main__":
    sys.exit(main())
