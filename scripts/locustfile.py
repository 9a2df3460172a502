"""locust's side of `make bench-load` (run in .venv-load by scripts/bench_load.py): each user is
a client of the plan's customers running scripts/load_scenario.py's journeys, over keep-alive
connections, a race's two requests from two greenlets. LOAD_PLAN names the plan, LOAD_LEDGER
where the answers go at the end, LOAD_JOURNEYS how many journeys at most (with --run-time,
the run's bounds)."""

from __future__ import annotations

import os
import random
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import gevent
from locust import FastHttpUser, events, task
from locust.env import Environment

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scripts.load_scenario import Ledger, Plan, Reply, journey, patient

PLAN = Plan.read(Path(os.environ["LOAD_PLAN"]))
LEDGER = Ledger()
MAX_JOURNEYS = int(os.environ.get("LOAD_JOURNEYS", "0")) or None


@events.test_stop.add_listener
def _write_ledger(environment: Environment, **_: Any) -> None:
    LEDGER.dump(Path(os.environ["LOAD_LEDGER"]))


def _together(calls: Sequence[Callable[[], Reply]]) -> list[Reply]:
    started = [gevent.spawn(call) for call in calls]
    gevent.joinall(started, raise_error=True)
    return [g.value for g in started]


class Client(FastHttpUser):
    host = PLAN.url
    # FastHttpUser keeps its connections alive; two lets a race's requests go at once.
    concurrency = 2

    def on_start(self) -> None:
        self.rng = random.Random()  # noqa: S311 - a load pattern, not a secret

    def _send(self, method: str, path: str, body: Any, token: str, headers: Mapping[str, str], name: str) -> Reply:
        sent = {"Authorization": f"Bearer {token}", **headers}
        with self.client.request(method, path, json=body, headers=sent, name=name, catch_response=True) as response:
            if response.status_code == 0:  # locust's mark of a transport error (refused, reset, timed out)
                response.failure(response.error)
                raise ConnectionError(str(response.error))
            if response.status_code >= 500:
                response.failure(f"{response.status_code}: {response.text[:200]}")
            else:
                response.success()  # a 4xx the scenario checks itself
            return Reply(response.status_code, response.json() if response.text else None)

    @task
    def journey(self) -> None:
        if MAX_JOURNEYS is not None and LEDGER.journeys >= MAX_JOURNEYS:
            self.environment.runner.quit()
            return
        try:
            journey(PLAN, patient(self._send), LEDGER, self.rng, _together)
        except ConnectionError as error:
            LEDGER.note(f"transport: {error}")
