"""The load scenario of `make bench-load` and of its integration test: customers paying, every
payment retried with its Idempotency-Key and one in `race_every` sent twice at once, each
reading its payment back, and the back office listing a customer's payments. Then the books:
every key answered has exactly one record, the one transaction every answer to it named.

Standard library only: locust runs it in its own environment (scripts/locustfile.py), the
integration test and the in-process baseline with threads (`threads`). A transport (`Send`)
makes one request and returns its `Reply`; it raises on a transport error."""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PAYMENT = "POST /payments"
RETRY = "POST /payments (retry)"
READ = "GET /payments/{transactionId}"
LIST = "GET /customers/{customerId}/payments"
THROTTLE_PATIENCE = 10.0  # seconds a client waits out the stage's 429, as a client would


@dataclass(frozen=True)
class Customer:
    name: str
    sub: str  # the token's subject: the customer's id
    token: str


@dataclass(frozen=True)
class Plan:
    """Who calls what: written by the driver as JSON, read by the load generator."""

    url: str
    customers: tuple[Customer, ...]
    back_office: str  # a back-office client's token (read scope)
    race_every: int = 4

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)))

    @classmethod
    def read(cls, path: Path) -> Plan:
        data = json.loads(path.read_text())
        return cls(**{**data, "customers": tuple(Customer(**c) for c in data["customers"])})


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any  # the decoded JSON, or None


# method, path (under the plan's URL), JSON body, token, headers, the request's name in the stats
Send = Callable[[str, str, Any, str, Mapping[str, str], str], Reply]
# Runs each call at the same time; their replies in order
Together = Callable[[Sequence[Callable[[], Reply]]], list[Reply]]


def _together_with_threads(calls: Sequence[Callable[[], Reply]]) -> list[Reply]:
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


@dataclass
class Ledger:
    """What each key was answered (transaction ids, in order) and every reply that broke the
    scenario's promises; shared by every client of one process."""

    answers: dict[str, list[str]] = field(default_factory=dict)  # "<customer sub>/<key>" -> ids
    statuses: Counter[int] = field(default_factory=Counter)
    broken: list[str] = field(default_factory=list)
    journeys: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def reply(self, name: str, reply: Reply, expected: int) -> bool:
        with self._lock:
            self.statuses[reply.status] += 1
            if reply.status != expected:
                self.broken.append(f"{name}: {reply.status} {json.dumps(reply.body)[:200]}")
        return reply.status == expected

    def answered(self, key: str, transaction_id: str) -> None:
        with self._lock:
            self.answers.setdefault(key, []).append(transaction_id)

    def note(self, problem: str) -> None:
        with self._lock:
            self.broken.append(problem)

    def finished(self) -> None:
        with self._lock:
            self.journeys += 1

    def dump(self, path: Path) -> None:
        with self._lock:
            data = {
                "answers": self.answers,
                "statuses": self.statuses,
                "broken": self.broken,
                "journeys": self.journeys,
            }
        path.write_text(json.dumps(data))

    @classmethod
    def load(cls, path: Path) -> Ledger:
        data = json.loads(path.read_text())
        statuses = Counter({int(k): v for k, v in data["statuses"].items()})
        return cls(data["answers"], statuses, data["broken"], data["journeys"])

    def merge(self, other: Ledger) -> None:
        with self._lock:
            for key, ids in other.answers.items():
                self.answers.setdefault(key, []).extend(ids)
            self.statuses.update(other.statuses)
            self.broken.extend(other.broken)
            self.journeys += other.journeys


def patient(send: Send) -> Send:
    """`send` resending a request the stage throttled (429, nothing done) after a pause."""

    def sending(method: str, path: str, body: Any, token: str, headers: Mapping[str, str], name: str) -> Reply:
        deadline = time.monotonic() + THROTTLE_PATIENCE
        while True:
            reply = send(method, path, body, token, headers, name)
            if reply.status != 429 or time.monotonic() >= deadline:
                return reply
            time.sleep(0.2)

    return sending


