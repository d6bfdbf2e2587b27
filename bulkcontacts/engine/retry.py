"""The one retry policy: what a failed attempt comes to (classify → decide → delay), in one place.

The handler classifies an answer into an ``Attempt``; ``FailurePolicy.decide`` turns a failure into one
``Decision`` the pool carries out; every number it uses is a named field of ``RetryPolicy``. The rules:

- A server's hint (``Retry-After``, seconds or an HTTP date) can only lengthen a wait: it never shortens a
  backoff and never bypasses the breaker. A hint longer than ``give_up_after`` stops the run as interrupted,
  saying when the server asked to be called again, instead of sleeping silently.
- Every retryable failure is shown to the breaker. When most recent attempts failed it opens: every worker
  holds off, one probe at a time with growing waits, and attempts made meanwhile do not count against
  their items (an outage never turns into rejections). It gives the run up after ``give_up_after``.
- A 429 is the server pacing us: every worker pauses (the hint, or a backoff growing with the 429s in a
  row); it never counts against the item.
- An item is refused only when it used up its attempts while other items succeeded since it began
  failing; otherwise that is an outage too.
- ``RetryNow`` (fixed on our side, a renewed token) tries again at once, within the item's attempts.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import random
import time
from dataclasses import dataclass
from typing import Any

from bulkcontacts.engine.attempts import Refused, Retry, RetryNow, Work


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6  # attempts at one item, outside outages and 429s
    backoff_base: float = 0.5  # seconds: the first retry's wait at most, doubling with each attempt
    backoff_max: float = 30.0  # seconds: no backoff waits longer
    backoff_jitter: float = 0.5  # a wait is drawn between this share of its ceiling and the ceiling
    give_up_after: float = 300.0  # seconds the breaker may stay open (or a hint ask to wait) before the run stops
    breaker_window: int = 20  # the recent attempts the breaker looks at
    breaker_min_attempts: int = 10  # it judges no fewer than this many
    breaker_failure_ratio: float = 0.8  # it opens when this share of them failed
    probe_wait_first: float = 1.0  # seconds before the first probe of an open breaker
    probe_wait_max: float = 30.0  # the wait doubles with each failed probe, up to this

    def backoff(self, attempt: int) -> float:
        """The wait before retry ``attempt`` (1, 2, …): exponential, capped, jittered."""
        ceiling: float = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        return ceiling * random.uniform(self.backoff_jitter, 1.0)


# -- what a failure comes to ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Again:
    """This item tries again after ``seconds`` (through the breaker and the pacer)."""

    seconds: float


@dataclass(frozen=True, slots=True)
class PauseAll:
    """Every worker holds off ``seconds`` (a 429, or the breaker opening); then this item tries again."""

    seconds: float
    throttled: bool


@dataclass(frozen=True, slots=True)
class GiveUp:
    """The item used up its attempts: it is refused."""

    refused: Refused


@dataclass(frozen=True, slots=True)
class Interrupt:
    """Stop the run, to be resumed later (the server asked for a longer wait than the run may sleep)."""

    reason: str


Decision = Again | PauseAll | GiveUp | Interrupt


@dataclass
class PoolStats:
    attempts: int = 0
    retries: int = 0
    throttled: int = 0
    breaker_openings: int = 0
    last_error: str | None = None  # the latest retryable failure's reason
    last_error_count: int = 0  # how many retryable failures in a row gave that same reason

    def failed(self, reason: str) -> None:
        self.retries += 1
        if reason == self.last_error:
            self.last_error_count += 1
        else:
            self.last_error, self.last_error_count = reason, 1


class CircuitBreaker:
    """Opens when most recent attempts failed retryably; then one probe at a time, with growing waits."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.recent: collections.deque[bool] = collections.deque(maxlen=policy.breaker_window)
        self.opened_at: float | None = None
        self.probe_wait = policy.probe_wait_first
        self._probe_lock = asyncio.Lock()
        self._closed = asyncio.Event()
        self._closed.set()

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None

    def record(self, failed: bool) -> bool:
        """Note one attempt's result; return True when this opened the breaker."""
        self.recent.append(failed)
        if not failed:
            if self.opened_at is not None:
                self.opened_at = None
                self.probe_wait = self.policy.probe_wait_first
                self.recent.clear()
                self._closed.set()
            return False
        window = self.recent
        if (
            not self.is_open
            and len(window) >= self.policy.breaker_min_attempts
            and sum(window) >= self.policy.breaker_failure_ratio * len(window)
        ):
            self.force_open()
            return True
        return False

    def force_open(self) -> None:
        if not self.is_open:
            self.opened_at = time.monotonic()
            self._closed.clear()

    def lengthen_probe_wait(self, seconds: float) -> None:
        """A server's hint while open: the next probe waits at least that long."""
        self.probe_wait = max(self.probe_wait, seconds)

    def open_for(self) -> float:
        return 0.0 if self.opened_at is None else time.monotonic() - self.opened_at

    async def admit(self) -> bool:
        """Wait until this worker may send. Returns False when the breaker gave up."""
        give_up_after = self.policy.give_up_after
        while self.is_open:
            if self.open_for() > give_up_after:
                return False
            if self._probe_lock.locked():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closed.wait(), timeout=1.0)
                continue
            async with self._probe_lock:
                await asyncio.sleep(min(self.probe_wait, max(0.0, give_up_after - self.open_for())))
                self.probe_wait = min(self.probe_wait * 2, max(self.policy.probe_wait_max, self.probe_wait))
                return self.open_for() <= give_up_after  # True: this worker is the probe
        return True


