"""Migrate: a provider's contacts → Rampwin, in two resumable phases sharing one state directory.

1. fetch: the provider's list API is exported, page by page, into ``fetch/records.jsonl`` (the export's
   checkpoint and part files live in ``fetch/``);
2. send: the records, flattened into ``staging.jsonl``, are imported like a file with the provider's default
   mapping, so the import's checkpoint, outcome files and exactly-once contract hold unchanged.

A killed run resumes in whichever phase it was in; the staging file is written atomically and never changes
once the fetch is complete, so the send phase's checkpoint always matches it.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path

from bulkcontacts.config.jobs import ExportJob, ImportJob, MigrateJob
from bulkcontacts.config.sinks import FileSink, RampwinSink
from bulkcontacts.config.sources import FileSource
from bulkcontacts.contacts.defaults import migration_mapping
from bulkcontacts.engine.retry import PoolStats
from bulkcontacts.errors import FatalRemoteError, Interrupted, UsageError
from bulkcontacts.io.staging import Flatten, stage_rows, staged_columns
from bulkcontacts.jobs.dry_run import DryRunReport, dry_run_import
from bulkcontacts.jobs.exports import run_export
from bulkcontacts.jobs.imports import run_import
from bulkcontacts.jobs.results import RunResult, finish_run
from bulkcontacts.providers.rampwin import RampwinSource
from bulkcontacts.providers.registry import provider_of
from bulkcontacts.state.checkpoint import StateDir
from bulkcontacts.state.layout import FETCH_DIR, PARTS_DIR, STAGING
from bulkcontacts.ui.display import Display


def fetch_spec(spec: MigrateJob, state_path: Path) -> ExportJob:
    """The migration's first phase as an export job into the state directory."""
    source, target = spec.source, spec.sink
    if source.mode != "full":
        raise UsageError('[source] mode: a migration copies every contact once; use mode = "full"')
    if (
        isinstance(source, RampwinSource)
        and isinstance(target, RampwinSink)
        and source.integration_id == target.integration_id
        and source.base_url == target.base_url
    ):
        raise UsageError("[sink] integration_id: the source and the sink are the same Rampwin channel")
    sink = FileSink(
        type="file", path=state_path / FETCH_DIR / "records.jsonl", format="jsonl", neutralize_formulas=False
    )
    run = spec.run.for_fetch()
    return spec.phase(ExportJob(job=spec.job, source=source, sink=sink, mapping=spec.mapping, run=run))


def send_spec(spec: MigrateJob, staging: Path) -> ImportJob:
    """The migration's second phase as an import job reading the staged rows."""
    source = FileSource(type="file", path=staging, format="jsonl")
    defaults = provider_of(spec.source).default_mapping
    mapping = migration_mapping(defaults, spec.mapping, staged_columns(staging))
    return spec.phase(ImportJob(job=spec.job, source=source, sink=spec.sink, mapping=mapping, run=spec.run))


async def fetch_and_stage(spec: MigrateJob, state: StateDir, restart: bool, display: Display) -> RunResult | Path:
    """Phase 1: the staging file's path once every record is fetched, or the fetch's result if it stopped."""
    await asyncio.to_thread(_prepare, state, restart)
    fetched = await run_export(
        fetch_spec(spec, state.path),
        state_path=state.path / FETCH_DIR,
        restart=restart,
        display=display,
        activity="fetching",
    )
    staging = state.file(STAGING)
    if fetched.status != "complete":
        fetched.message = f"fetching from {spec.source.type}: {fetched.message}"
        return fetched
    flatten = provider_of(spec.source).flatten
    await asyncio.to_thread(_stage_once, state.path / FETCH_DIR / "records.jsonl", staging, flatten)
    return staging


def _prepare(state: StateDir, restart: bool) -> None:
    state.create()
    if restart:
        state.clear()


def _stage_once(records: Path, staging: Path, flatten: Flatten) -> None:
    """Flatten the fetched records into the staging file, unless an earlier run already did."""
    if staging.exists():
        return
    if not records.exists():
        raise UsageError(f"{records} is gone although the fetch finished; run again with --restart")
    stage_rows(records, staging, flatten)
    shutil.rmtree(records.parent / PARTS_DIR, ignore_errors=True)  # records.jsonl holds them all


def _is_empty(path: Path) -> bool:
    return path.stat().st_size == 0


async def run_migrate(
    spec: MigrateJob, *, state_path: Path, restart: bool, display: Display, retry_rejected: bool = False
) -> RunResult:
    """Move every contact of the provider source into the Rampwin sink; resumable at any instant."""
    state = StateDir(state_path)
    staged = await fetch_and_stage(spec, state, restart, display)
    if isinstance(staged, RunResult):
        return staged
    if await asyncio.to_thread(_is_empty, staged):
        return await finish_run(
            spec,
            state,
            PoolStats(),
            time.monotonic(),
            status="complete",
            message=f"the {spec.source.type} source is empty",
            counts={"created": 0, "rejected": 0, "total_rows": 0},
            files={},
            done_this_run=0,
        )
    return await run_import(
        await asyncio.to_thread(send_spec, spec, staged),
        state_path=state_path,
        restart=False,
        display=display,
        retry_rejected=retry_rejected,
    )


async def dry_run_migrate(spec: MigrateJob, *, state_path: Path, display: Display) -> DryRunReport:
    """Fetch (and keep, for the real run) the provider's records; map and check them; send nothing."""
    state = StateDir(state_path)
    staged = await fetch_and_stage(spec, state, False, display)
    if isinstance(staged, RunResult):  # the fetch stopped: exit as the run would (3, or 4 if refused)
        stop = FatalRemoteError if staged.status == "refused" else Interrupted
        raise stop(f"dry run: {staged.message}; {staged.advice}")
    fetch = await asyncio.to_thread(StateDir(state.path / FETCH_DIR).load)
    if await asyncio.to_thread(_is_empty, staged):
        report = DryRunReport()
    else:
        report = await dry_run_import(await asyncio.to_thread(send_spec, spec, staged))
    if fetch is not None:
        report.fetched = fetch.counts.get("records", 0)
        report.fetch_seconds = float(fetch.extra.get("fetch_seconds") or 0.0)
    return report
