"""Export: every page of a provider's list API → part files → one CSV/Parquet/JSONL file, crash-safe.

Pages are the units of the checkpoint; ``pages.PageScheduler`` decides which to fetch and checks each
answer against the plan. A page lands as a part file before it is marked done; the final file is assembled
only when the plan says the export is complete, so a short or failed export stays resumable and never passes
for complete.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bulkcontacts.config.jobs import ExportJob
from bulkcontacts.config.sources import ProviderSource, source_identity
from bulkcontacts.engine.attempts import Attempt, Outcome, Work
from bulkcontacts.engine.pacing import Pacer
from bulkcontacts.engine.pool import WorkerPool
from bulkcontacts.engine.retry import PoolStats
from bulkcontacts.io.writers import Assembled, assemble
from bulkcontacts.jobs.budget import Budget, credential_key
from bulkcontacts.jobs.driving import snapshot_with_pool
from bulkcontacts.jobs.recording import Counts
from bulkcontacts.jobs.results import RunResult, finish_run
from bulkcontacts.jobs.resume import open_progress
from bulkcontacts.jobs.runner import run_stage
from bulkcontacts.paging.scheduler import PageScheduler
from bulkcontacts.paging.state import ExportState
from bulkcontacts.providers.base import ListApi
from bulkcontacts.providers.fetch import Credentials, PageFetcher
from bulkcontacts.providers.registry import provider_of
from bulkcontacts.state.atomic import write_atomic
from bulkcontacts.state.checkpoint import Progress, StateDir
from bulkcontacts.state.layout import PARTS_DIR, WATERMARK
from bulkcontacts.state.parts import PartStore
from bulkcontacts.ui.display import Display, Snapshot

if TYPE_CHECKING:
    import aiohttp


def source_fingerprint(source: ProviderSource) -> str:
    shown = source_identity(source, exclude=frozenset({"page_size", "max_pages"}))
    return hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class PageShard:
    """One shard of a sharded export: pages [start, end) of a list whose total the driver learned, landing in
    the job's shared folder of parts (the driver assembles the output once every shard is done)."""

    span: tuple[int, int]
    parts: Path
    total_pages: int
    total_records: int | None
    share: int = 1  # no rate store: this shard paces at rate ÷ share
    stop_when: Callable[[], str | None] | None = None  # asked at each commit whether to stop (the driver's word)


@dataclass
class ExportRun:
    """One run of an export job: what it reads and writes, and when it started."""

    spec: ExportJob
    state: StateDir
    progress: Progress
    parts: PartStore
    api: ListApi
    started: float
    shard: PageShard | None = None

    @property
    def files(self) -> dict[str, str]:
        return {"output": str(self.spec.sink.path), "summary": str(self.state.file("summary.json"))}

    async def result(self, status: str, message: str, stats: PoolStats | None = None, pages_now: int = 0) -> RunResult:
        return await finish_run(
            self.spec,
            self.state,
            stats or PoolStats(),
            self.started,
            status=status,
            message=message,
            counts=dict(sorted(self.progress.counts.items())),
            files=self.files,
            done_this_run=pages_now,
            unit="pages",
            fetch_seconds=self.progress.extra.get("fetch_seconds"),
        )


async def run_export(
    spec: ExportJob,
    *,
    state_path: Path,
    restart: bool,
    display: Display,
    activity: str = "exporting",
    shard: PageShard | None = None,
) -> RunResult:
    """Export every record of the provider source into the file sink; resumable at any instant.
    ``activity`` names what the export is for on the progress line (a migration's fetch, verify's listing);
    ``shard``: fetch only its pages, into the shared parts, and write no output."""
    run = await _open(spec, StateDir(state_path), restart, shard)
    if run.progress.finished:
        return await run.result("complete", "already complete (use --restart to export again)")
    source = spec.source
    ledger = ExportState(
        run.state, run.progress, ExportState.plan_of(run.progress, run.api.page_size, source.max_pages), run.parts
    )
    await ledger.commit()
    pages_before = run.progress.done_count
    stage = PageStage(run, ledger, activity)
    budget, stop_when = (Budget(shard.share), shard.stop_when) if shard else (None, None)
    ended = await run_stage(spec, stage, run.state, display, budget, stop_when)
    run.progress.extra["fetch_seconds"] = ended.seconds
    await ledger.commit()
    return await _conclude(run, ledger, ended.pool, stage.problems, run.progress.done_count - pages_before)


async def _conclude(
    run: ExportRun, ledger: ExportState, pool: WorkerPool[int], problems: list[str], fetched_now: int
) -> RunResult:
    """How the fetch ended; when every page is in, the output file (a shard leaves that to its driver)."""
    if pool.stop_reason is not None:
        return await run.result("refused" if pool.fatal else "interrupted", pool.stop_reason, pool.stats, fetched_now)
    missing = ledger.why_incomplete(problems, run.shard.span if run.shard else None)
    if missing:
        message = f"incomplete: {missing}; nothing was written to {run.spec.sink.path}"
        return await run.result("interrupted", message, pool.stats, fetched_now)
    if run.shard is not None:
        await ledger.commit(finished=True)
        start, end = run.shard.span
        return await run.result("complete", f"pages {start + 1:,}–{end:,} fetched", pool.stats, fetched_now)
    assembled = await _write_output(run, ledger)
    dropped = f", {assembled.duplicates:,} duplicates dropped" if assembled.duplicates else ""
    message = f"{assembled.records:,} records written to {assembled.path}{dropped}"
    return await run.result("complete", message, pool.stats, fetched_now)


