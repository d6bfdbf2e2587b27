"""Waiting for a job's shards: one bar fed by their checkpoints; Ctrl-C asks each to finish and save."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Any

from bulkcontacts.config.run import RunSpec
from bulkcontacts.errors import UsageError
from bulkcontacts.jobs.budget import rate_store, store_shown
from bulkcontacts.scale.cluster import submit
from bulkcontacts.scale.options import ScaleOptions
from bulkcontacts.scale.plan import ShardPlan
from bulkcontacts.scale.shard import STOP, ShardTask
from bulkcontacts.state.checkpoint import Progress, StateDir
from bulkcontacts.state.layout import SHARDS_DIR
from bulkcontacts.ui.display import Display, Snapshot

GRACE_SECONDS = 30.0


def shard_tasks(  # noqa: PLR0913
    job: Path,
    root: Path,
    plan: ShardPlan,
    run: RunSpec,
    scale: ScaleOptions,
    display: Display,
    emulator: str | None,
    pages: tuple[int, int | None] | None = None,
) -> list[ShardTask]:
    """The plan's shards as tasks, each told how it shares the rate (and saying so)."""
    store = rate_store(run)
    share = 1 if store else plan.count
    if store:
        display.note(f"rate: one budget of {run.rate:g}/s in {store_shown(store)}, shared by every shard")
    else:
        display.note(
            f"rate: no rate store, so each of the {plan.count} shards paces at {run.rate / share:g}/s "
            "(rate ÷ shards); set [run] rate_store for one shared budget"
        )
    (root / SHARDS_DIR / STOP).unlink(missing_ok=True)
    pid = None if scale.cluster else os.getpid()  # a local cluster's shards stop when the driver is gone
    return [
        ShardTask(str(job.resolve()), str(root.resolve()), index, span, share, emulator, pid, pages)
        for index, span in enumerate(plan.spans)
    ]


def shard_progress(plan: ShardPlan, root: Path) -> tuple[int, dict[str, int]]:
    """Units done across the shards (rows in either file, or pages), and their counts, as their checkpoints
    say (committed work)."""
    done, counts = 0, dict[str, int]()
    for index in range(plan.count):
        progress = _checkpoint(plan, root, index)
        if progress is None:
            continue
        names: tuple[str, ...] = ("records_fetched",) if progress.kind == "export" else ("created", "rejected")
        done += (
            progress.counts.get("pages", 0)
            if progress.kind == "export"
            else sum(progress.counts.get(name, 0) for name in names)
        )
        for name in names:
            counts[name] = counts.get(name, 0) + progress.counts.get(name, 0)
    return done, counts


def _checkpoint(plan: ShardPlan, root: Path, index: int) -> Progress | None:
    """A shard's checkpoint, or None where it has none yet (or one that cannot be read)."""
    with contextlib.suppress(UsageError):
        return StateDir(plan.shard_path(root, index)).load()
    return None


def _saved(progress: Progress | None) -> int:
    """Units a shard's checkpoint holds as done (rows of its own span, or pages)."""
    if progress is None:
        return 0
    return progress.done_count - (progress.extra.get("span", [0])[0] if progress.kind == "import" else 0)


def wait_for_shards(
    client: Any, tasks: list[ShardTask], plan: ShardPlan, root: Path, display: Display, label: str
) -> list[dict[str, Any]]:
    """Submit the shards and wait for them all, one bar fed by their checkpoints; Ctrl-C stops them cleanly."""
    before, _ = shard_progress(plan, root)
    done_before = [_saved(_checkpoint(plan, root, index)) for index in range(plan.count)]
    unit = "pages" if tasks and tasks[0].pages is not None else "rows"
    snapshot, began = Snapshot(total=plan.total_rows, unit=unit), time.monotonic()
    display.start(label, Snapshot(total=plan.total_rows, done=before, unit=unit))
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
        snapshot.done, snapshot.counts = shard_progress(plan, root)
        snapshot.rate = (snapshot.done - before) / max(1e-9, time.monotonic() - began)
        display.update(snapshot)
        if stopping_since is not None and time.monotonic() - stopping_since > GRACE_SECONDS:
            break
    display.stop()
    return [_outcome(task, future, plan, root, done_before) for task, future in zip(tasks, futures, strict=True)]


def _outcome(task: ShardTask, future: Any, plan: ShardPlan, root: Path, done_before: list[int]) -> dict[str, Any]:
    """What a shard came to: its own result, or, for one that did not return (still stopping, failed), what
    its checkpoint holds: the work it committed counts, this run's too."""
    if future.done() and future.status == "finished":
        return dict(future.result())
    why = f"failed: {future.exception()}" if future.done() else "still stopping when the driver gave up waiting"
    progress = _checkpoint(plan, root, task.index)
    if progress is None:
        return {"index": task.index, "status": "interrupted", "message": why, "counts": {}}
    counts = {**progress.counts, "total_rows": progress.total or 0}
    done = _saved(progress)
    return {
        "index": task.index,
        "status": "interrupted",
        "message": f"{why} ({done:,} saved)",
        "counts": counts,
        "done_this_run": max(0, done - done_before[task.index]),
    }
