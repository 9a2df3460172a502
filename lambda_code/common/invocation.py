"""How long the running invocation has left, from its Lambda context.

The router (common.api) starts each invocation here with its context; what must end before
Lambda stops the function reads it: the retries of common.retries, and common.clients,
which sizes its clients' timeouts from the time the first invocation that needs one was
given. Lambda sets no environment variable with the function's timeout: an invocation's
remaining time, when it starts, is the only place Lambda states it.

An invocation started without a context (a direct call, a test) is given DEFAULT_SECONDS.
Each thread has its own invocation, so concurrent invocations in one process (tests) do not
share a deadline.
"""

from __future__ import annotations

import contextvars
import time

DEFAULT_SECONDS = 10.0

# (deadline on time.monotonic's clock, the seconds the invocation was given)
_current: contextvars.ContextVar[tuple[float, float] | None] = contextvars.ContextVar("invocation", default=None)


def begin(context: object) -> contextvars.Token[tuple[float, float] | None]:
    """Start an invocation; `end` it with the token returned."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    seconds = remaining() / 1000 if callable(remaining) else DEFAULT_SECONDS
    return _current.set((time.monotonic() + seconds, seconds))


def end(token: contextvars.Token[tuple[float, float] | None]) -> None:
    _current.reset(token)


def remaining() -> float:
    """Seconds until Lambda stops the running invocation (DEFAULT_SECONDS outside one)."""
    current = _current.get()
    return DEFAULT_SECONDS if current is None else current[0] - time.monotonic()


def given() -> float | None:
    """The seconds the running invocation was given when it started; None outside one."""
    current = _current.get()
    return None if current is None else current[1]
