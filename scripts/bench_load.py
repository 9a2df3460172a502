"""Benchmark: the front door under load, with locust, against the same scenario in-process.

    python -m scripts.bench_load [--seconds 20] [--journeys 3000] [--customers 16]

Launches prod (the stage with the highest throttling limits, the payment function's reserved
concurrency 100) on a fresh emulator, then runs scripts/load_scenario.py's journeys (payment,
retry with its key, one in four raced, read, back-office list): first in this process against
the warm handler (one client), then through the front door with locust (.venv-load, headless,
on loopback) at 32 clients to start the workers, then at 1, 8 and 32 clients, each run bounded
by `--seconds` and `--journeys`. Then the books, read as the account's administrator: every
key answered has one record and one transaction, every answer to it named that one, and no
payment of these customers is missing or extra. Exits 1 on a 5xx, a transport error or a
problem in the books. Timings on shared machines are noisy: read the ratios, measured in one run.

Each run also shows the CPU time the emulator's process spent per request (Linux: /proc). That
process serves the front door and every AWS call the functions make, in one interpreter, so
one over it is the most requests a second any number of clients gets (the functions' own
work runs in their worker processes).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import json
import os
import re
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from blueprints.contract import routes_of
from blueprints.project import load_project
from blueprints.stacks.functions import FUNCTIONS
from local_aws.client.accounts import admin_session
from local_aws.client.callers import Environment, claims
from local_aws.client.endpoint import environment_variables
from local_aws.client.handlers import api_event, load_handler
from local_aws.client.launched import LaunchedEnvironment, fresh_launch
from local_aws.client.paths import ROOT
from scripts.load_scenario import Customer, Ledger, Plan, Reply, Send, audit, threads

ENV = "prod"
PAYMENTS = "payment-processor"  # every route of the scenario
LOCUST = ROOT / ".venv-load" / "bin" / "locust"
LOCUSTFILE = ROOT / "scripts" / "locustfile.py"
WARM_UP_CLIENTS = 32


@dataclass(frozen=True)
class Measure:
    clients: int
    requests: int
    failures: int  # 5xx and transport errors
    per_second: float
    p50_ms: float
    p99_ms: float
    emulator_cpu_ms: float | None = None  # the emulator process's CPU time per request


def cpu_seconds(pid: int) -> float | None:
    """A process's CPU time so far (user and system), where /proc tells it."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=20, help="each run's length at most")
    parser.add_argument("--journeys", type=int, default=3000, help="each run's journeys at most")
    parser.add_argument("--customers", type=int, default=16)
    args = parser.parse_args()
    if not LOCUST.exists():
        print(f"{LOCUST} is missing: run `make bench-load`", file=sys.stderr)
        return 2
    with fresh_launch(ENV) as (emulator, state):
        env = Environment(ENV, emulator)
        return _run(env, make_plan(env, args.customers), args, state, emulator.pid)


def make_plan(env: Environment, customers: int) -> Plan:
    """Customers of this run's own (so the books of this run are theirs alone) and a
    back-office reader."""
    run = uuid.uuid4().hex[:8]
    made = []
    for i in range(customers):
        token = env.customer_token(f"load-{run}-{i}")
        made.append(Customer(f"load-{run}-{i}", claims(token)["sub"], token))
    return Plan(env.url, tuple(made), env.client_token("load-reader"))


