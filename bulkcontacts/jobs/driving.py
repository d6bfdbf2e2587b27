"""How a run is driven: the pool over its work with periodic commits and samples, stopped gracefully by a
signal; the pool's settings from the spec; a blocking iterator read a step ahead in a thread."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from bulkcontacts.config.jobs import JobSpec
from bulkcontacts.engine.attempts import Work
from bulkcontacts.engine.pool import PoolSettings, WorkerPool
from bulkcontacts.engine.retry import PoolStats, RetryPolicy
from bulkcontacts.errors import ADVICE, EXIT_INTERRUPTED, Interrupted
from bulkcontacts.jobs.recording import Recorder
from bulkcontacts.ui.display import Display, Snapshot

GRACE_SECONDS = 10.0


def pool_settings(spec: JobSpec) -> PoolSettings:
    run = spec.run
    retry = RetryPolicy(
        max_attempts=run.max_attempts,
        backoff_base=run.backoff_base,
        backoff_max=run.backoff_max,
        give_up_after=run.give_up_after,
    )
    return PoolSettings(concurrency=run.concurrency, retry=retry)


async def prefetched(batches: Iterator[Any]) -> AsyncIterator[Any]:
    """Run a blocking iterator in a worker thread, one item ahead of the consumer."""
    loop = asyncio.get_running_loop()
    pending = loop.run_in_executor(None, next, batches, None)
    while True:
        batch = await pending
        if batch is None:
            return
        pending = loop.run_in_executor(None, next, batches, None)
        yield batch


@contextlib.contextmanager
def graceful_signals(pool: WorkerPool[Any], display: Display, cancel: Any) -> Iterator[None]:
    """First SIGINT/SIGTERM: finish what is under way, save, stop. Second: exit at once (still resumable)."""
    loop = asyncio.get_running_loop()

    def on_signal(name: str) -> None:
        if pool.stopping:
            display.stop()
            os.write(2, f"interrupted: {name} again, stopped at once; {ADVICE['interrupted']}\n".encode())
            os._exit(EXIT_INTERRUPTED)  # the checkpoint on disk is always consistent
        pool.stop(f"stopped by {name}")
        display.notice(
            f"{name}: finishing requests under way (up to {GRACE_SECONDS:.0f} s), then saving; "
            "Ctrl-C again quits at once"
        )
        loop.call_later(GRACE_SECONDS, cancel)

    installed = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        # Not in a thread other than the main one (asyncio raises RuntimeError there, uvloop ValueError).
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, on_signal, signum.name)
            installed.append(signum)
    try:
        yield
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)


def snapshot_with_pool(snapshot: Snapshot, stats: PoolStats) -> Snapshot:
    """The snapshot with the pool's retry counters and last error."""
    snapshot.retries, snapshot.throttled = stats.retries, stats.throttled
    snapshot.last_error, snapshot.last_error_count = stats.last_error, stats.last_error_count
    return snapshot


@dataclass(frozen=True)
class Upkeep:
    """What a run does beside sending: commit every ``every`` seconds (then ``tick``, the display's redraw,
    and ``stop_when``, asked whether to stop), and the recorder's samples."""

    every: float
    commit: Callable[[], Awaitable[None]]
    tick: Callable[[], None]
    recorder: Recorder
    stop_when: Callable[[], str | None] | None = None


async def drive(pool: WorkerPool[Any], works: AsyncIterator[list[Work[Any]]], display: Display, upkeep: Upkeep) -> None:
    """Run the pool over ``works`` with the upkeep beside it, and stop gracefully on SIGINT/SIGTERM, or when
    ``upkeep.stop_when`` (asked at each commit) gives a reason."""
    recorder = upkeep.recorder

    async def commit_periodically() -> None:
        while True:
            await asyncio.sleep(upkeep.every)
            try:
                await upkeep.commit()
            except Interrupted as error:  # the state cannot be written (a full disk): stop, keep what is committed
                pool.stop(str(error))
                raise
            upkeep.tick()
            reason = upkeep.stop_when() if upkeep.stop_when is not None else None
            if reason is not None:
                pool.stop(reason)

    pool_task = asyncio.ensure_future(pool.run(works))
    helpers = [asyncio.ensure_future(commit_periodically()), asyncio.ensure_future(recorder.run())]
    with graceful_signals(pool, display, pool_task.cancel):
        try:
            await pool_task
        except asyncio.CancelledError:
            pool.stop(pool.stop_reason or "stopped")
        finally:
            stopped = await _ended(helpers)
            recorder.sample()  # the last, partial second
            if stopped is not None:
                display.stop()
                raise stopped


async def _ended(helpers: Sequence[asyncio.Future[None]]) -> Interrupted | None:
    """Cancel the run's helpers and wait for them; the reason one of them stopped the run, if it did."""
    stopped = None
    for helper in helpers:
        helper.cancel()
        try:
            await helper
        except asyncio.CancelledError:
            pass
        except Interrupted as error:
            stopped = error
    return stopped
