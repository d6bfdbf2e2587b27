"""A bounded, paced async worker pool with retries, backoff and a circuit breaker.

The pool knows nothing about contacts or HTTP. A handler makes one attempt at one item and returns an
``Attempt`` value; the pool paces attempts through the shared ``Pacer``, retries the retryable ones with
exponential backoff and jitter (honouring ``Retry-After``, pausing the whole pool on a 429), and reports
each finished item as an ``Outcome`` value. Items it could not finish (a stop, a fatal answer, a server
that stayed down) are simply not reported: the caller's checkpoint leaves them to the next run.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from bulkcontacts.engine.pacing import Pacer, PacerUnavailable

Item = TypeVar("Item")


# -- what one attempt can come to --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Succeeded:
    value: Any = None
    near_limit: bool = False  # the server's rate-limit headers say its window is full


@dataclass(frozen=True, slots=True)
class Refused:
    """The server refused this one item for good (a 4xx about the record)."""

    reason: str
    status: int | None = None
    maybe_applied: bool = False  # given up after an attempt whose answer was lost: it may exist after all

    @property
    def described(self) -> str:
        """The reason, saying when the item may have been applied after all."""
        return f"{self.reason} (an attempt got no answer: the record may exist)" if self.maybe_applied else self.reason


@dataclass(frozen=True, slots=True)
class Retry:
    """Worth trying again: 429, 5xx, a timeout, a dropped connection, a garbled answer."""

    reason: str
    status: int | None = None
    retry_after: float | None = None
    throttled: bool = False
    maybe_applied: bool = True  # the server may have acted on it (no definite answer came back)


@dataclass(frozen=True, slots=True)
class Fatal:
    """Nothing else will work either (401/403): the pool stops."""

    reason: str
    status: int | None = None


Attempt = Succeeded | Refused | Retry | Fatal
Outcome = Succeeded | Refused  # what a finished item came to


@dataclass(slots=True)
class Work(Generic[Item]):
    """One item on its way through the pool."""

    item: Item
    maybe_applied: bool = False  # an earlier attempt (maybe in an earlier run) may have reached the server
    attempts: int = 0
    first_failure_at: float | None = None


@dataclass(frozen=True)
class PoolSettings:
    concurrency: int = 8
    max_attempts: int = 6
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    give_up_after: float = 300.0  # how long the breaker may stay open before the run is interrupted
    breaker_window: int = 20
    breaker_failure_ratio: float = 0.8


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

    def __init__(self, settings: PoolSettings) -> None:
        self.settings = settings
        self.recent: collections.deque[bool] = collections.deque(maxlen=settings.breaker_window)
        self.opened_at: float | None = None
        self.probe_wait = 1.0
        self._probe_lock = asyncio.Lock()
        self._closed = asyncio.Event()
        self._closed.set()

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None

    def record(self, failed: bool) -> bool:
        """Note one attempt's result; return True when this opened the breaker."""
        if not failed:
            self.recent.append(False)
            if self.is_open:
                self.opened_at = None
                self.probe_wait = 1.0
                self.recent.clear()
                self._closed.set()
            return False
        self.recent.append(True)
        window = self.recent
        if (
            not self.is_open
            and len(window) >= self.settings.breaker_window // 2
            and sum(window) >= self.settings.breaker_failure_ratio * len(window)
        ):
            self.opened_at = time.monotonic()
            self._closed.clear()
            return True
        return False

    def force_open(self) -> None:
        if not self.is_open:
            self.opened_at = time.monotonic()
            self._closed.clear()

    def open_for(self) -> float:
        return 0.0 if self.opened_at is None else time.monotonic() - self.opened_at

    async def admit(self) -> bool:
        """Wait until this worker may send. Returns False when the breaker gave up."""
        while self.is_open:
            if self.open_for() > self.settings.give_up_after:
                return False
            if self._probe_lock.locked():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closed.wait(), timeout=1.0)
                continue
            async with self._probe_lock:
                await asyncio.sleep(min(self.probe_wait, max(0.0, self.settings.give_up_after - self.open_for())))
                self.probe_wait = min(self.probe_wait * 2, 30.0)
                return self.open_for() <= self.settings.give_up_after  # True: this worker is the probe
        return True


