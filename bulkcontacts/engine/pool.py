"""A bounded, paced async worker pool carrying out the retry policy.

The pool knows nothing about contacts or HTTP. A handler makes one attempt at one item and returns an
``Attempt`` value (``engine/attempts.py``); the pool paces attempts through the shared ``Pacer``, asks the
retry policy (``engine/retry.py``) what each failure comes to and does it, and reports each finished item
as an ``Outcome`` value. Items it could not finish (a stop, a fatal answer, a server that stayed down) are
simply not reported: the caller's checkpoint leaves them to the next run.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic

from bulkcontacts.engine.attempts import Attempt, Fatal, Item, Outcome, Refused, Succeeded, Work
from bulkcontacts.engine.pacing import Pacer, PacerUnavailable
from bulkcontacts.engine.retry import Again, FailurePolicy, GiveUp, Interrupt, PauseAll, PoolStats, RetryPolicy


@dataclass(frozen=True)
class PoolSettings:
    concurrency: int = 8
    retry: RetryPolicy = field(default_factory=RetryPolicy)


SETTLED = (Succeeded, Refused)


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
        self.policy = FailurePolicy(settings.retry, self.stats)
        self.stop_reason: str | None = None  # set when the pool stopped before finishing its items
        self.stopping = False  # True from ``stop`` on (read several times an item: a plain attribute)
        self.fatal = False
        self._stopping = asyncio.Event()
        self.in_flight = 0  # attempts under way
        self.most_in_flight = 0  # the most at once since a reader last reset it (to ``in_flight``)
        self.latencies: list[float] | None = None  # when a list: each attempt's seconds are appended to it
        self._waiting: deque[Work[Item]] = deque()  # works handed over by the feeder, not yet taken
        self._fed = False  # the feeder handed over its last work
        self._idle: list[asyncio.Future[None]] = []  # workers waiting for works
        self._room_made: asyncio.Future[None] | None = None  # the feeder waiting for the workers to catch up

    def stop(self, reason: str, *, fatal: bool = False) -> None:
        """Take no new work; attempts under way finish, waiting retries are abandoned (left for resume)."""
        if self.stop_reason is None:
            self.stop_reason = reason
            self.fatal = fatal
        self.stopping = True
        self._stopping.set()
        self._wake(self._room_made)  # a feeder waiting for room takes no more
        self._wake_idle()  # idle workers end

    async def wait_stopped(self) -> None:
        await self._stopping.wait()

    async def run(self, chunks: AsyncIterator[Sequence[Work[Item]]]) -> None:
        """Attempt the works of every chunk, in order, ``concurrency`` at a time. The next chunk is taken once
        fewer works than workers wait: the source is read ahead of the workers by at most a chunk and
        ``concurrency`` works (the workers take items from a deque: no queue's bookkeeping per item)."""
        waiting, low = self._waiting, self.settings.concurrency
        workers = [asyncio.create_task(self._worker()) for _ in range(self.settings.concurrency)]
        try:
            async for chunk in chunks:
                if self.stopping:
                    break
                waiting.extend(chunk)
                self._wake_idle()
                if len(waiting) >= low and not await self._room():
                    break
        finally:
            self._fed = True
            self._wake_idle()
            await asyncio.gather(*workers)

    async def _room(self) -> bool:
        """Backpressure: wait until fewer works than workers wait, or a stop (False)."""
        self._room_made = asyncio.get_running_loop().create_future()
        try:
            await self._room_made
        finally:
            self._room_made = None
        return not self.stopping

    @staticmethod
    def _wake(future: asyncio.Future[None] | None) -> None:
        if future is not None and not future.done():
            future.set_result(None)

    def _wake_idle(self) -> None:
        idle, self._idle = self._idle, []
        for future in idle:
            self._wake(future)

    async def _next(self) -> Work[Item] | None:
        """The next work, waiting for the feeder when none waits; None once there will be none (fed, stopped)."""
        waiting = self._waiting
        while not waiting:
            if self._fed or self.stopping:
                return None
            idle = asyncio.get_running_loop().create_future()
            self._idle.append(idle)
            await idle
        return waiting.popleft()

    async def _worker(self) -> None:
        """Take works until there are none and attempt each until it is settled. The attempts are awaited here,
        one level above the handler: every level of awaits is paid again at each resumption of a request."""
        waiting, low = self._waiting, self.settings.concurrency
        while not self.stopping:
            work = waiting.popleft() if waiting else await self._next()
            if work is None:
                return
            if self._room_made is not None and len(waiting) < low:
                self._wake(self._room_made)
            outcome: Outcome | None = None
            try:
                while outcome is None and not self.stopping:
                    # A closed breaker and a due turn: no wait (most turns of a run sending below its rate).
                    waits = self.policy.breaker.opened_at is not None or not self.pacer.take_turn()
                    if (waits and not await self._wait_turn()) or self.stopping:
                        break
                    began = self._begin(work)
                    try:
                        result = await self.attempt(work)
                    finally:
                        self._end(began)
                    if isinstance(result, SETTLED):  # a tuple: ``isinstance`` with a union is slower
                        outcome = self._settled(result)
                    elif isinstance(result, Fatal):
                        self.stop(result.reason, fatal=True)
                        break
                    else:
                        outcome = await self._carry_out(self.policy.decide(work, result))
            except Exception as error:  # a handler that raised (its run's state cannot be written): no more work
                self.stop(str(error) or type(error).__name__)
                raise
            if outcome is not None:
                self.report(work.item, outcome)

    async def _wait_turn(self) -> bool:
        """Wait until the breaker admits this worker and the pacer gives it a turn; False when either gave up
        (the pool is stopped, saying why)."""
        if not await self.policy.breaker.admit():
            self.stop(
                f"the server kept failing for {self.settings.retry.give_up_after:.0f} s "
                f"(last: {self.stats.last_error or 'none'})"
            )
            return False
        try:
            await self.pacer.wait_turn()
        except PacerUnavailable as error:
            self.stop(str(error))
            return False
        return True

    def _settled(self, result: Succeeded | Refused) -> Outcome:
        """A definite answer: the server is up, and the pacer hears whether its window is nearly full."""
        self.policy.succeeded()
        if isinstance(result, Succeeded) and result.near_limit:
            self.pacer.near_limit()
        else:
            self.pacer.succeeded()
        return result

    def _begin(self, work: Work[Item]) -> float:
        """An attempt starts: counted; its start time. (Not a coroutine of its own: each level of awaits
        between a worker and the socket is paid at every resumption of the request.)"""
        work.attempts += 1
        self.stats.attempts += 1
        self.in_flight += 1
        if self.in_flight > self.most_in_flight:
            self.most_in_flight = self.in_flight
        return time.monotonic()

    def _end(self, began: float) -> None:
        """An attempt ended, however: its turn given back if unused, its time kept."""
        self.in_flight -= 1
        self.pacer.release()
        if self.latencies is not None:
            self.latencies.append(time.monotonic() - began)

    async def _carry_out(self, decision: Again | PauseAll | GiveUp | Interrupt) -> Refused | None:
        """Do what the retry policy decided for a failed attempt; the Refused when it gave the item up."""
        if isinstance(decision, GiveUp):
            return decision.refused
        if isinstance(decision, Interrupt):
            self.stop(decision.reason)
        elif isinstance(decision, PauseAll):
            if decision.throttled:
                self.pacer.throttled()
            self.pacer.pause(decision.seconds)  # through a shared pacer: every worker holds off
        elif decision.seconds > 0:
            await self._sleep_unless_stopping(decision.seconds)
        return None

    async def _sleep_unless_stopping(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
