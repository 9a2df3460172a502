"""CloudWatch metrics in Powertools Metrics' embedded metric format (EMF), on the standard library alone.

CloudWatch Logs turns each of these log lines into metric data points: no API call, no
client, nothing on the request's path but a print at the end of the invocation. The lines
are Powertools Metrics' own (see common.log for why the handlers do not import Powertools),
so dashboards and alarms written for Powertools keep working:

    {"_aws":{"Timestamp":1767225600000,"CloudWatchMetrics":[{"Namespace":"payments/dev",
     "Dimensions":[["service"]],"Metrics":[{"Name":"PaymentsRecorded","Unit":"Count"}]}]},
     "service":"payment-processor","PaymentsRecorded":[1.0]}

As in Powertools: the namespace comes from POWERTOOLS_METRICS_NAMESPACE and the `service`
dimension from POWERTOOLS_SERVICE_NAME (unless given); every `Metrics` object shares the
metrics added so far, so a handler's `Metrics()` adds to what the router flushes; `flush`
writes ONE line with everything added since the last flush, under the dimension set
`service` plus each set given to `add_dimensions` (every metric of the line is published
under every set); `add_cold_start_metric` writes, on a container's first invocation only
(never under provisioned concurrency), a line of its own: `ColdStart` under `function_name`
and `service`, the function name from POWERTOOLS_METRICS_FUNCTION_NAME, else the invocation's
context; POWERTOOLS_METRICS_DISABLED (or POWERTOOLS_DEV without it) turns metrics off.

Unlike Powertools, nothing here raises or warns: a flush with no metrics writes nothing
(Powertools warns), without a namespace nothing is written at all (Powertools raises at
the flush, after the handler has answered), and no metric can fail a response. Left out,
as the handlers need none of it: high-resolution metrics, metadata, default dimensions,
validation of names and units, and Powertools' splitting of a line at 100 metrics or
values (an invocation adds a handful). tests/unit/handlers/test_metrics.py checks the
lines against Powertools' own.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from typing import Any, ClassVar

_TRUE = frozenset({"1", "y", "yes", "t", "true", "on"})
# Powertools' rule: not during a provisioned-concurrency initialisation, and once per container.
_cold_start = os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") != "provisioned-concurrency"


def metrics_disabled() -> bool:
    """Powertools' switch: POWERTOOLS_METRICS_DISABLED, or POWERTOOLS_DEV when that is unset."""
    disabled = os.environ.get("POWERTOOLS_METRICS_DISABLED")
    if disabled is not None:
        return disabled.strip().lower() in _TRUE
    return os.environ.get("POWERTOOLS_DEV", "").strip().lower() in _TRUE


class Metrics:
    """The subset of Powertools' Metrics the handlers use: `Metrics(service=..., namespace=...)`,
    `add_metric`, `add_dimensions`, `add_cold_start_metric(context)` and `flush`.

    Metric names and dimension values are fixed, low-cardinality words chosen in the code
    (a route's outcome, an API error code): never request data."""

    # Shared by every instance, as in Powertools: name -> (unit, values), and extra dimension sets.
    _metrics: ClassVar[dict[str, tuple[str, list[float]]]] = {}
    _dimension_sets: ClassVar[list[dict[str, str]]] = []
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, service: str | None = None, namespace: str | None = None) -> None:
        self.service = service if service is not None else os.environ.get("POWERTOOLS_SERVICE_NAME")
        self.namespace = namespace if namespace is not None else os.environ.get("POWERTOOLS_METRICS_NAMESPACE")

    def add_metric(self, name: str, unit: str = "Count", value: float = 1) -> None:
        """One value of a metric, written at the next flush (several values of a name are a list)."""
        with contextlib.suppress(Exception), self._lock:  # a metric never fails the request that counts it
            values = self._metrics[name][1] if name in self._metrics else []
            values.append(float(value))
            self._metrics[name] = (unit, values)

    def add_dimensions(self, **dimensions: str) -> None:
        """A further dimension set for every metric of the next line (Powertools' `add_dimensions`:
        the primary set stays `service`, so name it here too if this set should have it)."""
        with contextlib.suppress(Exception):  # nor does a dimension
            # As Powertools: names and values as text, a blank one left out, an empty set ignored.
            kept = {str(k): str(v) for k, v in dimensions.items() if str(k).strip() and str(v).strip()}
            if kept:
                with self._lock:
                    self._dimension_sets.append(kept)

    def add_cold_start_metric(self, context: object) -> None:
        """`ColdStart` on its own line, on the container's first invocation only."""
        global _cold_start  # one flag per container, as Powertools keeps it
        with self._lock:
            cold, _cold_start = _cold_start, False
        if not cold:
            return
        function_name = (
            os.environ.get("POWERTOOLS_METRICS_FUNCTION_NAME")
            or getattr(context, "function_name", None)
            or os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
            or self.service
        )
        dimensions = {"function_name": str(function_name)}
        if self.service:
            dimensions["service"] = self.service
        self._write({"ColdStart": ("Count", [1.0])}, dimensions, [])

    def flush(self) -> None:
        """Writes the metrics added since the last flush as one line, and forgets them."""
        with self._lock:
            metrics, dimension_sets = dict(self._metrics), list(self._dimension_sets)
            self._metrics.clear()
            self._dimension_sets.clear()
        if metrics:
            self._write(metrics, {"service": self.service} if self.service else {}, dimension_sets)

    def _write(
        self, metrics: dict[str, tuple[str, list[float]]], dimensions: dict[str, str], extra: list[dict[str, str]]
    ) -> None:
        if not self.namespace or metrics_disabled():
            return
        with contextlib.suppress(Exception):  # stdout is the log: there is nowhere else to say so
            print(json.dumps(self._document(metrics, dimensions, extra), separators=(",", ":")))

    def _document(
        self, metrics: dict[str, tuple[str, list[float]]], dimensions: dict[str, str], extra: list[dict[str, str]]
    ) -> dict[str, Any]:
        """The EMF document, keys in Powertools' order: `_aws`, the dimensions, the values."""
        values: dict[str, Any] = dict(dimensions)
        for dimension_set in extra:
            values.update(dimension_set)
        return {
            "_aws": {
                "Timestamp": int(time.time() * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": self.namespace,
                        "Dimensions": [list(dimensions), *(list(d) for d in extra)],
                        "Metrics": [{"Name": name, "Unit": unit} for name, (unit, _) in metrics.items()],
                    }
                ],
            },
            **values,
            **{name: list(points) for name, (_, points) in metrics.items()},
        }
