"""``run JOB --workers N`` / ``--cluster ADDRESS``: the driver. It fetches a migration's records first (once,
here), plans the shards, checks the workers share the state directory, submits the shards, shows one bar fed
by their checkpoints, and once every shard is done merges their files into the job's own.

Ctrl-C asks every shard to finish what is under way and save (a ``STOP`` file they look for at each commit);
a killed driver's shards stop by themselves (a local cluster's look for the driver's process), and the same
command resumes every shard from its checkpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bulkcontacts.config.jobs import ImportJob, MigrateJob
from bulkcontacts.errors import UsageError
from bulkcontacts.io.readers import FileReader
from bulkcontacts.jobs.budget import rate_store, store_shown
from bulkcontacts.jobs.common import RunResult, write_summary
from bulkcontacts.jobs.emulate import emulated
from bulkcontacts.jobs.migrate import fetch_and_stage, send_spec
from bulkcontacts.jobs.run import RunOptions
from bulkcontacts.scale.cluster import dask_client, probe_shared_storage, submit
from bulkcontacts.scale.merge import merge_outcomes, shard_counts, shard_stats
from bulkcontacts.scale.options import ScaleOptions
from bulkcontacts.scale.plan import ShardPlan, load_plan, plan_shards
from bulkcontacts.scale.shard import STOP, ShardTask
from bulkcontacts.state.checkpoint import StateDir
from bulkcontacts.state.layout import SHARDS_DIR
from bulkcontacts.ui.display import Display, Snapshot

GRACE_SECONDS = 30.0


def check_scale(spec: ImportJob | MigrateJob, options: RunOptions, scale: ScaleOptions) -> None:
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
def _pointed(spec: ImportJob | MigrateJob, root: Path, options: RunOptions, display: Display) -> Iterator[Any]:
    """The spec (on its emulator with --emulate) and the emulator's address for the workers."""
    if not options.emulate:
        yield spec, None
        return
    with emulated(spec, root, display, restart=options.restart) as pointed:
        yield pointed, str(getattr(pointed.sink, "base_url", "")).removesuffix("/rampwin")


def run_sharded(
    job: Path, spec: ImportJob | MigrateJob, options: RunOptions, scale: ScaleOptions, display: Display
) -> RunResult:
    check_scale(spec, options, scale)
    root = spec.state_dir(options.state_dir)
    if options.restart:
        _forget(root)
    StateDir(root).create()
    with _pointed(spec, root, options, display) as (pointed, emulator):
        rows_spec = pointed
        if isinstance(pointed, MigrateJob):
            staged = asyncio.run(fetch_and_stage(pointed, StateDir(root), False, display))
            if isinstance(staged, RunResult):
                return staged
            rows_spec = send_spec(pointed, staged)
        return _send_in_shards(job, rows_spec, root, scale, display, emulator)


def _forget(root: Path) -> None:
    StateDir(root).clear()  # the plan and the shards go with the rest


def _send_in_shards(
    job: Path, spec: ImportJob, root: Path, scale: ScaleOptions, display: Display, emulator: str | None
) -> RunResult:
    started = time.monotonic()
    reader = FileReader(spec.source)
    total, fingerprint = reader.count_rows(), reader.fingerprint()
    with dask_client(scale.workers, scale.cluster) as client:
        workers = probe_shared_storage(client, root, [job, Path(spec.source.path)])
        known = load_plan(root)
        plan = plan_shards(root, scale.workers or (known.count if known else workers), total, fingerprint)
        store = rate_store(spec.run)
        share = 1 if store else plan.count
        if store:
            display.note(f"rate: one budget of {spec.run.rate:g}/s in {store_shown(store)}, shared by every shard")
        else:
            display.note(
                f"rate: no rate store, so each of the {plan.count} shards paces at {spec.run.rate / share:g}/s "
                "(rate ÷ shards); set [run] rate_store for one shared budget"
            )
        (root / SHARDS_DIR / STOP).unlink(missing_ok=True)
        pid = None if scale.cluster else os.getpid()
        tasks = [
            ShardTask(str(job.resolve()), str(root.resolve()), index, span, share, emulator, pid)
            for index, span in enumerate(plan.spans)
        ]
        results = _wait(client, tasks, plan, root, display)
    return _finish(spec, plan, root, results, started)


