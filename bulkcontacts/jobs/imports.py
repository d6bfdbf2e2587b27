"""Import: file rows → mapping → the runner's paced pool → the sink (Rampwin or a REST API) → ledger (outcome
files + checkpoint). ``RowStage`` is what the runner (``runner.py``) drives."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulkcontacts.config.jobs import ImportJob
from bulkcontacts.config.run import RunSpec
from bulkcontacts.config.sinks import RampwinSink
from bulkcontacts.contacts.duplicates import DuplicatePhones, KnownRepeats, RepeatCheck
from bulkcontacts.contacts.mapping import ContactMapper, Rejection
from bulkcontacts.contacts.phones import Ambiguities
from bulkcontacts.engine.attempts import Attempt, Outcome, Refused, Succeeded, Work
from bulkcontacts.engine.pacing import Pacer
from bulkcontacts.engine.pool import WorkerPool
from bulkcontacts.engine.retry import PoolStats
from bulkcontacts.errors import UsageError
from bulkcontacts.io.index import FileIndex
from bulkcontacts.io.readers import Batch, FileReader
from bulkcontacts.jobs.budget import Budget, credential_key
from bulkcontacts.jobs.driving import prefetched, snapshot_with_pool
from bulkcontacts.jobs.recording import Counts
from bulkcontacts.jobs.results import RunResult, finish_run
from bulkcontacts.jobs.resume import open_progress
from bulkcontacts.jobs.rows import Mapped, mapped_batches, mapper_for
from bulkcontacts.jobs.runner import run_stage
from bulkcontacts.providers.rampwin_lookup import LookupFailed
from bulkcontacts.providers.rampwin_write import InDoubtCreated
from bulkcontacts.providers.rest_write import AlreadyThere
from bulkcontacts.providers.sinks import Lookup, Writer, session_headers, writer_for
from bulkcontacts.state.checkpoint import Progress, StateDir
from bulkcontacts.state.ledger import ImportLedger, begin_retry, retry_rows
from bulkcontacts.ui.display import Display, Snapshot

if TYPE_CHECKING:
    import aiohttp


CHUNK_ROWS_PER_WORKER = 2  # rows handed to the pool at a time, per worker (the read-ahead the lease allows for)


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs a microsecond a row
class RowWork:
    unit: int  # what the checkpoint counts: the row, or its place in a retry's list
    row: int
    payload: dict[str, Any]
    batch: Batch  # the row's batch of the file: its source row, made when asked for

    @property
    def source(self) -> dict[str, Any]:
        """The row as the file has it (for ``rejected.csv``)."""
        return self.batch.row(self.row)


@dataclass(frozen=True)
class RowSpan:
    """A shard's rows [start, end), and what its driver found in one pass over the whole file: the file's
    ``index`` (the shard reads from its own first row, not from the file's) and the rows of the span that
    repeat an earlier row's phone (``repeats``: no row before the span is needed for the duplicate check).
    Without them the shard reads every row before its own."""

    start: int
    end: int
    index: FileIndex | None = None
    repeats: frozenset[int] | None = None


class Selection:
    """The rows a run sends: every row (unit = row), a shard's range of rows (unit = row), or a retry's list of
    rows (unit = place in the list)."""

    def __init__(self, rows: list[int] | None = None, span: tuple[int, int] | None = None) -> None:
        self.rows = rows
        self.units = None if rows is None else {row: place for place, row in enumerate(rows)}
        self.span = span

    def unit(self, row: int) -> int | None:
        if self.span is not None and not self.span[0] <= row < self.span[1]:
            return None
        return row if self.units is None else self.units.get(row)

    def past(self, row: int) -> bool:
        """No row from here on is this run's (a shard's range ended)."""
        return self.span is not None and row >= self.span[1]

    def first_row(self, low_water: int) -> int:
        """The first row not done, given the checkpoint's low-water unit."""
        if self.rows is None:
            return low_water
        return self.rows[low_water] if low_water < len(self.rows) else (self.rows[-1] + 1 if self.rows else 0)


