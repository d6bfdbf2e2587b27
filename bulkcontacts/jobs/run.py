"""``run``, ``verify``: a loaded job to the right runner, on a fresh event loop, on this job's emulator when
asked. The CLI calls these and prints what they return."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from bulkcontacts.config.jobs import ExportJob, ImportJob, JobSpec, MigrateJob
from bulkcontacts.config.load import load_spec
from bulkcontacts.engine.loop import run as run_loop
from bulkcontacts.errors import UsageError
from bulkcontacts.jobs.dry_run import DryRunReport, dry_run_import
from bulkcontacts.state.layout import SHARD_PLAN
from bulkcontacts.ui.display import Display

if TYPE_CHECKING:
    from bulkcontacts.jobs.results import RunResult
    from bulkcontacts.jobs.verify import VerifyReport

# The runners that talk HTTP are imported where they are used: an import's dry run, validate and status
# start without loading aiohttp and the providers' clients (0.2 s of every such command).

Outcome = TypeVar("Outcome")


@dataclass(frozen=True)
class RunOptions:
    emulate: bool = False
    state_dir: Path | None = None
    restart: bool = False
    dry_run: bool = False
    retry_rejected: bool = False


def load_for_run(job: Path, options: RunOptions) -> JobSpec:
    """The spec, checked against the options: a dry run accepts unset secrets, except a migration's (it reads
    the provider), and an export has no rows to dry-run or retry."""
    if options.retry_rejected and (options.restart or options.dry_run):
        raise UsageError(
            "--retry-rejected goes on from the last run: it cannot be combined with "
            f"{'--restart' if options.restart else '--dry-run'}"
        )
    spec = load_spec(job, emulate=options.emulate or options.dry_run)
    if isinstance(spec, MigrateJob) and options.dry_run and not options.emulate:
        spec = load_spec(job)  # a migration's dry run reads the provider: it needs the real credentials
    if isinstance(spec, ExportJob) and (options.dry_run or options.retry_rejected):
        raise UsageError(
            f"{'--dry-run' if options.dry_run else '--retry-rejected'} is about rows sent to Rampwin: "
            "it applies to import and migrate jobs; an export is checked page by page as it runs"
        )
    return spec


def run_job(spec: JobSpec, options: RunOptions, display: Display) -> RunResult:
    """Run (or resume) the job on a fresh event loop."""
    return _on_loop(spec, options, display, _runner(spec, options, display))


async def run_job_async(spec: JobSpec, options: RunOptions, display: Display) -> RunResult:
    """Run (or resume) the job on the running event loop (the emulator, when asked, starts in a thread)."""
    job = _runner(spec, options, display)
    if not options.emulate:
        return await job(spec)
    from bulkcontacts.jobs.emulate import emulated

    emulator = emulated(spec, spec.state_dir(options.state_dir), display)
    pointed = await asyncio.to_thread(emulator.__enter__)
    try:
        return await job(pointed)
    finally:
        await asyncio.to_thread(emulator.__exit__, None, None, None)


def _runner(spec: JobSpec, options: RunOptions, display: Display) -> Callable[[Any], Coroutine[Any, Any, RunResult]]:
    """The coroutine function that runs this kind of job with these options."""
    from bulkcontacts.jobs.exports import run_export
    from bulkcontacts.jobs.imports import run_import
    from bulkcontacts.jobs.migrate import run_migrate

    state_path = spec.state_dir(options.state_dir)
    if (state_path / SHARD_PLAN).exists() and not options.restart and not _merged(state_path):
        shards = json.loads((state_path / SHARD_PLAN).read_text(encoding="utf-8")).get("count", "N")
        raise UsageError(
            f"this job runs in {shards} shards ({state_path / SHARD_PLAN}): run it again with --workers {shards} "
            "or --cluster, or with --restart to start it over in one process"
        )
    common: dict[str, Any] = {"state_path": state_path, "restart": options.restart, "display": display}
    if isinstance(spec, ExportJob):
        return partial(run_export, **common)
    if isinstance(spec, ImportJob):
        return partial(run_import, retry_rejected=options.retry_rejected, **common)
    return partial(run_migrate, retry_rejected=options.retry_rejected, **common)


def _merged(state_path: Path) -> bool:
    """A sharded run's shards were merged: the job's own checkpoint is finished, as a one-process run's is."""
    from bulkcontacts.state.checkpoint import StateDir

    progress = StateDir(state_path).load()
    return progress is not None and progress.finished


def dry_run_job(spec: ImportJob | MigrateJob, options: RunOptions, display: Display) -> DryRunReport:
    """What a run would send and reject, sending nothing (a migration fetches, and keeps what it fetched)."""
    if isinstance(spec, ImportJob):  # an import's dry run sends nothing anywhere: no emulator
        return run_loop(dry_run_import(spec))
    from bulkcontacts.jobs.migrate import dry_run_migrate

    state_path = spec.state_dir(options.state_dir)
    return _on_loop(spec, options, display, partial(dry_run_migrate, state_path=state_path, display=display))


def verify_job(spec: JobSpec, options: RunOptions, display: Display) -> VerifyReport:
    from bulkcontacts.jobs.verify import run_verify

    state_path = spec.state_dir(options.state_dir)
    return _on_loop(spec, options, display, partial(run_verify, state_path=state_path, display=display))


def _on_loop(
    spec: Any, options: RunOptions, display: Display, job: Callable[[Any], Coroutine[Any, Any, Outcome]]
) -> Outcome:
    """Run ``job`` on a fresh event loop, pointed at this job's emulator when asked."""
    if not options.emulate:
        return run_loop(job(spec))
    from bulkcontacts.jobs.emulate import emulated

    with emulated(spec, spec.state_dir(options.state_dir), display) as pointed:
        return run_loop(job(pointed))
