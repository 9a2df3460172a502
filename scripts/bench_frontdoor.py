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
import contextlib
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from blueprints.functions import FUNCTIONS
from local_aws import control
from local_aws.accounts import bootstrap_account
from local_aws.callers import Environment, claims, send
from local_aws.launched import LaunchedEnvironment, api_event, environment_variables, load_handler, sceptre_launch

ENV = "prod"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as state:
        emulator = control.start(Path(state))
        try:
            bootstrap_account(emulator, ENV)
            if sceptre_launch(emulator, ENV).returncode != 0:
                print(f"launch of {ENV} failed", file=sys.stderr)
                return 1
            os.environ.update(emulator.environment({}))
            timings = _measure(LaunchedEnvironment(ENV), Environment(ENV, emulator), args.requests)
        finally:
            control.stop(Path(state))
    print("| request | over HTTP (front door) | in-process handler | ratio |")
    print("|---|---:|---:|---:|")
    for name, (http, direct) in timings.items():
        http_p50, direct_p50 = statistics.median(http), statistics.median(direct)
        print(f"| {name} p50 | {http_p50 * 1000:.2f} ms | {direct_p50 * 1000:.2f} ms | {http_p50 / direct_p50:.2f} |")
    return 0


def _measure(
    launched: LaunchedEnvironment, env: Environment, requests: int
) -> dict[str, tuple[list[float], list[float]]]:
    token = env.customer_token("bench")
    caller = {k: str(v) for k, v in claims(token).items()}
    spec = next(s for s in FUNCTIONS if s.name == "payment-processor")
    variables = {**launched.function_environment(spec), "AWS_DEFAULT_REGION": launched.region()}
    # The handler's logs go to a sink, as the worker's go to a file: both pay for writing them.
    with environment_variables(variables), open(os.devnull, "w") as sink:
        with contextlib.redirect_stdout(sink):
            handler = load_handler(spec.source_dir).handler
        payment = {"amount": "12.50", "currency": "EUR"}
        created = send("POST", f"{env.url}/payments", payment, token=token, headers={"Idempotency-Key": "bench-first"})
        assert created.status == 201, created.text
        transaction = created.json["transactionId"]
        timings: dict[str, tuple[list[float], list[float]]] = {
            "GET /payments/{id}": ([], []),
            "POST /payments": ([], []),
        }
        for i in range(requests):
            key = {"Idempotency-Key": f"bench-{uuid.uuid4()}"}
            for name, http_call, direct_event in (
                (
                    "GET /payments/{id}",
                    lambda: send("GET", f"{env.url}/payments/{transaction}", token=token),
                    api_event("GET", "/payments/{transactionId}", claims=caller, transactionId=transaction),
                ),
                (
                    "POST /payments",
                    lambda key=key: send("POST", f"{env.url}/payments", payment, token=token, headers=key),
                    api_event(
                        "POST", "/payments", payment, headers={"Idempotency-Key": f"direct-{i:08d}"}, claims=caller
                    ),
                ),
            ):
                start = time.perf_counter()
                reply = http_call()
                timings[name][0].append(time.perf_counter() - start)
                assert reply.status in (200, 201), reply.text
                start = time.perf_counter()
                response = handler(direct_event, None)
                timings[name][1].append(time.perf_counter() - start)
                assert response["statusCode"] in (200, 201), response
    return timings


if __name__ == "__main__":
    sys.exit(main())