@dataclass
class ImportRun:
    """One run of an import: the file and its mapping, the ledger, what earlier runs finished, and which rows
    this run sends."""

    spec: ImportJob
    reader: FileReader
    mapper: ContactMapper
    ledger: ImportLedger
    resumed: Progress  # what earlier runs finished; never changes during this run
    selection: Selection
    state: StateDir
    started: float
    budget: Budget | None = None  # one of several workers: how it shares the rate
    stop_when: Callable[[], str | None] | None = None  # a shard: asked at each commit whether to stop
    repeats: frozenset[int] | None = None  # a shard: its rows that repeat a phone, found by its driver

    @property
    def files(self) -> dict[str, str]:
        return {
            "created": str(self.ledger.created.path),
            "rejected": str(self.ledger.rejected.path),
            "summary": str(self.state.file("summary.json")),
        }

    async def result(self, status: str, message: str, done_now: int = 0, stats: PoolStats | None = None) -> RunResult:
        return await _result(
            self.spec,
            status,
            message,
            self.ledger.progress,
            self.state,
            self.files,
            self.started,
            done_now,
            stats,
            self.mapper.ambiguous,
        )


async def run_import(  # noqa: PLR0913
    spec: ImportJob,
    *,
    state_path: Path,
    restart: bool,
    display: Display,
    retry_rejected: bool = False,
    span: RowSpan | None = None,
    budget: Budget | None = None,
    stop_when: Callable[[], str | None] | None = None,
) -> RunResult:
    """Import every row of the source file into Rampwin; resumable at any instant. ``retry_rejected``: send
    again the rows the last run rejected (the source's data or the mapping may have been fixed since).
    ``span``: only those rows (a shard); ``budget``: how this worker shares the rate with others."""
    started = time.monotonic()
    index, until = (span.index, span.end) if span else (None, None)
    reader = await asyncio.to_thread(FileReader, spec.source, index, until)  # opens and sniffs the file
    run = await _open(spec, reader, StateDir(state_path), restart, retry_rejected, started, span)
    run.budget, run.stop_when = budget, stop_when
    if run.resumed.finished:
        message = (
            "no rejected rows to retry"
            if retry_rejected
            else "already complete (use --restart to run it again, or --retry-rejected)"
        )
        return await run.result("complete", message)
    await asyncio.to_thread(run.ledger.open)
    try:
        return await _send_rows(run, display)
    finally:
        await asyncio.to_thread(run.ledger.close)


async def _open(  # noqa: PLR0913
    spec: ImportJob,
    reader: FileReader,
    state: StateDir,
    restart: bool,
    retry_rejected: bool,
    started: float,
    span: RowSpan | None = None,
) -> ImportRun:
    """Check the whole file's structure (and count its rows) before anything is sent; open the checkpoint."""
    columns = await asyncio.to_thread(reader.columns)
    mapper = mapper_for(spec, columns)
    source_fingerprint, total = await asyncio.gather(
        asyncio.to_thread(reader.fingerprint), asyncio.to_thread(reader.count_rows)
    )
    progress = await asyncio.to_thread(
        open_progress,
        state,
        "import",
        source_fingerprint,
        spec.mapping_fingerprint(),
        restart,
        against_emulator=spec.against_emulator,
        accept_changes=retry_rejected,
    )
    if retry_rejected:
        await asyncio.to_thread(_begin_retry, state, progress, total)
    rows = (span.start, span.end) if span else None
    selection = Selection(await asyncio.to_thread(retry_rows, state) if progress.extra.get("retry") else None, rows)
    if rows is not None:
        total = _open_span(progress, rows, total)
    resumed = progress.copy()
    if not resumed.finished:
        progress.total = resumed.total = total
    ledger = ImportLedger(state, progress, columns, _lease_step(spec.run), spec.run.neutralize_formulas)
    repeats = span.repeats if span else None
    return ImportRun(spec, reader, mapper, ledger, resumed, selection, state, started, repeats=repeats)


def _begin_retry(state: StateDir, progress: Progress, total: int) -> None:
    if progress.total is not None and progress.total != total:
        raise UsageError(
            f"the source has {total:,} rows but had {progress.total:,}: --retry-rejected needs "
            "the rows fixed in place (none added or removed) to keep their row numbers"
        )
    begin_retry(state, progress)


