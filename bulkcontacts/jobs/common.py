"""What every job's run shares: results and exit codes, the checkpoint's start, signals, the pool's drive."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bulkcontacts.config.jobs import JobSpec
from bulkcontacts.contacts.phones import Ambiguities
from bulkcontacts.engine.attempts import Work
from bulkcontacts.engine.pool import PoolSettings, WorkerPool
from bulkcontacts.engine.retry import PoolStats, RetryPolicy
from bulkcontacts.errors import Interrupted, UsageError
from bulkcontacts.jobs.recording import Recorder
from bulkcontacts.state.atomic import StateUnwritable, write_atomic
from bulkcontacts.state.checkpoint import Progress, StateDir
from bulkcontacts.state.timeline import job_segments, timeline_figures
from bulkcontacts.ui.display import Display, Snapshot

EXIT_OK, EXIT_REJECTIONS, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_REFUSED = 0, 1, 2, 3, 4
GRACE_SECONDS = 10.0
# What a stopped run asks of the person, by kind of stop: run again, or change something first.
ADVICE = {
    "interrupted": "run the same command again to resume",
    "refused": "this will not pass by running again: fix what the message names (a key of the spec, or the "
    "credentials), then run the same command; the work done so far is kept",
}


@dataclass
class RunResult:
    """How a run ended, for the summary table, ``summary.json`` and the exit code."""

    job: str
    status: str  # "complete" | "interrupted" (run again) | "refused" (change the spec or credentials first)
    message: str  # what happened, with the server's own words where there were some
    counts: dict[str, int]
    state_dir: Path
    files: dict[str, str] = field(default_factory=dict)
    elapsed: float = 0.0
    done_this_run: int = 0
    stats: dict[str, int] = field(default_factory=dict)
    unit: str = "rows"
    fetch_seconds: float | None = None  # exports: time spent fetching pages (without assembling the file)
    send_seconds: float | None = None  # imports: time from the first row handed to the pool to the last outcome
    last_error: str | None = None  # the latest retryable failure of this run, and how often it came in a row
    last_error_count: int = 0
    advice: str | None = None  # what to do now; by default the one for its status
    timeline: dict[str, Any] = field(default_factory=dict)  # figures of every run segment (``timeline_figures``)
    shards: list[dict[str, Any]] | None = None  # a sharded run: each shard's index, status, message and counts
    ambiguous: Ambiguities = field(default_factory=Ambiguities)  # phones "auto" read nationally, valid both ways

    @property
    def notes(self) -> list[str]:
        """What the user should know of the data."""
        return self.ambiguous.notes()

    def __post_init__(self) -> None:
        if self.advice is None:
            self.advice = ADVICE.get(self.status, "")

    @property
    def exit_code(self) -> int:
        if self.status == "interrupted":
            return EXIT_INTERRUPTED
        if self.status == "refused":
            return EXIT_REFUSED
        return EXIT_REJECTIONS if self.counts.get("rejected") else EXIT_OK

    def as_json(self) -> dict[str, Any]:
        return {
            "job": self.job,
            "status": self.status,
            "message": self.message,
            "advice": self.advice,
            "counts": self.counts,
            "fetch_seconds": self.fetch_seconds,
            "send_seconds": self.send_seconds,
            "files": self.files,
            "elapsed_seconds": round(self.elapsed, 3),
            "done_this_run": self.done_this_run,
            "stats": self.stats,
            "last_error": None
            if self.last_error is None
            else {"message": self.last_error, "times_in_a_row": self.last_error_count},
            "accounted_for": self.accounted_for,
            "timeline": self.timeline,
            "notes": self.notes,
            "ambiguous_phones": {"rows": self.ambiguous.rows, "example": self.ambiguous.example},
            **({"shards": self.shards} if self.shards is not None else {}),
            "finished_at": time.time(),
        }

    @property
    def accounted_for(self) -> bool:
        """Finished, and every row is in one outcome file (an export: every page landed)."""
        if self.status != "complete":
            return False
        total = self.counts.get("total_rows")
        return total is None or self.counts.get("created", 0) + self.counts.get("rejected", 0) == total

    def with_pool(self, stats: PoolStats) -> RunResult:
        """This result with the pool's counters and last error."""
        self.stats = pool_stats(stats)
        self.last_error, self.last_error_count = stats.last_error, stats.last_error_count
        return self


def pool_settings(spec: JobSpec) -> PoolSettings:
    run = spec.run
    retry = RetryPolicy(
        max_attempts=run.max_attempts,
        backoff_base=run.backoff_base,
        backoff_max=run.backoff_max,
        give_up_after=run.give_up_after,
    )
    return PoolSettings(concurrency=run.concurrency, retry=retry)


