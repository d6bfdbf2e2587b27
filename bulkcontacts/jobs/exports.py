"""Export: every page of a provider's list API → part files → one CSV/Parquet/JSONL file, crash-safe.

Pages are the units of the checkpoint. When the first page tells the total, the other pages are fetched
concurrently under the shared pacer; otherwise one after another until the provider's stop rule fires. A
page lands as a part file before it is marked done; the final file is assembled only when the plan says the
export is complete, so a short or failed export stays resumable and never passes for complete.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bulkcontacts.config.spec import FileSink, JobSpec, ProviderSource, source_identity
from bulkcontacts.engine.pacing import Pacer
from bulkcontacts.engine.pool import Attempt, Outcome, PoolStats, Succeeded, Work, WorkerPool
from bulkcontacts.io.writers import PartStore, assemble
from bulkcontacts.jobs.common import (
    RunResult,
    drive,
    finish_run,
    job_pacer,
    open_progress,
    pool_settings,
    remember_ceiling,
    snapshot_with_pool,
)
from bulkcontacts.providers.base import (
    ListApi,
    PagePlan,
    PageResult,
    PagingError,
    signature,
)
from bulkcontacts.providers.fetch import Credentials, PageFetcher, list_api
from bulkcontacts.providers.http import new_session
from bulkcontacts.state.checkpoint import Progress, StateDir, write_atomic
from bulkcontacts.ui.display import Display, Snapshot

WATERMARK = "watermark.json"  # kept by --restart: the high-water mark of the last complete incremental run


class ExportState:
    """Pages done (the checkpoint) and what the pages said about the whole (the plan), committed together."""

    def __init__(self, state: StateDir, progress: Progress, plan: PagePlan, parts: PartStore) -> None:
        self.state = state
        self.parts = parts
        self.progress = progress
        self.plan = plan
        self.pending: list[tuple[int, int]] = []  # (page, records) landed since the last commit
        self.landed_pages: set[int] = set()  # landed in this run (committed or not)
        # Each page's signature near the frontier, kept in the checkpoint: a loop found before a stop is found
        # again on resume (the repeated page is compared with its neighbour fetched in an earlier run).
        self.signatures: dict[int, list[Any]] = {
            int(index): mark for index, mark in progress.extra.get("signatures", {}).items()
        }
        self._lock = asyncio.Lock()

    def landed(self, index: int, records: int) -> None:
        self.pending.append((index, records))
        self.landed_pages.add(index)

    async def commit(self, *, finished: bool = False) -> None:
        async with self._lock:
            pending, self.pending = self.pending, []
            progress = self.progress
            for index, records in pending:
                progress.mark_done(index)
                progress.counts["pages"] = progress.counts.get("pages", 0) + 1
                progress.counts["records_fetched"] = progress.counts.get("records_fetched", 0) + records
            progress.extra.update(
                total_pages=self.plan.total_pages, total_records=self.plan.total_records, last_page=self.plan.last_page
            )
            frontier = progress.low_water - 1  # a page below it has no neighbour left to fetch
            self.signatures = {index: mark for index, mark in self.signatures.items() if index >= frontier}
            progress.extra["signatures"] = {
                str(index): mark for index, mark in sorted(self.signatures.items()) if progress.is_done(index)
            }
            progress.finished = finished
            await asyncio.to_thread(self._save, [index for index, _ in pending])

    def _save(self, landed: list[int]) -> None:
        if landed:
            self.parts.sync(landed)  # the parts are durable before the checkpoint says they are done
        self.state.save(self.progress)

    def is_done(self, index: int) -> bool:
        return index in self.landed_pages or self.progress.is_done(index)


def source_fingerprint(source: ProviderSource) -> str:
    shown = source_identity(source, exclude=frozenset({"page_size", "max_pages"}))
    return hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()[:16]


async def run_export(
    spec: JobSpec, *, state_path: Path, restart: bool, display: Display, activity: str = "exporting"
) -> RunResult:
    """Export every record of the provider source into the file sink; resumable at any instant.
    ``activity`` names what the export is for on the progress line (a migration's fetch, verify's listing)."""
    started = time.monotonic()
    source, sink = spec.source, spec.sink
    assert isinstance(source, ProviderSource) and isinstance(sink, FileSink)
    state = StateDir(state_path)
    progress = await asyncio.to_thread(
        open_progress,
        state,
        "export",
        source_fingerprint(source),
        spec.mapping_fingerprint(),
        restart,
        again_when_finished=source.mode == "incremental",
    )
    parts = PartStore(state.path / "parts")
    await asyncio.to_thread(_prepare_parts, parts, progress, state, source.mode == "incremental")
    api = list_api(source, progress.extra["since"])
    extra = progress.extra
    plan = PagePlan(
        api.page_size, source.max_pages, extra.get("total_pages"), extra.get("total_records"), extra.get("last_page")
    )
    files = {"output": str(sink.path), "summary": str(state.file("summary.json"))}
    if progress.finished:
        return await _result(
            spec,
            "complete",
            "already complete (use --restart to export again)",
            progress,
            state,
            files,
            started,
            PoolStats(),
        )
    ledger = ExportState(state, progress, plan, parts)
    await ledger.commit()
    pages_before = progress.done_count
    pacer = job_pacer(spec.run, progress)
    async with new_session(spec.run.concurrency, spec.run.request_timeout, pacer.written) as session:
        fetcher = PageFetcher(api, Credentials(source, api, session), session)
        fetch_started = time.monotonic()
        display.start(f"{spec.job.name}: {activity} ({api.provider})", Snapshot(unit="pages"))
        problems, stats = await _fetch_pages(spec, api, fetcher, parts, ledger, display, started, pacer)
        progress.extra["fetch_seconds"] = round(time.monotonic() - fetch_started, 3)
        stopped = stats.stop_reason
    remember_ceiling(spec.run, progress, pacer)
    await ledger.commit()
    fetched_now = progress.done_count - pages_before
    if stopped is not None:
        status = "refused" if stats.fatal else "interrupted"
        return await _result(spec, status, stopped, progress, state, files, started, stats.pool, fetched_now)
    missing = _why_incomplete(plan, ledger, problems)
    if missing:
        return await _result(
            spec,
            "interrupted",
            f"incomplete: {missing}; nothing was written to {sink.path}",
            progress,
            state,
            files,
            started,
            stats.pool,
            fetched_now,
        )
    pages = plan.pages_known()
    assert pages is not None
    assembled = await asyncio.to_thread(
        assemble,
        parts,
        pages,
        sink,
        id_field=api.id_field,
        updated_field=api.updated_field,
        normalize=api.normalize if sink.normalize else None,
    )
    progress.counts.update(records=assembled.records, duplicates_dropped=assembled.duplicates)
    if source.mode == "incremental":
        newest = assembled.newest_update or progress.extra.get("since")
        await asyncio.to_thread(write_atomic, state.file(WATERMARK), json.dumps({"newest_update": newest}).encode())
    await ledger.commit(finished=True)
    dropped = f", {assembled.duplicates:,} duplicates dropped" if assembled.duplicates else ""
    return await _result(
        spec,
        "complete",
        f"{assembled.records:,} records written to {assembled.path}{dropped}",
        progress,
        state,
        files,
        started,
        stats.pool,
        fetched_now,
    )


class FetchStats:
    def __init__(self, pool: WorkerPool[int]) -> None:
        self.pool = pool.stats
        self.stop_reason = pool.stop_reason
        self.fatal = pool.fatal


async def _fetch_pages(  # noqa: C901 - branchy; issue 12 splits it
    spec: JobSpec,
    api: ListApi,
    fetcher: PageFetcher,
    parts: PartStore,
    ledger: ExportState,
    display: Display,
    started: float,
    pacer: Pacer,
) -> tuple[list[str], FetchStats]:
    """Fetch every page the plan needs: concurrently once the total is known, else one after another."""
    plan = ledger.plan
    problems: list[str] = []
    arrivals: dict[int, asyncio.Future[bool]] = {}
    snapshot = Snapshot(unit="pages")

    async def attempt(work: Work[int]) -> Attempt:
        result = await fetcher.fetch(work.item)
        if isinstance(result, Succeeded):
            await asyncio.to_thread(parts.write, work.item, result.value.records)
        return result

    def report(index: int, outcome: Outcome) -> None:
        arrived = arrivals.pop(index, None)
        ok = isinstance(outcome, Succeeded) and _accept(index, outcome.value)
        if not isinstance(outcome, Succeeded):
            problems.append(f"page {index + 1}: {outcome.reason}")
        if arrived is not None and not arrived.done():
            arrived.set_result(ok)
        tick()

    def _accept(index: int, page: PageResult) -> bool:
        try:
            plan.learn(index, page, api)
        except PagingError as error:
            problems.append(str(error))
            pool.stop(str(error), fatal=True)
            return False
        short = plan.shortfall(index, page)
        if short is not None:
            problems.append(short)
            return False
        mark = _signature(page, api)
        for neighbour in (index - 1, index + 1):
            if mark is not None and ledger.signatures.get(neighbour) == mark:
                message = (
                    f"pages {min(index, neighbour) + 1} and {max(index, neighbour) + 1} hold the same "
                    "records: the provider is not paging (loop detected); check [source] page_size (the "
                    "provider may cap it lower) and the filters"
                )
                problems.append(message)
                pool.stop(message, fatal=True)
                return False
        if mark is not None:
            ledger.signatures[index] = mark
        ledger.landed(index, len(page.records))
        return True

    async def works() -> AsyncIterator[Work[int]]:
        index = 0
        while not pool.stopping:
            if plan.knows_total:
                for page in range(plan.total_pages or 0):
                    if not ledger.is_done(page) and page not in arrivals:
                        yield Work(page)
                return
            known = plan.pages_known()
            if known is not None and index >= known:
                return
            if not ledger.is_done(index):
                arrivals[index] = asyncio.get_running_loop().create_future()
                waiting = arrivals[index]
                yield Work(index)
                if not await _arrived(waiting, pool):
                    return
            index += 1

    pool: WorkerPool[int] = WorkerPool(attempt, pacer, pool_settings(spec), report)

    def tick() -> None:
        snapshot.total = plan.pages_known()
        snapshot.done = ledger.progress.done_count + len(ledger.pending)
        snapshot.counts = {
            "records": ledger.progress.counts.get("records_fetched", 0) + sum(records for _, records in ledger.pending)
        }
        snapshot_with_pool(snapshot, pool.stats)
        snapshot.rate = pool.stats.attempts / max(1e-9, time.monotonic() - started)
        display.update(snapshot)

    await drive(pool, works(), display, spec.run.checkpoint_every, ledger.commit, tick)
    tick()
    display.stop()
    return problems, FetchStats(pool)


async def _arrived(waiting: asyncio.Future[bool], pool: WorkerPool[int]) -> bool:
    """Wait for a page in sequential mode; False when it failed or the pool stopped."""
    stop = asyncio.ensure_future(pool.wait_stopped())
    either: list[asyncio.Future[Any]] = [waiting, stop]
    try:
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
    return waiting.done() and waiting.result()


def _signature(page: PageResult, api: ListApi) -> list[Any] | None:
    mark = signature(page.records, api.id_field)
    return None if mark is None else list(mark)  # as the checkpoint's JSON keeps it


def _why_incomplete(plan: PagePlan, ledger: ExportState, problems: list[str]) -> str | None:
    if problems:
        shown = "; ".join(problems[:3]) + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else "")
        return shown
    if not plan.complete(ledger):
        return "the provider's last page was never reached"
    fetched = ledger.progress.counts.get("records_fetched", 0)
    if plan.total_records is not None and fetched < plan.total_records:
        return f"the provider's total is {plan.total_records:,} records, but its pages held {fetched:,}"
    return None


def _prepare_parts(parts: PartStore, progress: Progress, state: StateDir, incremental: bool) -> None:
    """The part files' folder, emptied for a new export; the incremental mark fixed for this export."""
    parts.create()
    if progress.done_count == 0:
        parts.clear()  # a new export (first run, --restart, or a new incremental round)
    if "since" not in progress.extra:  # fixed for this export, resumes included
        progress.extra["since"] = _watermark(state) if incremental else None


def _watermark(state: StateDir) -> str | None:
    try:
        newest = json.loads(state.file(WATERMARK).read_text(encoding="utf-8")).get("newest_update")
    except FileNotFoundError:
        return None
    return None if newest is None else str(newest)


async def _result(
    spec: JobSpec,
    status: str,
    message: str,
    progress: Progress,
    state: StateDir,
    files: dict[str, str],
    started: float,
    stats: PoolStats,
    pages_now: int = 0,
) -> RunResult:
    return await finish_run(
        spec,
        state,
        stats,
        started,
        status=status,
        message=message,
        counts=dict(sorted(progress.counts.items())),
        files=files,
        done_this_run=pages_now,
        unit="pages",
        fetch_seconds=progress.extra.get("fetch_seconds"),
    )