def _lease_step(run: RunSpec) -> int:
    """Rows the checkpoint marks as maybe in flight at a time: two seconds of sending, and room for the pool."""
    return int(run.rate * 2) + run.concurrency * 3 + 16


def _open_span(progress: Progress, span: tuple[int, int], total: int) -> int:
    """A shard's checkpoint counts the file's rows, starting at its first: rows before it are not its own."""
    start, end = span
    if end > total:
        raise UsageError(f"this shard's rows [{start:,}, {end:,}) run past the source's {total:,} rows")
    progress.begin_at(start)
    progress.extra["span"] = [start, end]
    return end - start


class RowOutcomes:
    """What each row came to, into the ledger. A row given up after an answer was lost is looked up in the
    channel first (when a lookup is possible): found, it was created; not found, it is rejected."""

    def __init__(self, ledger: ImportLedger, lookup: Lookup | None, stop: Callable[[str], None]) -> None:
        self.ledger = ledger
        self.lookup = lookup
        self.stop = stop  # the run's: a lookup that fails leaves its row in doubt and stops the run
        self.settling: set[asyncio.Task[None]] = set()

    def report(self, work: RowWork, outcome: Outcome) -> None:
        ledger, phone = self.ledger, work.payload["phone_number"]
        if isinstance(outcome, Succeeded):
            created = outcome.value
            if isinstance(created, InDoubtCreated):
                ledger.record_created(work.unit, work.row, phone, created.contact_id, f"created:in_doubt_{created.how}")
            elif isinstance(created, AlreadyThere):
                ledger.record_created(work.unit, work.row, phone, None, "created:already_there")
            else:
                ledger.record_created(work.unit, work.row, phone, created)
        elif outcome.maybe_applied and self.lookup is not None:  # given up, but it may exist: look before deciding
            task = asyncio.ensure_future(self._settle(work, outcome, self.lookup))
            self.settling.add(task)
            task.add_done_callback(self.settling.discard)
        else:
            code = (
                f"http_{outcome.status}"
                if outcome.status
                else ("gave_up_in_doubt" if outcome.maybe_applied else "gave_up")
            )
            ledger.record_rejected(work.unit, work.row, outcome.described, outcome.status, code, work.source)

    async def _settle(self, work: RowWork, outcome: Refused, lookup: Lookup) -> None:
        phone = work.payload["phone_number"]
        try:
            found = await lookup.find(str(phone))
        except LookupFailed as error:
            # Left undone, under the lease: the next run looks it up again before anything else.
            self.stop(f"looking up a row whose answer was lost failed ({error}); the row stays in doubt")
            return
        if found is not None:
            self.ledger.record_created(work.unit, work.row, phone, found or None, "created:in_doubt_found")
            return
        code = f"http_{outcome.status}" if outcome.status else "gave_up"
        reason = f"{outcome.reason} (looked up: not in the sink)"
        self.ledger.record_rejected(work.unit, work.row, reason, outcome.status, code, work.source)


async def _rows_to_send(run: ImportRun) -> AsyncIterator[list[Work[RowWork]]]:
    """The rows this run sends, mapped, in chunks of up to ``CHUNK_ROWS_PER_WORKER`` a worker (the pool takes
    a chunk at a time), each chunk under the lease before it is handed over; rows the mapping rejects go
    straight to the ledger. A batch is taken a chunk's rows at a time: the pool waits for room between chunks,
    so the event loop is never held for a whole batch (6-9 ms of a batch with rejected rows)."""
    duplicates = _repeat_check(run)
    # Without a duplicate table to fill, rows done earlier need not even be read again.
    start = 0 if isinstance(duplicates, DuplicatePhones) else run.selection.first_row(run.resumed.low_water)
    # Rows read only for the duplicate check (a shard's predecessors, a retry's others) are not this run's.
    run.mapper.ambiguous.owned = lambda row: run.selection.unit(row) is not None
    rows, ledger, size = RowsOfThisRun(run), run.ledger, run.spec.run.concurrency * CHUNK_ROWS_PER_WORKER
    async for batch, outcomes in prefetched(mapped_batches(run.reader, run.mapper, duplicates, start)):
        for first in range(0, batch.height, size):
            chunk, ended = rows.works(batch, outcomes, first, first + size)
            if chunk:
                last = chunk[-1].item.unit  # units rise through a batch: the lease covering it covers the chunk
                if not ledger.lease_covers(last):
                    await ledger.ensure_lease(last)
                yield chunk
            else:  # rows rejected only: the loop runs before the next chunk's are recorded
                await asyncio.sleep(0)
            if ended:
                return


