"""Benchmark: each handler's cold start and the payment handler's per-request cost, against
the least they could cost.

    python -m scripts.bench_handlers [--requests 300] [--imports 21]

1. Cold import: fresh interpreters importing each handler as it is packaged (the handler,
   `common` and the API contract side by side, without .pyc files, as in Lambda's read-only
   /var/task) as Lambda initialises a container for a waiting request (on demand: clients
   are made by the first request that needs them, common.clients), against `import boto3`
   alone; and the payment handler as Lambda initialises a provisioned-concurrency container,
   before any request, making its DynamoDB client then, against the least any handler has
   to do before its first DynamoDB call: importing botocore and creating a DynamoDB client.
   All interleaved. boto3 and botocore come with the runtime, and are imported from this
   environment, compiled.
2. Cold start: a fresh interpreter importing the payment handler and answering its first
   POST /payments, against one creating that bare client and making the TransactWriteItems
   the request makes, both against a fresh local emulator.
3. POST /payments through the warm handler, in-process, against the DynamoDB call it
   makes (one TransactWriteItems) issued directly on the handler's own client.
Timings on shared machines are noisy: read the ratios, measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3

from blueprints.contract import CUSTOMER_SCOPE
from blueprints.project import load_project
from blueprints.testing import TemplateAssertions
from local_aws.client import control
from local_aws.client.handlers import api_event, load_handler
from local_aws.client.paths import ROOT

LAMBDA_CODE = ROOT / "lambda_code"
HANDLERS = {"payment handler": "payment_processor", "session handler": "session_manager"}
# What runs before the clock starts reads the request from the environment (json is
# imported by every measured body anyway).
TIMER = "import json, os, time; {setup}; t = time.perf_counter(); {body}; print(time.perf_counter() - t)"
BOTO3 = "import boto3"
BARE_CLIENT = "import botocore.session; client = botocore.session.get_session().create_client('dynamodb')"
CALLER = {"sub": "bench-customer", "username": "bench", "token_use": "access", "scope": CUSTOMER_SCOPE}
PAYMENT = {"amount": "12.50", "currency": "EUR"}
PROVISIONED = "payment handler, provisioned"


class Run:
    """One measured snippet: `body` timed in a fresh interpreter, `setup` before it, with the
    environment `env(i)` for run i."""

    def __init__(self, body: str, env: Callable[[int], dict[str, str]], setup: str = "pass") -> None:
        self.body, self.env, self.setup = body, env, setup

    def seconds(self, i: int) -> float:
        result = subprocess.run(  # noqa: S603 - fixed argv
            [sys.executable, "-c", TIMER.format(setup=self.setup, body=self.body)],
            env=self.env(i),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode:
            raise RuntimeError(f"{self.body!r} failed:\n{result.stderr}")
        return float(result.stdout.strip().splitlines()[-1])


def _medians(runs: dict[str, Run], rounds: int) -> dict[str, float]:
    """Each snippet's median time; the snippets take turns, so they share the machine's moods."""
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for i in range(rounds):
        for name, run in runs.items():
            samples[name].append(run.seconds(i))
    return {name: statistics.median(values) for name, values in samples.items()}


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def _setup(emulator: control.Emulator) -> dict[str, str]:
    """The data stack's tables and a cursor secret on the emulator; the handlers' env."""
    os.environ.update(emulator.environment({}))
    os.environ["AWS_DEFAULT_REGION"] = "eu-west-1"
    data = TemplateAssertions(load_project(ROOT / "sceptre_project").environments["dev"].render("data"))
    dynamodb = boto3.client("dynamodb")
    names = {}
    for logical_id in ("TransactionsTable", "IdempotencyTable", "SessionsTable"):
        props = data.properties(logical_id)
        keys = ("TableName", "AttributeDefinitions", "KeySchema", "ProvisionedThroughput", "GlobalSecondaryIndexes")
        dynamodb.create_table(**{k: props[k] for k in keys if k in props})
        names[logical_id] = props["TableName"]
    secret = boto3.client("secretsmanager").create_secret(Name="bench-cursor", SecretString="k" * 64)["ARN"]
    return {
        "TRANSACTIONS_TABLE": names["TransactionsTable"],
        "IDEMPOTENCY_TABLE": names["IdempotencyTable"],
        "SESSIONS_TABLE": names["SessionsTable"],
        "CURSOR_SECRET_ARN": secret,
        "MAX_PAYMENT_AMOUNT": "10000.00",
        "ALLOWED_CURRENCIES": "EUR,USD,GBP",
        "IDEMPOTENCY_TTL_SECONDS": "86400",
        "SESSION_TTL_SECONDS": "600",
        "LOG_LEVEL": "WARNING",  # keep log I/O out of the measurement
    }


def _raw_items(settings: dict[str, str], key: str, to_item: Callable[[Any], Any]) -> list[dict[str, Any]]:
    """The two conditional puts the handler makes for a new payment, in DynamoDB's typed form."""
    now = int(time.time())
    transaction = {
        "transactionId": str(uuid.uuid4()),
        "timestamp": now * 1000,
        **PAYMENT,
        "customerId": CALLER["sub"],
        "status": "RECORDED",
    }
    return [
        {
            "Put": {
                "TableName": settings["IDEMPOTENCY_TABLE"],
                "Item": to_item({"idempotencyKey": key, "requestHash": "x", "expiresAt": now + 86400}),
                "ConditionExpression": "attribute_not_exists(idempotencyKey) OR expiresAt < :now",
                "ExpressionAttributeValues": to_item({":now": now}),
            }
        },
        {
            "Put": {
                "TableName": settings["TRANSACTIONS_TABLE"],
                "Item": to_item(transaction),
                "ConditionExpression": "attribute_not_exists(transactionId)",
            }
        },
    ]


