"""A small in-process rate limiter for the public endpoints (sliding window per client key).

It lives in one process: with several uvicorn/gunicorn workers each has its own counts, so the
effective limit is the limit times the workers. A multi-worker or multi-host deployment needs a
shared limiter (the reverse proxy's, e.g. nginx ``limit_req``, or one backed by Redis).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from tepat.errors import TepatError


class RateLimited(TepatError):
    """Too many requests from one client; ``retry_after`` seconds until the next is allowed."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimiter:
    """At most ``limit`` hits per ``window`` seconds for each key (a client's IP address)."""

    MAX_KEYS = 100_000  # beyond this, keys with no recent hit are forgotten

    def __init__(
        self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Count a hit for ``key``: None when allowed, else the seconds until one would be."""
        now = self._clock()
        start = now - self.window
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                if len(self._hits) >= self.MAX_KEYS:
                    self._forget(start)
                hits = self._hits[key] = deque()
            while hits and hits[0] <= start:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(hits[0] - start, 0.001)
            hits.append(now)
            return None

    def check(self, key: str, what: str) -> None:
        """Count a hit; raise :class:`RateLimited` when ``key`` is over the limit."""
        wait = self.hit(key)
        if wait is not None:
            seconds = max(1, math.ceil(wait))
            raise RateLimited(
                f"too many {what} requests from your address (at most {self.limit} a minute); "
                f"try again in {seconds} s",
                retry_after=seconds,
            )

    def _forget(self, start: float) -> None:
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= start]:
            del self._hits[key]