def journey(
    plan: Plan, send: Send, ledger: Ledger, rng: random.Random, together: Together = _together_with_threads
) -> None:
    """One customer's payment (raced or not), its retry with the same key, reading it back,
    and the back office listing the customer's latest payments."""
    customer = rng.choice(plan.customers)
    key = f"load-{uuid.uuid4()}"
    payment = {"amount": f"{rng.randint(1, 99_999) / 100:.2f}", "currency": "EUR"}
    headers = {"Idempotency-Key": key}

    def pay(name: str = PAYMENT) -> Reply:
        return send("POST", "/payments", payment, customer.token, headers, name)

    firsts = together([pay, pay]) if rng.randrange(plan.race_every) == 0 else [pay()]
    replies = [*firsts, pay(RETRY)]
    answered = [r for r in replies if ledger.reply(PAYMENT, r, 201)]
    for reply in answered:
        ledger.answered(f"{customer.sub}/{key}", reply.body["transactionId"])
    if answered:
        transaction = answered[0].body
        read = send("GET", f"/payments/{transaction['transactionId']}", None, customer.token, {}, READ)
        if ledger.reply(READ, read, 200) and read.body != transaction:
            ledger.note(f"{READ}: {read.body} is not the payment answered {transaction}")
    listed = send("GET", f"/customers/{customer.sub}/payments?limit=5", None, plan.back_office, {}, LIST)
    ledger.reply(LIST, listed, 200)
    ledger.finished()


def threads(plan: Plan, send: Send, clients: int, journeys: int, seed: int = 0) -> tuple[Ledger, list[str]]:
    """`journeys` journeys shared by `clients` threads; the ledger and the transport errors."""
    ledger, errors, lock = Ledger(), [], threading.Lock()
    remaining = iter(range(journeys))

    def client(number: int) -> None:
        rng = random.Random(seed * 1000 + number)  # noqa: S311 - a load pattern, not a secret
        while True:
            with lock:
                if next(remaining, None) is None:
                    return
            try:
                journey(plan, send, ledger, rng)
            except OSError as error:  # a refused, reset or timed-out connection
                with lock:
                    errors.append(f"{type(error).__name__}: {error}")

    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(client, range(clients)))
    return ledger, errors


def audit(
    ledger: Ledger, subs: Iterable[str], records: Iterable[Mapping[str, Any]], payments: Iterable[Mapping[str, Any]]
) -> list[str]:
    """The books against what the clients were answered: `records` (the idempotency table)
    and `payments` (the transactions table), as plain items. Every key answered has its one
    record naming the one transaction all its answers named; every payment of these customers
    is named by exactly one record (nothing doubled), and every answered one exists (nothing
    lost). A payment recorded for a key that got no answer is no problem: the run stopped its
    clients with requests in flight, and a retry with that key is answered with it."""
    problems = []
    records = list(records)
    by_key = {r["idempotencyKey"]: r for r in records}
    ours = set(subs)
    paid = {p["transactionId"]: p for p in payments if p["customerId"] in ours}
    for key, ids in ledger.answers.items():
        if len(set(ids)) != 1:
            problems.append(f"{key}: answered with {len(set(ids))} different transactions {sorted(set(ids))}")
        record = by_key.get(key)
        if record is None:
            problems.append(f"{key}: answered {ids[0]} but has no idempotency record")
        elif record["transactionId"] not in ids:
            problems.append(f"{key}: its record names {record['transactionId']}, the answers {sorted(set(ids))}")
        if ids[0] not in paid:
            problems.append(f"{key}: transaction {ids[0]} was answered and is not in the books (lost)")
    named = Counter(r["transactionId"] for r in records)
    problems += [
        f"transaction {t} is named by {named[t]} idempotency records, not one (doubled or orphaned)"
        for t in sorted(paid)
        if named[t] != 1
    ]
    return problems
