"""Import: file rows → mapping → paced pool → Rampwin create → ledger (outcome files + checkpoint)."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bulkcontacts.config.spec import JobSpec, RampwinSink
from bulkcontacts.contacts.mapping import ContactMapper, DuplicatePhones, Rejection
from bulkcontacts.engine.pool import Outcome, PoolStats, Refused, Succeeded, Work, WorkerPool
from bulkcontacts.errors import UsageError
from bulkcontacts.io.readers import FileReader
from bulkcontacts.jobs.common import (
    RunResult,
    drive,
    finish_run,
    job_pacer,
    open_progress,
    pool_settings,
    prefetched,
    remember_ceiling,
    snapshot_with_pool,
)
from bulkcontacts.providers.http import new_session
from bulkcontacts.providers.rampwin_lookup import ChannelLookup, LookupFailed
from bulkcontacts.providers.rampwin_write import InDoubtCreated, RampwinWriter
from bulkcontacts.state.checkpoint import Progress, StateDir
from bulkcontacts.state.ledger import ImportLedger, begin_retry, retry_rows
from bulkcontacts.ui.display import Display, Snapshot


@dataclass(frozen=True, slots=True)
class RowWork:
    unit: int  # what the checkpoint counts: the row, or its place in a retry's list
    row: int
    payload: dict[str, Any]
    source: dict[str, Any]


class Selection:
    """The rows a run sends: every row (unit = row), or a retry's list of rows (unit = place in the list)."""

    def __init__(self, rows: list[int] | None = None) -> None:
        self.rows = rows
        self.units = None if rows is None else {row: place for place, row in enumerate(rows)}

    def unit(self, row: int) -> int | None:
        return row if self.units is None else self.units.get(row)

    def first_row(self, low_water: int) -> int:
        """The first row not done, given the checkpoint's low-water unit."""
        if self.rows is None:
            return low_water
        return self.rows[low_water] if low_water < len(self.rows) else (self.rows[-1] + 1 if self.rows else 0)


def mapped_batches(
    reader: FileReader, mapper: ContactMapper, duplicates: DuplicatePhones | None, start: int
) -> Iterator[list[tuple[int, dict[str, Any], Any]]]:
    """(row, source row, payload or Rejection) per row; runs in a worker thread."""
    for first, rows in reader.batches(start):
        if duplicates is None:
            yield [(first + offset, row, mapper.map(row)) for offset, row in enumerate(rows)]
        else:
            yield [(first + offset, row, duplicates.check(mapper.map(row))) for offset, row in enumerate(rows)]


@dataclass
class DryRunReport:
    """What a real run would do: rows to send, rows rejected (by reason), and how long it would take."""

    rows: int = 0
    to_send: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    examples: dict[str, str] = field(default_factory=dict)  # one reason text per rejection code
    per_second: float = 1.0
    elapsed: float = 0.0
    fetched: int | None = None  # a migration's dry run: records fetched (and kept for the run)
    fetch_seconds: float = 0.0

    @property
    def estimate_seconds(self) -> float:
        return self.to_send / self.per_second


async def dry_run_import(spec: JobSpec) -> DryRunReport:
    """Read, map and validate every row exactly as ``run`` would; send nothing, write nothing."""
    started = time.monotonic()
    report = DryRunReport(per_second=spec.run.rate * (1 - spec.run.rate_headroom))
    source, sink = spec.import_ends
    with await asyncio.to_thread(FileReader, source) as reader:  # it opens and sniffs the file
        mapper = ContactMapper(spec.mapping, await asyncio.to_thread(reader.columns), sink.integration_id)
        rows = await asyncio.to_thread(reader.count_rows)  # the structure check a real run does first
        duplicates = DuplicatePhones(rows) if spec.mapping.reject_duplicate_phones else None
        async for batch in prefetched(mapped_batches(reader, mapper, duplicates, 0)):
            report.rows += len(batch)
            for _, _, mapped in batch:
                if isinstance(mapped, Rejection):
                    report.rejected[mapped.code] = report.rejected.get(mapped.code, 0) + 1
                    report.examples.setdefault(mapped.code, mapped.reason)
                else:
                    report.to_send += 1
    report.elapsed = time.monotonic() - started
    return report


