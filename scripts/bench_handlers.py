"""Benchmark: the payment handler's cold start and per-request cost, against the raw calls.

    python -m scripts.bench_handlers [--requests 300] [--imports 15]

1. Cold import: a fresh interpreter importing the handler (boto3, powertools, clients
   created once per container) against one importing boto3 alone.
2. POST /payments through the handler, in-process, against a fresh local emulator,
   against the DynamoDB call it makes (one TransactWriteItems) issued directly.
Timings on shared machines are noisy: read the ratios, measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import boto3

from blueprints.contract import CUSTOMER_SCOPE
from blueprints.environments import load_project
from blueprints.testing import TemplateAssertions
from local_aws import control
from local_aws.launched import ROOT, api_event, load_handler

LAMBDA_CODE = ROOT / "lambda_code"
TIMER = "import time; t = time.perf_counter(); {body}; print(time.perf_counter() - t)"


def _import_seconds(body: str, env: dict[str, str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        result = subprocess.run(  # noqa: S603 - fixed argv
            [sys.executable, "-c", TIMER.format(body=body)], env=env, capture_output=True, text=True, check=True
        )
        samples.append(float(result.stdout.strip().splitlines()[-1]))
    return statistics.median(samples)


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def _setup(emulator: control.Emulator) -> dict[str, str]:
    """The data stack's tables and a cursor secret on the emulator; the handler's env."""
    os.environ.update(emulator.environment({}))
    os.environ["AWS_DEFAULT_REGION"] = "eu-west-1"
    data = TemplateAssertions(load_project(ROOT / "sceptre_project").environments["dev"].render("data"))
    dynamodb = boto3.client("dynamodb")
    names = {}
    for logical_id in ("TransactionsTable", "IdempotencyTable"):
        props = data.properties(logical_id)
        keys = ("TableName", "AttributeDefinitions", "KeySchema", "ProvisionedThroughput", "GlobalSecondaryIndexes")
        dynamodb.create_table(**{k: props[k] for k in keys if k in props})
        names[logical_id] = props["TableName"]
    secret = boto3.client("secretsmanager").create_secret(Name="bench-cursor", SecretString="k" * 64)["ARN"]
    return {
        "TRANSACTIONS_TABLE": names["TransactionsTable"],
        "IDEMPOTENCY_TABLE": names["IdempotencyTable"],
        "CURSOR_SECRET_ARN": secret,
        "MAX_PAYMENT_AMOUNT": "10000.00",
        "ALLOWED_CURRENCIES": "EUR,USD,GBP",
        "IDEMPOTENCY_TTL_SECONDS": "86400",
        "POWERTOOLS_SERVICE_NAME": "payment-processor",
        "POWERTOOLS_LOG_LEVEL": "WARNING",  # keep log I/O out of the measurement
    }


def _raw_items(settings: dict[str, str], payload: dict[str, str], key: str) -> list[dict[str, object]]:
    """The two conditional puts the handler makes for a new payment."""
    now = int(time.time())
    transaction = {"transactionId": str(uuid.uuid4()), "timestamp": now * 1000, **payload, "status": "RECORDED"}
    return [
        {
            "Put": {
                "TableName": settings["IDEMPOTENCY_TABLE"],
                "Item": {"idempotencyKey": key, "requestHash": "x", "expiresAt": now + 86400},
                "ConditionExpression": "attribute_not_exists(idempotencyKey) OR expiresAt < :now",
                "ExpressionAttributeValues": {":now": now},
            }
        },
        {
            "Put": {
                "TableName": settings["TRANSACTIONS_TABLE"],
                "Item": transaction,
                "ConditionExpression": "attribute_not_exists(transactionId)",
            }
        },
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--imports", type=int, default=15)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as state:
        emulator = control.start(Path(state))
        try:
            settings = _setup(emulator)
            # As in the package: the handler, `common` and the API contract side by side.
            (Path(state) / "contract").symlink_to(ROOT / "blueprints" / "contract")
            path = f"{LAMBDA_CODE}:{LAMBDA_CODE / 'payment_processor'}:{state}"
            env = {**os.environ, **settings, "PYTHONPATH": path}
            bare = _import_seconds("import boto3", env, args.imports)
            handler_import = _import_seconds("import handler", env, args.imports)

            os.environ.update(settings)
            handler = load_handler("payment_processor")  # configured by the environment set just above

            payload = {"amount": "12.50", "currency": "EUR"}
            caller = {"sub": "bench-customer", "username": "bench", "token_use": "access", "scope": CUSTOMER_SCOPE}
            client = handler.DYNAMODB.meta.client
            through_handler, raw = [], []
            # Interleaved, so both see tables of the same size (moto's transactions copy them).
            for i in range(args.requests):
                key = {"Idempotency-Key": f"bench-{i:08d}"}
                event = api_event("POST", "/payments", payload, headers=key, claims=caller)
                start = time.perf_counter()
                response = handler.handler(event, None)
                through_handler.append(time.perf_counter() - start)
                assert response["statusCode"] == 201, response
                start = time.perf_counter()
                items = _raw_items(settings, {**payload, "customerId": "bench-customer"}, f"raw-{i:08d}")
                client.transact_write_items(TransactItems=items)
                raw.append(time.perf_counter() - start)
        finally:
            control.stop(Path(state))

    handler_p50, handler_p99 = _percentiles(through_handler)
    raw_p50, raw_p99 = _percentiles(raw)
    print("| measure | payment handler | baseline | ratio |")
    print("|---|---:|---:|---:|")
    print(
        f"| cold import (median of {args.imports}) vs `import boto3` | {handler_import * 1000:.0f} ms "
        f"| {bare * 1000:.0f} ms | {handler_import / bare:.2f} |"
    )
    handler_rate, raw_rate = len(through_handler) / sum(through_handler), len(raw) / sum(raw)
    rows = [
        ("POST /payments p50 vs raw TransactWriteItems", handler_p50 * 1000, raw_p50 * 1000, "ms"),
        ("POST /payments p99 vs raw TransactWriteItems", handler_p99 * 1000, raw_p99 * 1000, "ms"),
        (f"throughput, one client ({args.requests} requests)", handler_rate, raw_rate, "/s"),
    ]
    for name, ours, baseline, unit in rows:
        print(f"| {name} | {ours:.2f} {unit} | {baseline:.2f} {unit} | {ours / baseline:.2f} |")


if __name__ == "__main__":
    main()