def open_progress(
    state: StateDir,
    kind: str,
    source_fingerprint: str,
    shape_fingerprint: str,
    restart: bool,
    *,
    against_emulator: bool,
    again_when_finished: bool = False,
    accept_changes: bool = False,
) -> Progress:
    """The checkpoint to continue from, or a fresh one; refuses a resume over a changed source or spec
    (``accept_changes``: takes the changes instead, as a retry of fixed rows does), or one that would carry
    progress made against the emulator over to the real API (or back)."""
    state.create()
    if restart:
        state.clear()
    previous = state.load()
    if previous is not None and previous.finished and again_when_finished:
        state.clear()  # a job meant to run again and again (an incremental export) starts a new round
        previous = None
    if previous is None:
        return Progress(kind, source_fingerprint, shape_fingerprint, against_emulator=against_emulator)
    _check_resumable(previous, state.path, kind, against_emulator)
    if accept_changes:
        previous.source_fingerprint, previous.shape_fingerprint = source_fingerprint, shape_fingerprint
        return previous
    if previous.source_fingerprint != source_fingerprint:
        raise UsageError(
            f"the source changed since the last run (checkpoint in {state.path}); "
            "restore it, or run again with --restart to start over"
        )
    if previous.shape_fingerprint != shape_fingerprint:
        raise UsageError(
            f"the [mapping] (or the integration, delimiter, encoding) changed since the last run "
            f"(checkpoint in {state.path}); undo the change, or run again with --restart"
        )
    return previous


def _check_resumable(previous: Progress, path: Path, kind: str, against_emulator: bool) -> None:
    """The same kind of job, against the same end (the emulator, or the real API)."""
    if previous.kind != kind:
        raise UsageError(f"{path} holds a {previous.kind} job's state; use another --state-dir or --restart")
    if previous.against_emulator != against_emulator:
        raise UsageError(made_elsewhere(path, previous.against_emulator))


def made_elsewhere(path: Path, by_emulator: bool) -> str:
    if by_emulator:
        return (
            f"the progress in {path} was made against the emulator (a run with --emulate), not the real API: "
            "to send to the real API, run again with --restart (it forgets the emulator's run and its store); "
            "to go on in the emulator, add --emulate"
        )
    return (
        f"the progress in {path} was made against the real API: drop --emulate to resume it there, or give "
        "the emulated run a state directory of its own (--state-dir)"
    )


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
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, on_signal, signum.name)
            installed.append(signum)
    try:
        yield
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)


def write_summary(state: StateDir, result: RunResult) -> None:
    """End the run's segment of the timeline, then write ``summary.json`` with the timeline's figures."""
    state.timeline.end(result.status, result.message)
    result.timeline = timeline_figures(job_segments(state.path))
    write_atomic(state.file("summary.json"), json.dumps(result.as_json(), indent=2).encode())


def pool_stats(stats: PoolStats) -> dict[str, int]:
    return {
        "attempts": stats.attempts,
        "retries": stats.retries,
        "throttled": stats.throttled,
        "breaker_openings": stats.breaker_openings,
    }


def snapshot_with_pool(snapshot: Snapshot, stats: PoolStats) -> Snapshot:
    """The snapshot with the pool's retry counters and last error."""
    snapshot.retries, snapshot.throttled = stats.retries, stats.throttled
    snapshot.last_error, snapshot.last_error_count = stats.last_error, stats.last_error_count
    return snapshot


async def drive(
    pool: WorkerPool[Any],
    works: AsyncIterator[Work[Any]],
    display: Display,
    every: float,
    commit: Callable[[], Awaitable[None]],
    tick: Callable[[], None],
    recorder: Recorder,
    stop_when: Callable[[], str | None] | None = None,
) -> None:
    """Run the pool over ``works`` with a periodic commit and the recorder's samples, and stop gracefully on
    SIGINT/SIGTERM, or when ``stop_when`` (asked at each commit) gives a reason."""

    async def commit_periodically() -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await commit()
            except Interrupted as error:  # the state cannot be written (a full disk): stop, keep what is committed
                pool.stop(str(error))
                raise
            tick()
            reason = stop_when() if stop_when is not None else None
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


async def finish_run(
    spec: JobSpec,
    state: StateDir,
    stats: PoolStats,
    started: float,
    *,
    status: str,
    message: str,
    counts: dict[str, int],
    files: dict[str, str],
    done_this_run: int,
    **timings: Any,
) -> RunResult:
    """The run's result, with the pool's counters, written to ``summary.json`` (off the event loop)."""
    result = RunResult(
        job=spec.job.name,
        status=status,
        message=message,
        counts=counts,
        state_dir=state.path,
        files=files,
        elapsed=time.monotonic() - started,
        done_this_run=done_this_run,
        **timings,
    ).with_pool(stats)
    try:
        await asyncio.to_thread(write_summary, state, result)
    except OSError as error:  # the checkpoint holds the run; only its summary could not be written
        raise StateUnwritable(state.path, error) from None
    return result