class RowsOfThisRun:
    """Which rows of a batch this run sends: those it owns, not done by an earlier run, that the mapping
    accepted (the ones it rejected are recorded here)."""

    def __init__(self, run: ImportRun) -> None:
        self.selection, self.resumed, self.ledger = run.selection, run.resumed, run.ledger
        self.every_row = run.selection.rows is None and run.selection.span is None  # unit = row: nothing to ask
        self.some_done = run.resumed.done_count > 0

    def works(self, batch: Batch, outcomes: list[Mapped], start: int, stop: int) -> tuple[list[Work[RowWork]], bool]:
        """The works of the batch's rows at positions [start, stop) this run sends, in order; True when this
        run's rows end there."""
        works: list[Work[RowWork]] = []
        selection, resumed, sent_before = self.selection, self.resumed, self.resumed.sent_upto
        for row, mapped in enumerate(outcomes[start:stop], batch.first + start):
            unit = row if self.every_row else selection.unit(row)
            if unit is None:
                if selection.past(row):
                    return works, True
                continue
            if self.some_done and resumed.is_done(unit):
                continue
            if isinstance(mapped, Rejection):
                self.ledger.record_rejected(unit, row, mapped.reason, None, mapped.code, batch.row(row))
            else:  # under an earlier run's lease and not done: that run may have sent it
                works.append(Work(RowWork(unit, row, mapped, batch), unit < sent_before))
        return works, False


def _repeat_check(run: ImportRun) -> RepeatCheck | None:
    """The driver's repeats for a shard that has them; else a table of the phones read, from the first row."""
    if not run.spec.mapping.reject_duplicate_phones:
        return None
    if run.repeats is not None:
        return KnownRepeats(run.repeats)
    return DuplicatePhones(run.selection.span[1] if run.selection.span else run.resumed.total or 0)


class RowStage:
    """An import's send, as the runner drives it: the rows this run owns, mapped, each sent by the sink's
    writer; each outcome into the ledger (a row whose answer was lost looked up first, where the sink can)."""

    phase, unit = "send", "rows"

    def __init__(self, run: ImportRun) -> None:
        spec = run.spec
        self.run, self.ledger = run, run.ledger
        self.title = f"{spec.job.name}: sending"
        self.key = credential_key(spec.sink.base_url, spec.sink)
        self.share = run.budget.share if run.budget else 1
        self.total = run.resumed.total
        self.headers = session_headers(spec.sink)
        self.view = ImportView(run)
        self.pool: WorkerPool[RowWork] | None = None
        self._writer: Writer | None = None
        self._outcomes: RowOutcomes | None = None

    def connect(self, session: aiohttp.ClientSession, pacer: Pacer) -> None:
        self._writer, lookup = writer_for(self.run.spec.sink, session, pacer)
        self._outcomes = RowOutcomes(self.ledger, lookup, self._stop)

    def started(self, pool: WorkerPool[RowWork]) -> None:
        self.pool = pool

    def works(self) -> AsyncIterator[list[Work[RowWork]]]:
        return _rows_to_send(self.run)

    def attempt(self, work: Work[RowWork]) -> Awaitable[Attempt]:
        """The writer's attempt itself, not awaited here: a level of awaits less at every resumption."""
        assert self._writer is not None, "connected before the pool runs"
        return self._writer.send(work.item.payload, work.maybe_applied)

    def report(self, item: RowWork, outcome: Outcome) -> None:
        assert self._outcomes is not None, "connected before the pool runs"
        self._outcomes.report(item, outcome)

    def counts(self) -> Counts:
        return self.view.counts()

    def snapshot(self) -> Snapshot:
        assert self.pool is not None, "started before it is shown"
        return self.view.snapshot(self.pool.stats)

    async def settled(self) -> None:
        if self._outcomes is not None:
            await asyncio.gather(*self._outcomes.settling)

    def _stop(self, reason: str) -> None:
        assert self.pool is not None, "started before any outcome"
        self.pool.stop(reason)


