"""The one runner under every job: a stage's work → the paced pool (the retry policy) → the API (the stage's
attempt) → the stage's ledger (its outcomes and its checkpoint, committed together).

An import's send (rows → a contact API, ``imports.RowStage``) and an export's fetch (pages ← a list API,
``exports.PageStage``) are the stages; a migration is a fetch then a send of what it fetched, verify a fetch
of the sink, a shard either stage over its span. What every stage shares is here, once: the pacer (alone or
on the shared budget), the connection pool, signals, periodic commits, the timeline and the progress line.
"""

from __future__ import annotations

import contextlib
import gc
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from bulkcontacts.config.jobs import JobSpec
from bulkcontacts.engine.attempts import Attempt, Outcome, Work
from bulkcontacts.engine.pacing import Pacer
from bulkcontacts.engine.pool import WorkerPool
from bulkcontacts.jobs.budget import Budget, paced, remember_ceiling
from bulkcontacts.jobs.driving import Upkeep, drive, pool_settings
from bulkcontacts.jobs.recording import Counts, Recorder
from bulkcontacts.providers.http import new_session
from bulkcontacts.state.checkpoint import Progress, StateDir
from bulkcontacts.ui.display import Display, Snapshot

if TYPE_CHECKING:
    import aiohttp

Item = TypeVar("Item")


class Ledger(Protocol):
    """A stage's durable record: its outcomes and its checkpoint (``progress``), made durable together by
    ``commit``; a crash at any instant leaves the last commit whole, so a resume redoes nothing committed."""

    @property
    def progress(self) -> Progress: ...

    async def commit(self, *, finished: bool = False) -> None: ...


class Stage(Protocol[Item]):
    """One phase of a job as the runner drives it. ``connect`` is called once, inside the runner's pacer and
    session, then ``started`` with the pool built around the stage (a stage may stop it); ``works`` feeds the
    pool, ``attempt`` is one item's API call (retried by the pool's policy), ``report`` takes each item's
    final outcome exactly once (into the ledger), and ``settled`` waits for what an outcome started (a
    lookup). ``counts`` (the timeline's) and ``snapshot`` (the progress line's) only read."""

    phase: str  # the timeline's name for it: "send", "fetch"
    unit: str  # what its items are: "rows", "pages"
    title: str  # the progress line's
    key: str  # the credential key: whose rate budget it spends
    share: int  # of how many workers sharing the rate it is one
    total: int | None  # items in all, when known
    headers: dict[str, str]  # sent with every request of the stage: set once on the session, not per request

    @property
    def ledger(self) -> Ledger: ...

    def connect(self, session: aiohttp.ClientSession, pacer: Pacer) -> None: ...

    def started(self, pool: WorkerPool[Item]) -> None: ...

    def works(self) -> AsyncIterator[list[Work[Item]]]: ...

    def attempt(self, work: Work[Item]) -> Awaitable[Attempt]: ...

    def report(self, item: Item, outcome: Outcome) -> None: ...

    def counts(self) -> Counts: ...

    def snapshot(self) -> Snapshot: ...

    async def settled(self) -> None: ...


# Allocations between the collector's youngest passes while sending (700 by default). 50,000 cut the time
# spent collecting further (0.05 s), but in pauses of about 12 ms: with a shared budget, a slot used more than
# 20 ms late is forfeited, and the two-worker test then paid 222 round trips for 3,000 rows (about 200).
YOUNG_COLLECTION_EVERY = 10_000


class _SendingStages:
    """How many stages send in this process (shards run as threads of one Dask worker), and the thresholds
    the first of them found: the last to finish gives them back."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0
        self.thresholds = gc.get_threshold()


_SENDING = _SendingStages()


@contextlib.contextmanager
def _young_objects_collected_less() -> Iterator[None]:
    """While a stage sends, the collector's youngest generation is collected every 10,000 allocations, not
    700: a batch of payloads and the ledger's pending rows live about a second, and the default traversed
    them in some 1,000 collections a 100,000-row import (0.33 s of its send phase; 0.21 s so, in pauses of
    about 3 ms). Objects are still freed by their counts as before; only cycles wait longer. The setting is
    the process's: the first stage to send sets it, the last to finish gives the caller's thresholds back
    (shards in threads overlap)."""
    with _SENDING.lock:
        if _SENDING.count == 0:
            _SENDING.thresholds = gc.get_threshold()
            gc.set_threshold(YOUNG_COLLECTION_EVERY, *_SENDING.thresholds[1:])
        _SENDING.count += 1
    try:
        yield
    finally:
        with _SENDING.lock:
            _SENDING.count -= 1
            if _SENDING.count == 0:
                gc.set_threshold(*_SENDING.thresholds)


@dataclass(frozen=True)
class Ended:
    """How a stage's run ended: its pool (``stop_reason``, ``fatal``, ``stats``) and its seconds of work."""

    pool: WorkerPool[Any]
    seconds: float


async def run_stage(  # noqa: PLR0913 (the stage and where it runs)
    spec: JobSpec,
    stage: Stage[Any],
    state: StateDir,
    display: Display,
    budget: Budget | None = None,
    stop_when: Callable[[], str | None] | None = None,
) -> Ended:
    """Drive ``stage`` until its works are done or it is stopped (a signal, a fatal answer, ``stop_when``
    asked at each commit). A ceiling a 429 lowered is kept in the checkpoint for the resume; the final
    commit is the caller's, once it has read how the stage ended."""
    run, progress = spec.run, stage.ledger.progress
    async with (
        paced(run, progress, stage.key, budget) as pacer,
        new_session(run.concurrency, run.request_timeout, pacer.written, stage.headers) as session,
    ):
        stage.connect(session, pacer)
        pool: WorkerPool[Any] = WorkerPool(stage.attempt, pacer, pool_settings(spec), stage.report)
        stage.started(pool)

        def tick() -> None:
            display.update(stage.snapshot())

        display.start(stage.title, stage.snapshot())
        gc.freeze()  # what exists now lives for the whole run: keep it out of the collector's pauses
        began = time.monotonic()
        recorder = Recorder(state.timeline, pool, stage.counts)
        recorder.start(phase=stage.phase, unit=stage.unit, total=stage.total, window=run.rate_window, share=stage.share)
        upkeep = Upkeep(run.checkpoint_every, stage.ledger.commit, tick, recorder, stop_when)
        with _young_objects_collected_less():
            await drive(pool, stage.works(), display, upkeep)
        await stage.settled()
        seconds = round(time.monotonic() - began, 3)
        remember_ceiling(run, progress, pacer)
        tick()
        display.stop()
    return Ended(pool, seconds)