def _run(env: Environment, plan: Plan, args: argparse.Namespace, state: Path, emulator_pid: int) -> int:
    ledger = Ledger()
    with in_process(LaunchedEnvironment(ENV), admin(env)) as send:
        started = time.perf_counter()
        timed = _Timed(send)
        direct, errors = threads(plan, timed, 1, args.journeys // 10)
        baseline = timed.measure(1, time.perf_counter() - started, errors)
    ledger.merge(direct)
    runs: list[tuple[str, Measure]] = []
    for label, clients in (("warm-up", WARM_UP_CLIENTS), ("", 1), ("", 8), ("", 32)):
        before = cpu_seconds(emulator_pid)
        measure, answered = locust(plan, clients, args.seconds, args.journeys, state)
        after = cpu_seconds(emulator_pid)
        if before is not None and after is not None and measure.requests:
            measure = dataclasses.replace(measure, emulator_cpu_ms=(after - before) * 1000 / measure.requests)
        ledger.merge(answered)
        runs.append((label, measure))
    problems = books(env, plan, ledger)
    print("| clients | through | requests | 5xx + transport errors | requests/s | p50 | p99 | emulator CPU / request |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for label, m in [("in-process handler", baseline), *((label or "front door", m) for label, m in runs)]:
        cpu = "-" if m.emulator_cpu_ms is None else f"{m.emulator_cpu_ms:.1f} ms"
        print(
            f"| {m.clients} | {label} | {m.requests} | {m.failures} | {m.per_second:.1f} "
            f"| {m.p50_ms:.0f} ms | {m.p99_ms:.0f} ms | {cpu} |"
        )
    measured = {m.clients: m for label, m in runs if not label}
    print(
        f"\nthroughput 32 / 1 clients: {measured[32].per_second / measured[1].per_second:.2f} (goal 3); "
        f"p99 at 8 / p50 at 1: {measured[8].p99_ms / measured[1].p50_ms:.2f} (goal 4 at most)"
    )
    if measured[32].emulator_cpu_ms:
        print(
            f"the emulator's process at 32 clients: {measured[32].emulator_cpu_ms:.1f} ms of CPU a request, "
            f"so at most {1000 / measured[32].emulator_cpu_ms:.0f} requests/s on one core of {os.cpu_count()}"
        )
    print(
        f"statuses: {dict(sorted(ledger.statuses.items()))}; journeys: {ledger.journeys}; keys: {len(ledger.answers)}"
    )
    for problem in [*ledger.broken, *problems][:20]:
        print(f"  {problem}")
    failed = sum(m.failures for _, m in runs) + baseline.failures
    print("books: balanced" if not problems else f"books: {len(problems)} problems")
    return 1 if problems or failed or ledger.broken else 0


class _Timed:
    """A transport that keeps each request's time."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.seconds: list[float] = []

    def __call__(self, method: str, path: str, body: Any, token: str, headers: Mapping[str, str], name: str) -> Reply:
        started = time.perf_counter()
        try:
            return self._send(method, path, body, token, headers, name)
        finally:
            self.seconds.append(time.perf_counter() - started)

    def measure(self, clients: int, elapsed: float, errors: list[str]) -> Measure:
        ordered = sorted(self.seconds)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return Measure(
            clients, len(ordered), len(errors), len(ordered) / elapsed, statistics.median(ordered) * 1000, p99 * 1000
        )


@contextlib.contextmanager
def in_process(launched: LaunchedEnvironment, session: boto3.Session) -> Iterator[Send]:
    """A transport calling the deployed handler's code in this process, warm, configured as
    deployed, with the claims the authorizer would pass (what the front door adds is absent),
    acting in the environment's account with `session`'s credentials."""
    patterns = [
        (r.method, re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", r.path) + "$"), r)
        for r in routes_of(PAYMENTS)
    ]
    # One handler: each load_handler imports `common` afresh, for the handler it loads.
    specs = [s for s in FUNCTIONS if s.name == PAYMENTS]
    handlers: dict[str, Any] = {}
    credentials = session.get_credentials().get_frozen_credentials()
    variables: dict[str, str] = {
        "AWS_DEFAULT_REGION": launched.region(),
        "AWS_ACCESS_KEY_ID": credentials.access_key,
        "AWS_SECRET_ACCESS_KEY": credentials.secret_key,
        "AWS_SESSION_TOKEN": credentials.token or "",
    }
    with contextlib.ExitStack() as stack, open(os.devnull, "w") as sink:
        stack.enter_context(contextlib.redirect_stdout(sink))  # as the worker's logs go to a file
        for spec in specs:
            variables |= launched.function_environment(spec)
        stack.enter_context(environment_variables(variables))
        for spec in specs:
            handlers[spec.name] = load_handler(spec.source_dir).handler

        def send(method: str, path: str, body: Any, token: str, headers: Mapping[str, str], name: str) -> Reply:
            path, _, query = path.partition("?")
            route, parameters = next(
                (r, m.groupdict()) for verb, pattern, r in patterns if verb == method and (m := pattern.match(path))
            )
            caller = {k: str(v) for k, v in claims(token).items()}
            event = api_event(
                method,
                route.path,
                body,
                headers=dict(headers),
                query=dict(p.split("=", 1) for p in query.split("&")) if query else None,
                claims=caller,
                **parameters,
            )
            answer = handlers[route.function](event, None)
            return Reply(answer["statusCode"], json.loads(answer["body"]) if answer.get("body") else None)

        yield send


def locust(plan: Plan, clients: int, seconds: int, journeys: int, state: Path) -> tuple[Measure, Ledger]:
    """One headless locust run of `clients` users, all started at once."""
    prefix = state / f"locust-{clients}-{uuid.uuid4().hex[:6]}"
    plan_file, ledger_file = prefix.with_suffix(".plan.json"), prefix.with_suffix(".ledger.json")
    plan.write(plan_file)
    variables = {"LOAD_PLAN": str(plan_file), "LOAD_LEDGER": str(ledger_file), "LOAD_JOURNEYS": str(journeys)}
    run = ["--headless", "-u", str(clients), "-r", str(clients), "-t", f"{seconds}s", "--stop-timeout", "10"]
    subprocess.run(  # noqa: S603 - fixed argv
        [str(LOCUST), "-f", str(LOCUSTFILE), *run, "--csv", str(prefix), "--only-summary", "--loglevel", "ERROR"],
        env={**os.environ, **variables},
        cwd=ROOT,
        check=False,
        capture_output=True,
    )
    with open(f"{prefix}_stats.csv", newline="") as stats:
        total = next(row for row in csv.DictReader(stats) if row["Name"] == "Aggregated")
    measure = Measure(
        clients,
        int(total["Request Count"]),
        int(total["Failure Count"]),
        float(total["Requests/s"]),
        float(total["50%"]),
        float(total["99%"]),
    )
    return measure, Ledger.load(ledger_file)


def admin(env: Environment) -> boto3.Session:
    """The administrator of the environment's account."""
    account = load_project(env.project_dir).environment(env.name).settings.account_id
    return admin_session(env.emulator, account, env.region)


def books(env: Environment, plan: Plan, ledger: Ledger) -> list[str]:
    """The idempotency and transactions tables, read as the account's administrator, audited."""
    from boto3.dynamodb.types import TypeDeserializer  # noqa: PLC0415 - boto3's, only here

    data = env.outputs("data")
    dynamodb = admin(env).client("dynamodb", region_name=env.region, endpoint_url=env.emulator.url)
    decode = TypeDeserializer().deserialize

    def scan(table: str) -> list[dict[str, Any]]:
        items = []
        for page in dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
            items += [{k: decode(v) for k, v in item.items()} for item in page["Items"]]
        return items

    subs = [c.sub for c in plan.customers]
    return audit(ledger, subs, scan(data["IdempotencyTableName"]), scan(data["TransactionsTableName"]))


if __name__ == "__main__":
    sys.exit(main())
