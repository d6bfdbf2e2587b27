"""Request pacing shared by every worker of a pool.

``Pacer`` hands out send times one ``interval`` apart (a GCRA schedule with no burst allowance): in any
second at most ``rate`` requests start, however many workers wait. aiolimiter's leaky bucket was measured
here as either bursting (capacity > 1 lets up to 2x the rate through in one second) or losing throughput
to late wake-ups (capacity 1 reached 78% of the rate); a schedule keeps both exact.

``pause()`` stops everyone (a 429 with ``Retry-After``). With ``adaptive=True`` the rate follows the
server: a 429 cuts it (multiplicative decrease), a run of successes raises it again (additive increase),
never above the configured ceiling.
"""

from __future__ import annotations

import asyncio
import collections
import math
import time


class Pacer:
    """Spaces request starts evenly at ``per_second`` (less ``headroom``) across all workers."""

    def __init__(self, per_second: float, *, headroom: float = 0.0, adaptive: bool = False) -> None:
        self.ceiling = per_second * (1.0 - headroom)
        self.current = self.ceiling if not adaptive else max(1.0, self.ceiling / 4)
        self.adaptive = adaptive
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._successes_since_change = 0
        self._recent_starts: collections.deque[float] = collections.deque()

    @property
    def per_second(self) -> float:
        return self.current

    async def wait_turn(self) -> None:
        """Return when this caller may start one request."""
        while True:
            now = time.monotonic()
            slot = max(self._next_slot, now, self._paused_until)
            self._next_slot = slot + 1.0 / self.current
            if slot > now:
                await asyncio.sleep(slot - now)
            if time.monotonic() >= self._paused_until and self._window_has_room():
                return

    def _window_has_room(self) -> bool:
        """Late wake-ups must not bunch up: the starts of the last second never exceed the rate."""
        now = time.monotonic()
        starts = self._recent_starts
        while starts and starts[0] <= now - 1.0:
            starts.popleft()
        if len(starts) >= max(1, math.floor(self.current)):
            self._next_slot = max(self._next_slot, starts[0] + 1.0)
            return False
        starts.append(now)
        return True

    def pause(self, seconds: float) -> None:
        """Hold every worker for ``seconds`` from now (a pause already longer is kept)."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)
        self._next_slot = max(self._next_slot, self._paused_until)

    @property
    def paused_for(self) -> float:
        return max(0.0, self._paused_until - time.monotonic())

    def throttled(self) -> None:
        """The server said 429: slow down (adaptive mode only)."""
        if self.adaptive:
            self.current = max(0.5, self.current * 0.7)
            self._successes_since_change = 0

    def succeeded(self) -> None:
        """One request went through: creep back up towards the ceiling (adaptive mode only)."""
        if not self.adaptive or self.current >= self.ceiling:
            return
        self._successes_since_change += 1
        if self._successes_since_change >= max(5, int(self.current)):
            self.current = min(self.ceiling, self.current + max(1.0, self.current * 0.05))
            self._successes_since_change = 0