async def _open(spec: ExportJob, state: StateDir, restart: bool, shard: PageShard | None) -> ExportRun:
    """The checkpoint to continue from (or a fresh one), its part files and the list API it reads."""
    source = spec.source
    incremental = source.mode == "incremental"
    progress = await asyncio.to_thread(
        open_progress,
        state,
        "export",
        source_fingerprint(source),
        spec.mapping_fingerprint(),
        restart,
        against_emulator=spec.against_emulator,
        again_when_finished=incremental,
    )
    if shard is not None:
        _seed(progress, shard)
    parts = PartStore(shard.parts if shard else state.path / PARTS_DIR)
    await asyncio.to_thread(_prepare_parts, parts, progress, state, incremental, shared=shard is not None)
    api = provider_of(source).list_api(source, progress.extra["since"])
    return ExportRun(spec, state, progress, parts, api, time.monotonic(), shard)


def _seed(progress: Progress, shard: PageShard) -> None:
    """A shard starts knowing the total (the driver's first page), and counts pages from its first."""
    if progress.extra.get("total_pages") is None:
        progress.extra["total_pages"], progress.extra["total_records"] = shard.total_pages, shard.total_records
    progress.begin_at(shard.span[0])


class PageStage:
    """An export's fetch, as the runner drives it: the pages the scheduler hands out (``paging/``: which,
    and what each answer means for the whole), each fetched and landed as a part file."""

    phase, unit = "fetch", "pages"

    def __init__(self, run: ExportRun, ledger: ExportState, activity: str) -> None:
        source = run.spec.source
        self.run, self.ledger = run, ledger
        self.title = f"{run.spec.job.name}: {activity} ({run.api.provider})"
        self.key = credential_key(str(source.base_url), source)
        self.share = run.shard.share if run.shard else 1
        self.total = ledger.plan.pages_known()
        self.headers: dict[str, str] = {}  # a page's own: its credentials may be renewed mid-run
        self.problems: list[str] = []  # the scheduler's, once connected: why the export cannot be complete yet
        self._scheduler: PageScheduler | None = None
        self._snapshot = Snapshot(unit="pages")
        self._stats = PoolStats()

    def connect(self, session: aiohttp.ClientSession, pacer: Pacer) -> None:
        run, source = self.run, self.run.spec.source
        fetcher = PageFetcher(run.api, Credentials(provider_of(source).auth(source), source.base_url, session), session)
        self._scheduler = PageScheduler(run.api, fetcher, run.parts, self.ledger)
        self._scheduler.end = run.shard.span[1] if run.shard else None
        self.problems = self._scheduler.problems

    def started(self, pool: WorkerPool[int]) -> None:
        self._connected().pool = pool
        self._stats = pool.stats

    def works(self) -> AsyncIterator[list[Work[int]]]:
        return self._connected().works()

    async def attempt(self, work: Work[int]) -> Attempt:
        return await self._connected().attempt(work)

    def report(self, item: int, outcome: Outcome) -> None:
        self._connected().report(item, outcome)

    def counts(self) -> Counts:
        ledger = self.ledger
        landed = sum(records for _, records in ledger.pending)
        pages = ledger.progress.done_count + len(ledger.pending)
        return Counts(pages, ledger.progress.counts.get("records_fetched", 0) + landed, {})

    def snapshot(self) -> Snapshot:
        snapshot = self._snapshot
        snapshot.total = self.ledger.plan.pages_known()
        snapshot.done, records, _ = self.counts()
        snapshot.counts = {"records": records}
        snapshot_with_pool(snapshot, self._stats)
        snapshot.rate = self._stats.attempts / max(1e-9, time.monotonic() - self.run.started)
        return snapshot

    async def settled(self) -> None:
        return None

    def _connected(self) -> PageScheduler:
        assert self._scheduler is not None, "connected before the pool runs"
        return self._scheduler


async def _write_output(run: ExportRun, ledger: ExportState) -> Assembled:
    """Assemble the output file from the parts; an incremental export keeps its new high-water mark."""
    sink, api, progress = run.spec.sink, run.api, run.progress
    pages = ledger.plan.pages_known()
    assert pages is not None
    assembled = await asyncio.to_thread(
        assemble,
        run.parts,
        pages,
        sink,
        id_field=api.id_field,
        updated_field=api.updated_field,
        normalize=api.normalize if sink.normalize else None,
    )
    progress.counts.update(records=assembled.records, duplicates_dropped=assembled.duplicates)
    if run.spec.source.mode == "incremental":
        newest = assembled.newest_update or progress.extra.get("since")
        mark = json.dumps({"newest_update": newest}).encode()
        await asyncio.to_thread(write_atomic, run.state.file(WATERMARK), mark)
    await ledger.commit(finished=True)
    return assembled


def _prepare_parts(
    parts: PartStore, progress: Progress, state: StateDir, incremental: bool, *, shared: bool = False
) -> None:
    """The part files' folder, emptied for a new export (never a folder shards share: the driver empties
    that one); the incremental mark fixed for this export."""
    parts.create()
    if progress.done_count == 0 and not shared:
        parts.clear()  # a new export (first run, --restart, or a new incremental round)
    if "since" not in progress.extra:  # fixed for this export, resumes included
        progress.extra["since"] = _watermark(state) if incremental else None


def _watermark(state: StateDir) -> str | None:
    try:
        newest = json.loads(state.file(WATERMARK).read_text(encoding="utf-8")).get("newest_update")
    except FileNotFoundError:
        return None
    return None if newest is None else str(newest)