async def _send_rows(run: ImportRun, display: Display) -> RunResult:
    ledger = run.ledger
    ended = await run_stage(run.spec, RowStage(run), run.state, display, run.budget, run.stop_when)
    pool, finished = ended.pool, ended.pool.stop_reason is None
    ledger.progress.extra["send_seconds"] = ended.seconds
    await ledger.commit(finished=finished)
    done_now = ledger.progress.done_count - run.resumed.done_count
    if finished:
        message = "every row is accounted for" + _duplicates_hint(run.spec, ledger.progress.counts)
        return await run.result("complete", message, done_now, pool.stats)
    return await run.result(
        "refused" if pool.fatal else "interrupted", pool.stop_reason or "stopped", done_now, pool.stats
    )


class ImportView:
    """The progress line of an import: rows done in either outcome file, and the rate of this run."""

    def __init__(self, run: ImportRun) -> None:
        self.run = run
        self.done_before = self._counts()["created"] + self._counts()["rejected"]  # rows, whatever the unit
        self._snapshot = Snapshot(total=run.resumed.total)

    def _counts(self) -> dict[str, int]:
        return {"created": self.run.ledger.count("created"), "rejected": self.run.ledger.count("rejected")}

    def counts(self) -> Counts:
        """Rows done (in either file), created, and rejected by code, committed or not yet."""
        counts = self.run.ledger.counts()
        created, rejected = counts.get("created", 0), counts.get("rejected", 0)
        by_code = {key.partition(":")[2]: value for key, value in counts.items() if key.startswith("rejected:")}
        return Counts(created + rejected, created, by_code)

    def snapshot(self, stats: PoolStats) -> Snapshot:
        snapshot = self._snapshot
        snapshot.counts = self._counts()
        snapshot.done = sum(snapshot.counts.values())  # every row done, in this run or before, is in one file
        snapshot_with_pool(snapshot, stats)
        snapshot.rate = (snapshot.done - self.done_before) / max(1e-9, time.monotonic() - self.run.started)
        return snapshot


def _duplicates_hint(spec: ImportJob, counts: dict[str, int]) -> str:
    """When most sent rows got create's "validation error or duplicate contact", say what that likely means."""
    refused = counts.get("rejected:http_400", 0)
    if not isinstance(spec.sink, RampwinSink) or spec.sink.mode != "create":
        return ""
    if refused * 2 <= counts.get("created", 0) + refused:
        return ""
    return (
        f'; but {refused:,} rows got Rampwin\'s "Validation error or duplicate contact": most likely the '
        "channel holds these contacts already (an earlier run, or another job sending to it). Check with "
        '`bulkcontacts verify`; to update them instead, set [sink] mode = "upsert"'
    )


async def _result(
    spec: ImportJob,
    status: str,
    message: str,
    progress: Progress,
    state: StateDir,
    files: dict[str, str],
    started: float,
    done_now: int,
    stats: PoolStats | None,
    ambiguous: Ambiguities,
) -> RunResult:
    counts = {key: value for key, value in sorted(progress.counts.items())}
    counts.setdefault("created", 0)
    counts.setdefault("rejected", 0)
    counts["total_rows"] = progress.total or 0
    unlooked = counts.get("created:in_doubt_assumed", 0) + counts.get("rejected:gave_up_in_doubt", 0)
    if unlooked:  # answers lost, and no [sink] token to look the rows up
        counts["in_doubt_decided_without_lookup"] = unlooked
    return await finish_run(
        spec,
        state,
        stats or PoolStats(),
        started,
        status=status,
        message=message,
        counts=counts,
        files=files,
        done_this_run=done_now,
        send_seconds=progress.extra.get("send_seconds"),
        ambiguous=ambiguous,
    )