def _progress(plan: ShardPlan, root: Path) -> tuple[int, dict[str, int]]:
    """Rows done across the shards, and their counts, as their checkpoints say (committed work)."""
    done, counts = 0, {"created": 0, "rejected": 0}
    for index in range(plan.count):
        with contextlib.suppress(UsageError):
            progress = StateDir(plan.shard_path(root, index)).load()
            if progress is not None:
                for name in counts:
                    counts[name] += progress.counts.get(name, 0)
    done = counts["created"] + counts["rejected"]
    return done, counts


def _wait(client: Any, tasks: list[ShardTask], plan: ShardPlan, root: Path, display: Display) -> list[dict[str, Any]]:
    """Submit the shards and wait for them all, one bar fed by their checkpoints; Ctrl-C stops them cleanly."""
    before, _ = _progress(plan, root)
    snapshot, began = Snapshot(total=plan.total_rows), time.monotonic()
    display.start(f"sending in {plan.count} shards", Snapshot(total=plan.total_rows, done=before))
    futures = submit(client, tasks)
    stopping_since: float | None = None
    while not all(future.done() for future in futures):
        try:
            time.sleep(1.0)
        except KeyboardInterrupt:
            if stopping_since is not None:
                raise
            stopping_since = time.monotonic()
            (root / SHARDS_DIR / STOP).write_text("stop")
            display.notice("stopping: every shard finishes what is under way and saves; Ctrl-C again quits at once")
        snapshot.done, snapshot.counts = _progress(plan, root)
        snapshot.rate = (snapshot.done - before) / max(1e-9, time.monotonic() - began)
        display.update(snapshot)
        if stopping_since is not None and time.monotonic() - stopping_since > GRACE_SECONDS:
            break
    display.stop()
    return [_outcome(task, future) for task, future in zip(tasks, futures, strict=True)]


def _outcome(task: ShardTask, future: Any) -> dict[str, Any]:
    if not future.done():
        return {"index": task.index, "status": "interrupted", "message": "still running when the driver stopped"}
    if future.status == "finished":
        return dict(future.result())
    return {"index": task.index, "status": "interrupted", "message": f"failed: {future.exception()}", "counts": {}}


def _finish(spec: ImportJob, plan: ShardPlan, root: Path, results: list[dict[str, Any]], started: float) -> RunResult:
    statuses = {result.get("status") for result in results}
    status = "complete" if statuses == {"complete"} else "refused" if "refused" in statuses else "interrupted"
    state = StateDir(root)
    files: dict[str, str] = {}
    if status == "complete":
        files = merge_outcomes(plan, root)
        message = f"every row is accounted for ({plan.count} shards merged)"
    else:
        stopped = [f"shard {r['index']}: {r.get('message')}" for r in results if r.get("status") != "complete"]
        message = "; ".join(stopped[:3]) + (f" (and {len(stopped) - 3} more)" if len(stopped) > 3 else "")
    counts = shard_counts(results)
    counts["total_rows"] = plan.total_rows
    result = RunResult(
        job=spec.job.name, status=status, message=message, counts=counts, state_dir=root,
        files={**files, "summary": str(state.file("summary.json"))}, elapsed=time.monotonic() - started,
        done_this_run=sum(int(r.get("done_this_run", 0)) for r in results), stats=shard_stats(results),
        send_seconds=max((float(r.get("send_seconds") or 0) for r in results), default=0.0),
        shards=[{k: r.get(k) for k in ("index", "status", "message", "counts", "done_this_run")} for r in results],
    )  # fmt: skip
    write_summary(state, result)
    return result
