"""Request pacing shared by every worker of a pool.

``Pacer`` hands out send times one ``interval`` apart (a GCRA schedule with no burst allowance): in any
second at most ``rate`` requests start, however many workers wait. aiolimiter's leaky bucket was measured
here as either bursting (capacity > 1 lets up to 2x the rate through in one second) or losing throughput
to late wake-ups (capacity 1 reached 78% of the rate); a schedule keeps both exact.

``pause()`` stops everyone (a 429 with ``Retry-After``). With ``adaptive=True`` the rate follows the
server: a 429 cuts it (multiplicative decrease), a run of successes raises it again (additive increase),
never above the configured ceiling.

On a loaded machine the time between a granted turn and the request's bytes reaching the socket varies, and
late wake-ups bunch. So the one-second window guard counts requests where they are actually *written* (the
HTTP session reports each write: ``written``) plus the turns granted and not yet written; no second of writes
can then hold more than the rate. What the client cannot see is the server's own stalls (it reads a burst of
queued requests at once): after a 429 the ceiling drops by the overshoot it implies — the server counted more
than its limit where we wrote ``sent`` — and stays lower for the rest of the run (and, through the checkpoint,
the runs that resume it), without any help from rate-limit headers.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import math
import time

HOLD_SECONDS = 3.0
NEAR_LIMIT_PAUSE = 0.05
SHRINK_AT_MOST = 0.9  # one 429 never costs more than a tenth of the rate ...
SHRINK_AT_LEAST = 0.99  # ... and always at least a hundredth
FLOOR = 0.5  # nor does a run of them take it under half the configured rate
RAMP_AFTER_IDLE = 1.0  # seconds without a slot after which the schedule ramps again ...
RAMP_SECONDS = 0.5  # ... for this long ...
RAMP_SLOWDOWN = 2.0  # ... with slots this many times further apart


class PacerUnavailable(Exception):
    """The pacer cannot hand out turns (its shared store is unreachable): nothing may be sent."""


_turn: contextvars.ContextVar[object | None] = contextvars.ContextVar("pacer_turn", default=None)


class Pacer:
    """Spaces request starts evenly at ``per_second`` (less ``headroom``) across all workers."""

    def __init__(
        self, per_second: float, *, headroom: float = 0.0, adaptive: bool = False, start: float | None = None
    ) -> None:
        self.limit = per_second  # what the server is said to allow
        self.ceiling = per_second * (1.0 - headroom)
        self.current = self.ceiling if not adaptive else min(self.ceiling, start or max(1.0, self.ceiling / 4))
        self.adaptive = adaptive
        self._slow_start = adaptive  # ramp fast until the server first pushes back
        self._hold_until = 0.0  # after a push-back, no speeding up until then
        self._next_slot = -RAMP_AFTER_IDLE  # as if idle: the first slot starts a ramp
        self._ramp_until = 0.0
        self._paused_until = 0.0
        self._successes_since_change = 0
        self._recent_writes: collections.deque[float] = collections.deque()  # when requests hit the socket
        self._unwritten: set[object] = set()  # turns granted whose request is not written yet
        self._shrunk_at = 0.0
        # A slot used later than this is forfeited (None: never). One process's window guard keeps its own
        # late turns from bunching; slots shared with other processes have no such guard.
        self.late_after: float | None = None
        self.forfeited = 0  # slots given up for being used too late (a busy machine's late wake-ups)
        # A slot granted before this (its grant's time, a shared store's clock) is void: a shared budget's pause
        # gives the time after it out again. A process's own schedule never voids its slots (0).
        self._voided_before = 0.0

    @property
    def per_second(self) -> float:
        return self.current

    async def wait_turn(self) -> None:
        """Return when this caller may start one request (its write is then expected: ``written``; an
        attempt that ends without writing gives its turn back with ``release``)."""
        self.release()  # a turn this task held and never used
        while True:
            slot, granted_at = await self._next_slot_time()
            now = time.monotonic()
            if slot > now:
                await asyncio.sleep(slot - now)
            if granted_at < self._voided_before:
                continue  # a pause heard while this waited: the budget gives its slot out again after the pause
            if self.late_after is not None and time.monotonic() - slot > self.late_after:
                self.forfeited += 1  # woken too late: other processes' slots follow this one closely
                continue
            if time.monotonic() >= self._paused_until and self._window_has_room():
                self._grant()
                return

    def take_turn(self) -> bool:
        """``wait_turn`` where it would not wait: True, and the turn is this caller's, when a slot is due now
        and the window has room; False, nothing taken: wait with ``wait_turn``. (Most turns of a run that
        sends below its rate; a shared pacer's slots come from its store, so it always waits.)"""
        now = time.monotonic()
        if self._next_slot > now or self._paused_until > now or self.late_after is not None:
            return False
        if not self._window_has_room(now):
            return False
        if _turn.get() is not None:  # a turn this task held and never used
            self.release()
        self._take_slot(now)
        self._grant()
        return True

    def _grant(self) -> None:
        turn = object()
        self._unwritten.add(turn)
        _turn.set(turn)

    async def _next_slot_time(self) -> tuple[float, float]:
        """When the next turn may start, and when that slot was granted: this process's own schedule (a
        shared pacer asks its store)."""
        return self._take_slot(), 0.0

    def _take_slot(self, now: float | None = None) -> float:
        """The next slot of this process's schedule (``now``: the caller's clock reading). After a second or
        more without a slot (the start of a run, a pause), the schedule ramps: half the rate for
        ``RAMP_SECONDS``, so the requests that bunch up while connections open and code warms up never fill
        a strict window at the start."""
        slot = max(self._next_slot, time.monotonic() if now is None else now, self._paused_until)
        if slot - self._next_slot >= RAMP_AFTER_IDLE:
            self._ramp_until = slot + RAMP_SECONDS
        self._next_slot = slot + (RAMP_SLOWDOWN if slot < self._ramp_until else 1.0) / self.current
        return slot

    def written(self) -> None:
        """The request of the current task's turn was just written to the socket."""
        turn = _turn.get()
        if turn is not None and turn in self._unwritten:
            self._unwritten.discard(turn)
            self._recent_writes.append(time.monotonic())
            _turn.set(None)  # used: ``release`` has nothing left to do

    def release(self) -> None:
        """The current task's turn ended without a write (or was written): nothing of it stays pending."""
        turn = _turn.get()
        if turn is not None:
            self._unwritten.discard(turn)
            _turn.set(None)

    def _window_has_room(self, now: float | None = None) -> bool:
        """Writes of the last second plus turns not written yet never exceed the rate: however late wake-ups
        and writes bunch, no second of writes holds more."""
        now = time.monotonic() if now is None else now
        writes = self._recent_writes
        while writes and writes[0] <= now - 1.0:
            writes.popleft()
        if len(writes) + len(self._unwritten) >= max(1, math.floor(self.current)):
            self._next_slot = max(self._next_slot, (writes[0] + 1.0) if writes else now + 0.001)
            return False
        return True

    def sent_last_second(self) -> int:
        now = time.monotonic()
        return sum(1 for stamp in self._recent_writes if stamp > now - 1.0)

    def lower_ceiling(self, per_second: float) -> None:
        """Never pace above ``per_second`` again in this run (nor under the floor)."""
        self.ceiling = max(self.limit * FLOOR, min(self.ceiling, per_second))
        self.current = min(self.current, self.ceiling)

    def pause(self, seconds: float) -> None:
        """Hold every worker for ``seconds`` from now (a pause already longer is kept)."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)
        self._next_slot = max(self._next_slot, self._paused_until)

    def throttled(self) -> None:
        """The server said 429. Adaptive: slow down. Fixed rate: the server counted more than its limit where
        we wrote ``sent``, so its view runs ahead of ours by (limit + 1) ÷ sent: take that off the ceiling
        (once per second: one burst brings several 429s)."""
        if self.adaptive:
            self._decrease(0.85)
            return
        now = time.monotonic()
        if now - self._shrunk_at < 1.0:
            return
        self._shrunk_at = now
        sent = self.sent_last_second()
        factor = min(SHRINK_AT_LEAST, max(SHRINK_AT_MOST, sent / (math.floor(self.limit) + 1)))
        self.lower_ceiling(self.ceiling * factor)

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
