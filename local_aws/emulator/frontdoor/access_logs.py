"""A stage's access logs, as API Gateway writes them: one line per request, in the stage's
format (`$context` variables substituted; one a request does not have becomes "-"), to the
stage's log group in its account, in a stream of the day. What `make verify` looks for."""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

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
    clients acting in the API's account, as API Gateway's CloudWatch role does)."""

    def __init__(self, clients: Callable[[str], Callable[[str, str], Any]]) -> None:
        self._clients = clients
        self._streams: set[tuple[str, str, str]] = set()
        self._lock = threading.Lock()

    def write(self, account: str, region: str, log: AccessLog, context: Mapping[str, Any]) -> None:
        logs = self._clients(account)("logs", region)
        stream = datetime.now(UTC).strftime("%Y/%m/%d/access")
        with self._lock:
            if (account, log.group, stream) not in self._streams:
                with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
                    logs.create_log_stream(logGroupName=log.group, logStreamName=stream)
                self._streams.add((account, log.group, stream))
        event = {"timestamp": int(time.time() * 1000), "message": line(log.format, context)}
        logs.put_log_events(logGroupName=log.group, logStreamName=stream, logEvents=[event])