def _payment_event(key: str) -> dict[str, Any]:
    return api_event("POST", "/payments", PAYMENT, headers={"Idempotency-Key": key}, claims=CALLER)


def _row(name: str, ours: float, baseline: float, unit: str, digits: int = 2) -> str:
    return f"| {name} | {ours:.{digits}f} {unit} | {baseline:.{digits}f} {unit} | {ours / baseline:.2f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--imports", type=int, default=21)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as state:
        emulator = control.start(Path(state))
        try:
            settings = _setup(emulator)
            base = {**os.environ, **settings, "PYTHONDONTWRITEBYTECODE": "1"}

            def packaged(source_dir: str) -> Callable[[int], dict[str, str]]:
                """The function's code laid out as in its package, without compiled bytecode."""
                package = Path(state) / source_dir
                if not package.exists():
                    for source, target in (
                        (LAMBDA_CODE / source_dir, package),
                        (LAMBDA_CODE / "common", package / "common"),
                        (ROOT / "blueprints" / "contract", package / "contract"),
                    ):
                        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
                return lambda i: {**base, "PYTHONPATH": str(package)}

            imports = _medians(
                {
                    BOTO3: Run(BOTO3, lambda i: base),
                    BARE_CLIENT: Run(BARE_CLIENT, lambda i: base),
                    **{name: Run("import handler", packaged(source)) for name, source in HANDLERS.items()},
                    PROVISIONED: Run(
                        "import handler",
                        lambda i: {
                            **packaged("payment_processor")(i),
                            "AWS_LAMBDA_INITIALIZATION_TYPE": "provisioned-concurrency",
                        },
                    ),
                },
                args.imports,
            )

            os.environ.update(settings)
            handler = load_handler("payment_processor")  # configured by the environment set just above
            to_item = handler.to_item

            def with_event(i: int) -> dict[str, str]:
                return {**packaged("payment_processor")(i), "BENCH": json.dumps(_payment_event(f"cold-{i:08d}"))}

            def with_items(i: int) -> dict[str, str]:
                return {**base, "BENCH": json.dumps(_raw_items(settings, f"cold-raw-{i:08d}", to_item))}

            cold_starts = _medians(
                {
                    "handler": Run(
                        "import handler; assert handler.handler(event, None)['statusCode'] == 201",
                        with_event,
                        setup="event = json.loads(os.environ['BENCH'])",
                    ),
                    "raw": Run(
                        f"{BARE_CLIENT}; client.transact_write_items(TransactItems=items)",
                        with_items,
                        setup="items = json.loads(os.environ['BENCH'])",
                    ),
                },
                args.imports,
            )

            through_handler, raw = [], []
            # Interleaved, so both see tables of the same size (moto's transactions copy them).
            for i in range(args.requests):
                event = _payment_event(f"bench-{i:08d}")
                start = time.perf_counter()
                response = handler.handler(event, None)
                through_handler.append(time.perf_counter() - start)
                assert response["statusCode"] == 201, response
                start = time.perf_counter()
                handler.client("dynamodb").transact_write_items(
                    TransactItems=_raw_items(settings, f"raw-{i:08d}", to_item)
                )
                raw.append(time.perf_counter() - start)
        finally:
            control.stop(Path(state))

    handler_p50, handler_p99 = _percentiles(through_handler)
    raw_p50, raw_p99 = _percentiles(raw)
    handler_rate, raw_rate = len(through_handler) / sum(through_handler), len(raw) / sum(raw)
    print("| measure | handler | baseline | ratio |")
    print("|---|---:|---:|---:|")
    for name in HANDLERS:
        cold = f"cold import of the {name} (median of {args.imports})"
        print(_row(f"{cold} vs `import boto3`", imports[name] * 1000, imports[BOTO3] * 1000, "ms", 0))
    # Like for like: both make a DynamoDB client before any request.
    print(
        _row(
            f"initialisation of a provisioned payment handler (median of {args.imports}, nobody waits)"
            " vs a bare botocore DynamoDB client",
            imports[PROVISIONED] * 1000,
            imports[BARE_CLIENT] * 1000,
            "ms",
            0,
        )
    )
    rows = [
        (
            f"cold start: import + first POST /payments vs bare client + its TransactWriteItems "
            f"(median of {args.imports})",
            cold_starts["handler"] * 1000,
            cold_starts["raw"] * 1000,
            "ms",
        ),
        ("POST /payments p50 vs raw TransactWriteItems", handler_p50 * 1000, raw_p50 * 1000, "ms"),
        ("POST /payments p99 vs raw TransactWriteItems", handler_p99 * 1000, raw_p99 * 1000, "ms"),
        (f"throughput, one client ({args.requests} requests)", handler_rate, raw_rate, "/s"),
    ]
    for name, ours, baseline, unit in rows:
        print(_row(name, ours, baseline, unit, 0 if name.startswith("cold") else 2))


if __name__ == "__main__":
    main()
