"""Stage throttling as API Gateway applies it: a token bucket per stage holding up to
`burst` requests and refilled at `rate` requests per second."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable


class TokenBucket:
    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._last = clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Consume one request's token; False when the request is throttled."""
        with self._lock:
            now = self._clock()
            self._tokens = min(float(self.burst), self._tokens + max(0.0, now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False


class Throttles:
    """One bucket per key (api, stage); a bucket is replaced when its limits change."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[Hashable, TokenBucket] = {}
        self._lock = threading.Lock()

    def allow(self, key: Hashable, rate: float, burst: int) -> bool:
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None or (bucket.rate, bucket.burst) != (rate, burst):
                bucket = self._buckets[key] = TokenBucket(rate, burst, self._clock)
        return bucket.take()