async def run_import(
    spec: JobSpec, *, state_path: Path, restart: bool, display: Display, retry_rejected: bool = False
) -> RunResult:
    """Import every row of the source file into Rampwin; resumable at any instant. ``retry_rejected``: send
    again the rows the last run rejected (the source's data or the mapping may have been fixed since)."""
    started = time.monotonic()
    source, sink = spec.import_ends
    with await asyncio.to_thread(FileReader, source) as reader:  # it opens and sniffs the file
        columns = await asyncio.to_thread(reader.columns)
        mapper = ContactMapper(spec.mapping, columns, sink.integration_id)
        # The whole file's structure is checked (and its rows counted) before anything is sent.
        source_fingerprint, total = await asyncio.gather(
            asyncio.to_thread(reader.fingerprint), asyncio.to_thread(reader.count_rows)
        )
        state = StateDir(state_path)
        progress = await asyncio.to_thread(
            open_progress,
            state,
            "import",
            source_fingerprint,
            spec.mapping_fingerprint(),
            restart,
            accept_changes=retry_rejected,
        )
        if retry_rejected:
            if progress.total is not None and progress.total != total:
                raise UsageError(
                    f"the source has {total:,} rows but had {progress.total:,}: --retry-rejected needs "
                    "the rows fixed in place (none added or removed) to keep their row numbers"
                )
            await asyncio.to_thread(begin_retry, state, progress)
        selection = Selection(await asyncio.to_thread(retry_rows, state) if progress.extra.get("retry") else None)
        resumed = progress.copy()  # what earlier runs finished; never changes during this run
        lease_step = int(spec.run.rate * 2) + spec.run.concurrency * 3 + 16
        ledger = ImportLedger(state, progress, columns, lease_step, spec.run.neutralize_formulas)
        result_files = {
            "created": str(ledger.created.path),
            "rejected": str(ledger.rejected.path),
            "summary": str(state.file("summary.json")),
        }
        if resumed.finished:
            message = (
                "no rejected rows to retry"
                if retry_rejected
                else "already complete (use --restart to run it again, or --retry-rejected)"
            )
            return await _result(spec, "complete", message, progress, state, result_files, started, 0, PoolStats())
        progress.total = resumed.total = total
        await asyncio.to_thread(ledger.open)
        try:
            return await _import_rows(
                spec, reader, mapper, ledger, resumed, selection, display, state, result_files, started
            )
        finally:
            await asyncio.to_thread(ledger.close)


