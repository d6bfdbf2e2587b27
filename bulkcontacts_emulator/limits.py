"""Server-side rate limiting for the emulator: a strict sliding window per credential."""

from __future__ import annotations

import collections
import math
import time


class SlidingWindow:
    """At most ``limit`` requests in any ``period`` seconds, per key; counts what it refused."""

    def __init__(self, limit: int, period: float = 1.0) -> None:
        self.limit = limit
        self.period = period
        self.stamps: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)

    def admit(self, key: str) -> float | None:
        """None if admitted (and counted); else seconds until a slot frees up."""
        now = time.monotonic()
        stamps = self.stamps[key]
        while stamps and stamps[0] <= now - self.period:
            stamps.popleft()
        if len(stamps) >= self.limit:
            return stamps[0] + self.period - now
        stamps.append(now)
        return None

    def remaining(self, key: str) -> int:
        return max(0, self.limit - len(self.stamps[key]))


def retry_after_header(wait: float) -> str:
    """Whole seconds, as most servers send it (at least 1)."""
    return str(max(1, math.ceil(wait)))
