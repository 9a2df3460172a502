"""Structured JSON log lines in Powertools Logger's shape, on the standard library alone.

Powertools Logger is what the team knows, and these lines keep its format, so queries
written for it keep working: `level`, `location`, `message`, `timestamp` (Powertools'
default format), `service`, `correlation_id`, the keys passed as `extra`, then
`exception`, `exception_name`, `exception_notes` and `stack_trace` for errors and
`xray_trace_id` when Lambda traces the request; keys whose value is None are left out.
Messages stay text (Powertools would decode a message that is itself JSON). The level
comes, as in Powertools, from Lambda's advanced logging controls (AWS_LAMBDA_LOG_LEVEL),
else POWERTOOLS_LOG_LEVEL or LOG_LEVEL, else INFO.

Why not Powertools itself: the handlers use four things of it (a service name, a
correlation id, `info`/`exception` with extra keys, its stream handler), and importing it
cost more of every cold start than anything else the handlers import except botocore:
about 20 ms with compiled bytecode, and 75-130 ms as deployed, where the package carries
no .pyc files and Lambda's read-only /var/task keeps none, so every cold start compiles
it (`from aws_lambda_powertools import Logger` also imports Metrics and Tracer; measured
on 2 cores, CPython 3.11). This module takes 2-4 ms and imports nothing botocore has not
already imported. tests/unit/handlers/test_common.py checks its lines against
Powertools' own formatter.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import traceback
from typing import Any

# Attributes every LogRecord has: anything else on a record came from `extra`.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
# Lambda's advanced logging controls name their levels differently (Powertools maps them so).
_LAMBDA_LEVELS = {
    "TRACE": "NOTSET",
    "DEBUG": "DEBUG",
    "INFO": "INFO",
    "WARN": "WARNING",
    "ERROR": "ERROR",
    "FATAL": "CRITICAL",
}


def log_level() -> str:
    """The level the environment asks for, by Powertools' precedence."""
    lambda_level = _LAMBDA_LEVELS.get(os.environ.get("AWS_LAMBDA_LOG_LEVEL", ""))
    return lambda_level or (os.environ.get("POWERTOOLS_LOG_LEVEL") or os.environ.get("LOG_LEVEL") or "INFO").upper()


class JsonFormatter(logging.Formatter):
    """One JSON object per record, keys in Powertools' order."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service
        self.correlation_id: str | None = None

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        # Powertools' default: local time (UTC in Lambda), milliseconds after a comma, then the offset.
        return time.strftime(f"%Y-%m-%d %H:%M:%S,{int(record.msecs):03d}%z", time.localtime(record.created))

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "level": record.levelname,
            "location": f"{record.funcName}:{record.lineno}",
            "message": record.getMessage(),
            "timestamp": self.formatTime(record),
            "service": self.service,
            "correlation_id": self.correlation_id,
        }
        line.update((k, v) for k, v in vars(record).items() if k not in _RECORD_ATTRIBUTES)
        if record.exc_info and record.exc_info[0] is not None:
            kind, error, trace = record.exc_info
            line.setdefault("exception", self.formatException(record.exc_info))
            line.setdefault("exception_name", kind.__name__)
            line.setdefault("exception_notes", getattr(error, "__notes__", None))
            line["stack_trace"] = {
                "type": kind.__name__,
                "value": str(error),
                "module": type(error).__module__,
                "frames": [
                    {"file": f.filename, "line": f.lineno, "function": f.name, "statement": f.line}
                    for f in traceback.extract_tb(trace)
                ],
            }
        trace_header = os.environ.get("_X_AMZN_TRACE_ID")
        line["xray_trace_id"] = trace_header.split(";")[0].replace("Root=", "") if trace_header else None
        return json.dumps(
            {k: v for k, v in line.items() if v is not None}, default=str, separators=(",", ":"), ensure_ascii=False
        )


class Logger:
    """The subset of Powertools' Logger the handlers use: `Logger(service=...)`,
    `set_correlation_id`, `info`/`exception` with `extra` keys, `registered_handler`."""

    def __init__(self, service: str) -> None:
        self.formatter = JsonFormatter(service)
        self.registered_handler = logging.StreamHandler(sys.stdout)
        self.registered_handler.setFormatter(self.formatter)
        self._logger = logging.getLogger(service)
        # One handler (a new container replaces the old one's); not again through the root
        # logger, which Lambda's runtime gives a plain-text handler of its own.
        self._logger.handlers = [self.registered_handler]
        self._logger.propagate = False
        self._logger.setLevel(log_level())

    def set_correlation_id(self, value: str | None) -> None:
        self.formatter.correlation_id = value

    def info(self, message: str, *, extra: dict[str, Any] | None = None) -> None:
        self._logger.info(message, extra=extra, stacklevel=2)

    def exception(self, message: str, *, extra: dict[str, Any] | None = None) -> None:
        self._logger.exception(message, extra=extra, stacklevel=2)