async def _import_rows(  # noqa: C901 - branchy; issue 12 splits it
    spec: JobSpec,
    reader: FileReader,
    mapper: ContactMapper,
    ledger: ImportLedger,
    resumed: Progress,
    selection: Selection,
    display: Display,
    state: StateDir,
    files: dict[str, str],
    started: float,
) -> RunResult:
    duplicates = DuplicatePhones(resumed.total or 0) if spec.mapping.reject_duplicate_phones else None
    # Without duplicate detection, rows done earlier need not even be read again.
    start = 0 if duplicates is not None else selection.first_row(resumed.low_water)

    settling: set[asyncio.Task[None]] = set()

    def report(work: RowWork, outcome: Outcome) -> None:
        if isinstance(outcome, Succeeded):
            created = outcome.value
            if isinstance(created, InDoubtCreated):
                ledger.record_created(
                    work.unit,
                    work.row,
                    work.payload["phone_number"],
                    created.contact_id,
                    f"created:in_doubt_{created.how}",
                )
            else:
                ledger.record_created(work.unit, work.row, work.payload["phone_number"], created)
        elif outcome.maybe_applied and lookup is not None:  # given up, but it may exist: look before deciding
            task = asyncio.ensure_future(settle(work, outcome))
            settling.add(task)
            task.add_done_callback(settling.discard)
        else:
            code = (
                f"http_{outcome.status}"
                if outcome.status
                else ("gave_up_in_doubt" if outcome.maybe_applied else "gave_up")
            )
            ledger.record_rejected(work.unit, work.row, outcome.reason, outcome.status, code, work.source)

    async def settle(work: RowWork, outcome: Refused) -> None:
        assert lookup is not None
        try:
            found = await lookup.find(str(work.payload["phone_number"]))
        except LookupFailed as error:
            # Left undone, under the lease: the next run looks it up again before anything else.
            pool.stop(f"looking up a row whose answer was lost failed ({error}); the row stays in doubt")
            return
        if found is not None:
            ledger.record_created(work.unit, work.row, work.payload["phone_number"], found, "created:in_doubt_found")
        else:
            code = f"http_{outcome.status}" if outcome.status else "gave_up"
            ledger.record_rejected(
                work.unit,
                work.row,
                outcome.reason.replace(
                    " (an attempt got no answer: the record may exist)", " (looked up: not in the channel)"
                ),
                outcome.status,
                code,
                work.source,
            )

    async def works() -> AsyncIterator[Work[RowWork]]:
        async for batch in prefetched(mapped_batches(reader, mapper, duplicates, start)):
            for row, source, mapped in batch:
                unit = selection.unit(row)
                if unit is None or resumed.is_done(unit):
                    continue
                if isinstance(mapped, Rejection):
                    ledger.record_rejected(unit, row, mapped.reason, None, mapped.code, source)
                    continue
                await ledger.ensure_lease(unit)
                yield Work(RowWork(unit, row, mapped, source), maybe_applied=unit < resumed.sent_upto)

    assert isinstance(spec.sink, RampwinSink)
    pacer = job_pacer(spec.run, ledger.progress)
    async with new_session(spec.run.concurrency, spec.run.request_timeout, pacer.written) as session:
        lookup = ChannelLookup(spec.sink, session, pacer) if spec.sink.token and spec.sink.mode == "create" else None
        sink = RampwinWriter(spec.sink, session, lookup)
        pool: WorkerPool[RowWork] = WorkerPool(
            lambda work: sink.send(work.item.payload, work.maybe_applied), pacer, pool_settings(spec), report
        )
        snapshot = Snapshot(total=resumed.total)
        done_before = ledger.count("created") + ledger.count("rejected")  # rows, whatever the checkpoint counts
        display.start(f"{spec.job.name}: sending", _snapshot(snapshot, ledger, pool, done_before, started))
        gc.freeze()  # what exists now lives for the whole run: keep it out of the collector's pauses
        sending = time.monotonic()
        await drive(
            pool,
            works(),
            display,
            spec.run.checkpoint_every,
            ledger.commit,
            lambda: display.update(_snapshot(snapshot, ledger, pool, done_before, started)),
        )
        await asyncio.gather(*settling)
        remember_ceiling(spec.run, ledger.progress, pacer)
        ledger.progress.extra["send_seconds"] = round(time.monotonic() - sending, 3)
        finished = pool.stop_reason is None
        await ledger.commit(finished=finished)
        display.update(_snapshot(snapshot, ledger, pool, done_before, started))
        display.stop()
    done_now = ledger.progress.done_count - resumed.done_count
    if finished:
        message = "every row is accounted for" + _duplicates_hint(spec, ledger.progress.counts)
        return await _result(spec, "complete", message, ledger.progress, state, files, started, done_now, pool.stats)
    status = "refused" if pool.fatal else "interrupted"
    return await _result(
        spec, status, pool.stop_reason or "stopped", ledger.progress, state, files, started, done_now, pool.stats
    )


def _duplicates_hint(spec: JobSpec, counts: dict[str, int]) -> str:
    """When most sent rows got create's "validation error or duplicate contact", say what that likely means."""
    refused = counts.get("rejected:http_400", 0)
    if (
        not isinstance(spec.sink, RampwinSink)
        or spec.sink.mode != "create"
        or refused * 2 <= counts.get("created", 0) + refused
    ):
        return ""
    return (
        f'; but {refused:,} rows got Rampwin\'s "Validation error or duplicate contact": most likely the '
        "channel holds these contacts already (an earlier run, or another job sending to it). Check with "
        '`bulkcontacts verify`; to update them instead, set [sink] mode = "upsert"'
    )


def _snapshot(
    snapshot: Snapshot, ledger: ImportLedger, pool: WorkerPool[Any], done_before: int, started: float
) -> Snapshot:
    snapshot.counts = {"created": ledger.count("created"), "rejected": ledger.count("rejected")}
    snapshot.done = sum(snapshot.counts.values())  # every row done, in this run or before, is in one file
    snapshot_with_pool(snapshot, pool.stats)
    snapshot.rate = (snapshot.done - done_before) / max(1e-9, time.monotonic() - started)
    return snapshot


async def _result(
    spec: JobSpec,
    status: str,
    message: str,
    progress: Progress,
    state: StateDir,
    files: dict[str, str],
    started: float,
    done_now: int,
    stats: PoolStats,
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
        stats,
        started,
        status=status,
        message=message,
        counts=counts,
        files=files,
        done_this_run=done_now,
        send_seconds=progress.extra.get("send_seconds"),
    )