class WorkerPool(Generic[Item]):
    """Runs ``attempt(work)`` for every item, ``concurrency`` at a time, paced, retried, reported."""

    def __init__(
        self,
        attempt: Callable[[Work[Item]], Awaitable[Attempt]],
        pacer: Pacer,
        settings: PoolSettings,
        report: Callable[[Item, Outcome], None],
    ) -> None:
        self.attempt = attempt
        self.pacer = pacer
        self.settings = settings
        self.report = report
        self.stats = PoolStats()
        self.breaker = CircuitBreaker(settings)
        self.stop_reason: str | None = None  # set when the pool stopped before finishing its items
        self.fatal = False
        self._stopping = asyncio.Event()
        self._consecutive_throttles = 0
        self._last_success_at = 0.0
        self.in_flight = 0  # attempts under way
        self.most_in_flight = 0  # the most at once since a reader last reset it (to ``in_flight``)
        self.latencies: list[float] | None = None  # when a list: each attempt's seconds are appended to it

    def stop(self, reason: str, *, fatal: bool = False) -> None:
        """Take no new work; attempts under way finish, waiting retries are abandoned (left for resume)."""
        if self.stop_reason is None:
            self.stop_reason = reason
            self.fatal = fatal
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    async def wait_stopped(self) -> None:
        await self._stopping.wait()

    async def run(self, works: AsyncIterator[Work[Item]]) -> None:
        queue: asyncio.Queue[Work[Item] | None] = asyncio.Queue(maxsize=self.settings.concurrency * 2)
        workers = [asyncio.create_task(self._worker(queue)) for _ in range(self.settings.concurrency)]
        try:
            async for work in works:
                if self.stopping:
                    break
                if not queue.full():
                    queue.put_nowait(work)
                    continue
                put = asyncio.create_task(queue.put(work))  # backpressure: wait for room, or a stop
                stop = asyncio.create_task(self._stopping.wait())
                await asyncio.wait({put, stop}, return_when=asyncio.FIRST_COMPLETED)
                stop.cancel()
                if not put.done():
                    put.cancel()
                    break
        finally:
            for _ in workers:
                await self._put_end(queue)
            await asyncio.gather(*workers)

    async def _put_end(self, queue: asyncio.Queue[Work[Item] | None]) -> None:
        while True:
            try:
                queue.put_nowait(None)
                return
            except asyncio.QueueFull:
                if self.stopping:  # workers no longer take items: drop the waiting ones
                    queue.get_nowait()
                else:
                    await asyncio.sleep(0.01)

    async def _worker(self, queue: asyncio.Queue[Work[Item] | None]) -> None:
        while True:
            work = await queue.get()
            if work is None:
                return
            if self.stopping:
                continue
            outcome = await self._finish(work)
            if outcome is not None:
                self.report(work.item, outcome)

    async def _finish(self, work: Work[Item]) -> Outcome | None:
        """Attempt ``work`` until it succeeds, is refused, or the pool gives up on it (None)."""
        while not self.stopping:
            if not await self.breaker.admit():
                self.stop(
                    f"the server kept failing for {self.settings.give_up_after:.0f} s "
                    f"(last: {self.stats.last_error or 'none'})"
                )
                return None
            try:
                await self.pacer.wait_turn()
            except PacerUnavailable as error:
                self.stop(str(error))
                return None
            if self.stopping:
                return None
            result = await self._attempt(work)
            if isinstance(result, Succeeded | Refused):
                self._last_success_at = time.monotonic()
                self.breaker.record(failed=False)
                self._consecutive_throttles = 0
                if isinstance(result, Succeeded) and result.near_limit:
                    self.pacer.near_limit()
                else:
                    self.pacer.succeeded()
                return result
            if isinstance(result, Fatal):
                self.stop(result.reason, fatal=True)
                return None
            outcome = await self._after_retryable(work, result)
            if outcome is not None:
                return outcome
        return None

    async def _attempt(self, work: Work[Item]) -> Attempt:
        """One attempt, counted and timed."""
        work.attempts += 1
        self.stats.attempts += 1
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        began = time.monotonic()
        try:
            return await self.attempt(work)
        finally:
            self.in_flight -= 1
            self.pacer.release()
            if self.latencies is not None:
                self.latencies.append(time.monotonic() - began)

    async def _after_retryable(self, work: Work[Item], result: Retry) -> Outcome | None:
        """Book a retryable failure and wait as asked; a Refused when the item used up its attempts."""
        work.maybe_applied = work.maybe_applied or result.maybe_applied
        if work.first_failure_at is None:
            work.first_failure_at = time.monotonic()
        self.stats.failed(result.reason)
        if result.retry_after == 0 and not result.throttled:
            # Fixed on our side (a fresh token): try again now, within the item's attempts.
            if work.attempts >= self.settings.max_attempts:
                return Refused(f"gave up after {work.attempts} attempts: {result.reason}", result.status)
            return None
        if self.breaker.record(failed=True):
            self.stats.breaker_openings += 1
            self.pacer.pause(self.breaker.probe_wait)  # through a shared pacer: every worker holds off
        if result.throttled:
            self.stats.throttled += 1
            self._consecutive_throttles += 1
            self.pacer.throttled()
            pause = result.retry_after
            self.pacer.pause(pause if pause is not None else self._backoff(self._consecutive_throttles))
            return None  # a 429 is the server pacing us, not a failure of this item
        if self.breaker.is_open:
            return None  # an outage: attempts made during it do not count against the item
        if work.attempts >= self.settings.max_attempts:
            if self._last_success_at < work.first_failure_at:
                # Nothing has succeeded since this item began failing: an outage, not a bad item.
                self.breaker.force_open()
                self.stats.breaker_openings += 1
                return None
            return Refused(
                f"gave up after {work.attempts} attempts: {result.reason}",
                result.status,
                maybe_applied=work.maybe_applied,
            )
        delay = self._backoff(work.attempts)
        if result.retry_after is not None:
            delay = max(delay, result.retry_after)
        await self._sleep_unless_stopping(delay)
        return None

    def _backoff(self, attempt: int) -> float:
        ceiling: float = min(self.settings.backoff_max, self.settings.backoff_base * 2 ** (attempt - 1))
        return ceiling * random.uniform(0.5, 1.0)

    async def _sleep_unless_stopping(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
