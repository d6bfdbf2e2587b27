"""The timeline of a run: once a second, what the pool, the pacer and the job's counts did in that second."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from typing import Any, NamedTuple

from bulkcontacts.engine.pool import WorkerPool
from bulkcontacts.state.timeline import Sample, TimelineWriter

EVERY_SECONDS = 1.0


class Counts(NamedTuple):
    """A job's running totals, as its recorder reads them."""

    done: int  # units finished: rows in either outcome file, or pages landed
    created: int  # rows created, or records fetched
    rejected: dict[str, int]  # rows rejected, by code


def percentile(ordered: list[float], share: float) -> float:
    """The nearest-rank percentile of sorted values (0 for none)."""
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


class Recorder:
    """Writes a segment's start, then one sample a second, from the pool's counters and ``counts``."""

    def __init__(self, writer: TimelineWriter, pool: WorkerPool[Any], counts: Callable[[], Counts]) -> None:
        self.writer, self.pool, self.counts = writer, pool, counts
        self._began = time.monotonic()
        self._last = counts()
        self._stats = self._pool_counters()
        self._breaker_openings = pool.stats.breaker_openings
        self._second = 0
        self._sampled_at = self._began
        pool.latencies = []

    def start(self, *, phase: str, unit: str, total: int | None, window: float, share: int = 1) -> None:
        """``share``: this run paces at the rate ÷ share (one shard of a split rate); ``window``: the seconds
        the rate was written in (``"60/min"``: 60), over which the report compares with it."""
        limit, done = self.pool.pacer.limit * share, self._last.done
        self.writer.start(
            phase=phase, unit=unit, limit=limit, window=window, done_before=done, total=total, share=share
        )

    async def run(self) -> None:
        """Sample every second until cancelled (the last, partial second is sampled by ``sample``)."""
        while True:
            await asyncio.sleep(EVERY_SECONDS - (time.monotonic() - self._began) % EVERY_SECONDS)
            self.sample()

    def _pool_counters(self) -> tuple[int, int, int]:
        stats = self.pool.stats
        return stats.attempts, stats.retries, stats.throttled

    def sample(self) -> None:
        now, pool, at = self.counts(), self.pool, time.monotonic()
        latencies, pool.latencies = sorted(pool.latencies or ()), []
        stats = self._pool_counters()
        requests, retries, throttled = (after - before for after, before in zip(stats, self._stats, strict=True))
        opened = pool.stats.breaker_openings > self._breaker_openings
        rejected = {
            code: count - self._last.rejected.get(code, 0)
            for code, count in now.rejected.items()
            if count != self._last.rejected.get(code, 0)
        }
        self.writer.sample(
            Sample(
                t=self._second,
                seconds=min(1.0, round(at - self._sampled_at, 2)),
                requests=requests,
                done=now.done - self._last.done,
                created=now.created - self._last.created,
                rejected=rejected,
                retries=retries,
                throttled=throttled,
                rate=round(pool.pacer.current, 1),
                p50_ms=round(percentile(latencies, 0.5) * 1000, 1),
                p95_ms=round(percentile(latencies, 0.95) * 1000, 1),
                breaker=int(opened or pool.policy.breaker.is_open),
                in_flight=pool.most_in_flight,
            )
        )
        self._last, self._stats, self._breaker_openings = now, stats, pool.stats.breaker_openings
        self._second += 1
        self._sampled_at = at
        pool.most_in_flight = pool.in_flight
