"""``run JOB --workers N`` / ``--cluster ADDRESS``: the driver. It fetches a migration's records first (once,
here), plans the shards, checks the workers share the state directory, submits the shards, shows one bar fed
by their checkpoints, and once every shard is done merges their files into the job's own.

Ctrl-C asks every shard to finish what is under way and save (a ``STOP`` file they look for at each commit);
a killed driver's shards stop by themselves (a local cluster's look for the driver's process), and the same
command resumes every shard from its checkpoint.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bulkcontacts.config.jobs import ExportJob, ImportJob, MigrateJob
from bulkcontacts.config.sinks import RampwinSink, RestSink
from bulkcontacts.config.sources import ProviderSource
from bulkcontacts.engine.loop import run as run_loop
from bulkcontacts.errors import UsageError
from bulkcontacts.io.readers import FileReader
from bulkcontacts.jobs.budget import rate_store
from bulkcontacts.jobs.emulate import emulated
from bulkcontacts.jobs.migrate import fetch_and_stage, send_spec
from bulkcontacts.jobs.results import RunResult
from bulkcontacts.jobs.resume import made_elsewhere
from bulkcontacts.jobs.run import RunOptions
from bulkcontacts.scale.cluster import dask_client, probe_shared_storage
from bulkcontacts.scale.merge import merge_outcomes, merged_checkpoint, shard_counts, sharded_result
from bulkcontacts.scale.options import ScaleOptions
from bulkcontacts.scale.pages import export_in_shards
from bulkcontacts.scale.plan import ShardPlan, load_plan, plan_shards
from bulkcontacts.scale.source import index_source
from bulkcontacts.scale.waiting import shard_tasks, wait_for_shards
from bulkcontacts.state.checkpoint import StateDir
from bulkcontacts.ui.display import Display

AnyJob = ImportJob | MigrateJob | ExportJob


def check_scale(spec: AnyJob, options: RunOptions, scale: ScaleOptions) -> None:
    """Refuse what a sharded run cannot do, before anything starts."""
    if options.retry_rejected or options.dry_run:
        raise UsageError("--retry-rejected and --dry-run run in one process: drop --workers/--cluster")
    if scale.cluster is not None and rate_store(spec.run) is None and not scale.static_split:
        raise UsageError(
            "--cluster runs shards on other machines, which cannot see each other's pace: set [run] rate_store = "
            '"redis://HOST:6379" (or BULKCONTACTS_RATE_STORE) for one shared budget, or pass --static-split to '
            "pace each shard at rate ÷ shards"
        )


@contextlib.contextmanager
def _pointed(
    spec: ImportJob | MigrateJob | ExportJob, root: Path, options: RunOptions, display: Display
) -> Iterator[Any]:
    """The spec (on its emulator with --emulate) and the emulator's address for the workers."""
    if not options.emulate:
        yield spec, None
        return
    with emulated(spec, root, display) as pointed:
        yield pointed, _emulator_root(pointed)


def _emulator_root(pointed: AnyJob) -> str:
    """The emulator's own address, from an end of the spec pointed at it (``<root>/<provider>``)."""
    if isinstance(pointed.sink, RampwinSink | RestSink):
        return str(pointed.sink.base_url).removesuffix(f"/{pointed.sink.type}")
    assert isinstance(pointed.source, ProviderSource)
    return str(pointed.source.base_url).removesuffix(f"/{pointed.source.type}")


def run_sharded(job: Path, spec: AnyJob, options: RunOptions, scale: ScaleOptions, display: Display) -> RunResult:
    with _terminate_as_interrupt():
        return _run_sharded(job, spec, options, scale, display)


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM to the driver asks every shard to finish what is under way and save, as Ctrl-C does (and as
    a one-process run does): without it the driver died at once, its shards orphaned until they noticed."""
    if threading.current_thread() is not threading.main_thread():
        yield  # a caller's thread: signals are the caller's
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run_sharded(job: Path, spec: AnyJob, options: RunOptions, scale: ScaleOptions, display: Display) -> RunResult:
    check_scale(spec, options, scale)
    root = spec.state_dir(options.state_dir)  # --restart has emptied it already (the CLI, under the job's lock)
    StateDir(root).create()
    settled = _settled(spec.job.name, root, options.emulate)
    if settled is not None:
        return settled
    with _pointed(spec, root, options, display) as (pointed, emulator):
        if isinstance(pointed, ExportJob):
            return export_in_shards(job, pointed, root, scale, display, emulator)
        rows_spec = pointed
        if isinstance(pointed, MigrateJob):
            staged = run_loop(fetch_and_stage(pointed, StateDir(root), options.restart, display))
            if isinstance(staged, RunResult):
                return staged
            rows_spec = send_spec(pointed, staged)
        return _send_in_shards(job, rows_spec, root, scale, display, emulator)


def _settled(name: str, root: Path, emulate: bool) -> RunResult | None:
    """A job that finished (in shards or in one process) is complete; one under way in one process, or made
    against the other end (the emulator or the real API), cannot go on in shards."""
    progress = StateDir(root).load()
    if progress is None:
        return None
    if progress.against_emulator != emulate:
        raise UsageError(made_elsewhere(root, progress.against_emulator))
    if progress.finished:
        message = "already complete (use --restart to run it again, or --retry-rejected without --workers)"
        counts = {**progress.counts, "total_rows": progress.total or 0}
        return RunResult(name, "complete", message, counts, root)
    if load_plan(root) is None:
        done = f"{progress.done_count:,} of {progress.total:,}" if progress.total else f"{progress.done_count:,}"
        raise UsageError(
            f"this job was started in one process ({done} done, checkpoint in {root}): finish it with the same "
            "command without --workers/--cluster, or start it over in shards with --restart"
        )
    return None


def _send_in_shards(
    job: Path, spec: ImportJob, root: Path, scale: ScaleOptions, display: Display, emulator: str | None
) -> RunResult:
    started = time.monotonic()
    reader = FileReader(spec.source)
    total, fingerprint = reader.count_rows(), reader.fingerprint()
    with dask_client(scale.workers, scale.cluster, display) as client:
        workers = probe_shared_storage(client, root, [job, Path(spec.source.path)])
        known = load_plan(root)
        plan = plan_shards(root, scale.workers or (known.count if known else workers), total, fingerprint)
        display.note("reading the file once for the shards (where each begins; which rows repeat a phone)")
        index_source(spec, reader, plan, root)
        tasks = shard_tasks(job, root, plan, spec.run, scale, display, emulator)
        results = wait_for_shards(client, tasks, plan, root, display, f"sending in {plan.count} shards")
    return _finish(spec, plan, root, results, started)


def _finish(spec: ImportJob, plan: ShardPlan, root: Path, results: list[dict[str, Any]], started: float) -> RunResult:
    complete = all(result.get("status") == "complete" for result in results)
    files = merge_outcomes(plan, root) if complete else {}
    counts = {**shard_counts(results), "total_rows": plan.total_rows}
    if complete:
        merged_checkpoint(root, plan, counts, spec)
    message = f"every row is accounted for ({plan.count} shards merged)"
    return sharded_result(spec.job.name, root, results, counts, files, message, started)
