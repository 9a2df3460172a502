"""A stage's access logs, as API Gateway writes them: one line per request, in the stage's
format (`$context` variables substituted; one a request does not have becomes "-"), to the
stage's log group in its account, in a stream of the day. What `make verify` looks for."""

from __future__ import annotations

import contextlib
import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

LOG = logging.getLogger("local_aws.frontdoor")
_VARIABLE = re.compile(r"\$context\.([A-Za-z0-9_.]+)")


@dataclass(frozen=True)
class AccessLog:
    """Where and how a stage logs each request (its accessLogSettings)."""

    destination_arn: str
    format: str

    @property
    def group(self) -> str:
        return self.destination_arn.split(":log-group:", 1)[1].removesuffix(":*")


def line(format: str, context: Mapping[str, Any]) -> str:
    return _VARIABLE.sub(lambda m: str(context.get(m.group(1), "-")), format)


class AccessLogWriter:
    """Writes access log lines with `clients(account)(service, region)` (the front door's
    clients acting in the API's account, as API Gateway's CloudWatch role does).

    API Gateway delivers access logs after answering, not before: `write` queues the line
    and a thread of the writer's own sends what has queued, one PutLogEvents per stream, so
    the answer waits for no log and a burst of requests makes a few calls, not one each."""

    BATCH = 1000  # events per PutLogEvents (CloudWatch Logs takes 10,000)

    def __init__(self, clients: Callable[[str], Callable[[str, str], Any]]) -> None:
        self._clients = clients
        self._streams: set[tuple[str, str, str]] = set()
        self._queue: queue.Queue[tuple[str, str, str, dict[str, Any]]] = queue.Queue()
        self._sender: threading.Thread | None = None
        self._lock = threading.Lock()

    def write(self, account: str, region: str, log: AccessLog, context: Mapping[str, Any]) -> None:
        event = {"timestamp": int(time.time() * 1000), "message": line(log.format, context)}
        self._queue.put((account, region, log.group, event))
        with self._lock:
            if self._sender is None:
                self._sender = threading.Thread(target=self._send_forever, name="access-logs", daemon=True)
                self._sender.start()

    def flush(self) -> None:
        """Returns once every line written so far is sent (or failed)."""
        self._queue.join()

    def _send_forever(self) -> None:
        while True:
            taken = [self._queue.get()]
            while len(taken) < self.BATCH:
                try:
                    taken.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._send(taken)
            finally:
                for _ in taken:
                    self._queue.task_done()

    def _send(self, taken: list[tuple[str, str, str, dict[str, Any]]]) -> None:
        stream = datetime.now(UTC).strftime("%Y/%m/%d/access")
        batches: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        for account, region, group, event in taken:
            batches.setdefault((account, region, group), []).append(event)
        for (account, region, group), events in batches.items():
            events.sort(key=lambda e: e["timestamp"])  # PutLogEvents takes them in order
            try:
                logs = self._clients(account)("logs", region)
                if (account, group, stream) not in self._streams:
                    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
                        logs.create_log_stream(logGroupName=group, logStreamName=stream)
                    self._streams.add((account, group, stream))
                logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
            except Exception:  # a log that cannot be written never stops the others
                LOG.exception("front door: %d access log line(s) for %s not written", len(events), group)