class FailurePolicy:
    """Decides what each attempt's result comes to, keeping the state those decisions need (the breaker,
    the 429s in a row, the last success). The pool only carries the decisions out."""

    def __init__(self, policy: RetryPolicy, stats: PoolStats) -> None:
        self.policy = policy
        self.stats = stats
        self.breaker = CircuitBreaker(policy)
        self._throttles_in_a_row = 0
        self._last_success_at = 0.0

    def succeeded(self) -> None:
        """An attempt got a definite answer (success or a refusal of the item): the server is up."""
        self._last_success_at = time.monotonic()
        self._throttles_in_a_row = 0
        self.breaker.record(failed=False)

    def decide(self, work: Work[Any], result: Retry | RetryNow) -> Decision:
        self.stats.failed(result.reason)
        if isinstance(result, RetryNow):
            return self._again_within_attempts(work, result)
        work.maybe_applied = work.maybe_applied or result.maybe_applied
        if work.first_failure_at is None:
            work.first_failure_at = time.monotonic()
        hint = result.retry_after
        if hint is not None and hint > self.policy.give_up_after:
            return Interrupt(call_back_later(result.reason, hint, self.policy.give_up_after))
        opened = self.breaker.record(failed=True)
        if opened:
            self.stats.breaker_openings += 1
        if hint is not None and self.breaker.is_open:
            self.breaker.lengthen_probe_wait(hint)
        if result.throttled:
            self.stats.throttled += 1
            self._throttles_in_a_row += 1
            return PauseAll(max(hint or 0.0, self.policy.backoff(self._throttles_in_a_row)), throttled=True)
        if opened:
            return PauseAll(self.breaker.probe_wait, throttled=False)
        if self.breaker.is_open:
            return Again(0.0)  # an outage: the breaker holds it, and this attempt does not count
        return self._again_or_refused(work, result)

    def _again_within_attempts(self, work: Work[Any], result: RetryNow) -> Decision:
        if work.attempts >= self.policy.max_attempts:
            return GiveUp(Refused(f"gave up after {work.attempts} attempts: {result.reason}", result.status))
        return Again(0.0)

    def _again_or_refused(self, work: Work[Any], result: Retry) -> Decision:
        """A failure outside an outage: back off and try again, or refuse the item that used up its attempts."""
        if work.attempts < self.policy.max_attempts:
            return Again(max(self.policy.backoff(work.attempts), result.retry_after or 0.0))
        assert work.first_failure_at is not None
        if self._last_success_at < work.first_failure_at:
            # Nothing has succeeded since this item began failing: an outage, not a bad item.
            self.breaker.force_open()
            self.stats.breaker_openings += 1
            return Again(0.0)
        reason = f"gave up after {work.attempts} attempts: {result.reason}"
        return GiveUp(Refused(reason, result.status, maybe_applied=work.maybe_applied))


def call_back_later(reason: str, seconds: float, give_up_after: float) -> str:
    """Why the run stops when the server asks to be called again later than it may wait."""
    when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(time.time() + seconds))
    return (
        f"{reason}; the server asked to be called again in {seconds:.0f} s (at {when}), longer than "
        f"[run] give_up_after = {give_up_after:.0f} s; run the same command again after that time"
    )
