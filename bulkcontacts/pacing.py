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

from bulkcontacts.spec import AUTO_RATE_CEILING, AUTO_RATE_START, RunSpec


HOLD_SECONDS = 3.0
NEAR_LIMIT_PAUSE = 0.05


def pacer_for(run: RunSpec) -> "Pacer":
    """The shared pacer a job's ``[run]`` describes (``rate = "auto"``: start at 20/s and find the limit)."""
    start = AUTO_RATE_START if run.adaptive and run.rate == AUTO_RATE_CEILING else None
    return Pacer(run.rate, headroom=run.rate_headroom, adaptive=run.adaptive, start=start)


class Pacer:
    """Spaces request starts evenly at ``per_second`` (less ``headroom``) across all workers."""

    def __init__(self, per_second: float, *, headroom: float = 0.0, adaptive: bool = False,
                 start: float | None = None) -> None:
        self.ceiling = per_second * (1.0 - headroom)
        self.current = self.ceiling if not adaptive else min(self.ceiling, start or max(1.0, self.ceiling / 4))
        self.adaptive = adaptive
        self._slow_start = adaptive  # ramp fast until the server first pushes back
        self._hold_until = 0.0  # after a push-back, no speeding up until then
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

    def throttled(self) -> None:
        """The server said 429: slow down (adaptive mode only)."""
        self._decrease(0.85)

    def near_limit(self) -> None:
        """The server's rate-limit headers say its window is (nearly) full: ease off before a 429 comes.
        Requests bunch up between leaving here and arriving there, so even a paced client can fill a strict
        window; a short pause lets it slide."""
        if not self.adaptive:
            self.pause(NEAR_LIMIT_PAUSE)
        elif time.monotonic() >= self._hold_until:  # one easing per push-back, not one per answer
            self._decrease(0.97)

    def _decrease(self, factor: float) -> None:
        if self.adaptive:
            self.current = max(0.5, self.current * factor)
            self._successes_since_change = 0
            self._slow_start = False
            self._hold_until = time.monotonic() + HOLD_SECONDS

    def succeeded(self) -> None:
        """One request went through: speed up towards the ceiling (adaptive mode only): by a quarter per
        quarter-second's worth until the first push-back, then by 1% per second's worth."""
        if not self.adaptive or self.current >= self.ceiling or time.monotonic() < self._hold_until:
            return
        self._successes_since_change += 1
        if self._slow_start and self._successes_since_change >= max(5.0, self.current / 4):
            self.current = min(self.ceiling, self.current * 1.25)
            self._successes_since_change = 0
        elif not self._slow_start and self._successes_since_change >= max(5.0, self.current):
            self.current = min(self.ceiling, self.current + max(0.5, self.current * 0.01))
            self._successes_since_change = 0
