"""One shard, run where Dask puts it: the job's spec loaded there (its secrets from that machine's
environment, never sent through the cluster), its rows [start, end) imported into ``shards/NNNN/`` under a
lock, so that a shard is never run twice at once (a lost worker's task rescheduled while it still runs)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from bulkcontacts.config.jobs import ExportJob, ImportJob, MigrateJob
from bulkcontacts.config.load import load_spec
from bulkcontacts.engine.loop import run as run_loop
from bulkcontacts.errors import BulkContactsError, FatalRemoteError, UsageError
from bulkcontacts.jobs.budget import Budget
from bulkcontacts.jobs.emulate import pointed_at
from bulkcontacts.jobs.exports import PageShard, run_export
from bulkcontacts.jobs.imports import RowSpan, run_import
from bulkcontacts.jobs.migrate import send_spec
from bulkcontacts.jobs.results import RunResult
from bulkcontacts.scale.source import shard_rows
from bulkcontacts.state.layout import PARTS_DIR, SHARDS_DIR, STAGING
from bulkcontacts.ui.display import QuietDisplay

STOP = "STOP"  # written by the driver (Ctrl-C): every shard finishes what is under way, saves and returns
LOCK_WAIT_SECONDS = 600.0


@dataclass(frozen=True)
class ShardTask:
    job: str  # the spec file, on storage every worker sees
    root: str  # the job's state directory, likewise
    index: int
    span: tuple[int, int]
    share: int  # no rate store: this shard paces at rate ÷ share
    emulator: str | None = None  # --emulate: the driver's emulator
    driver_pid: int | None = None  # a local cluster: stop when the driver is gone
    pages: tuple[int, int | None] | None = None  # an export: the list's total pages and records

    @property
    def path(self) -> Path:
        return Path(self.root) / SHARDS_DIR / f"{self.index:04d}"


def _spec(task: ShardTask) -> ImportJob | ExportJob:
    spec = load_spec(Path(task.job), emulate=task.emulator is not None)
    if task.emulator is not None:
        spec = pointed_at(spec, task.emulator)
    if isinstance(spec, MigrateJob):
        return send_spec(spec, Path(task.root) / STAGING)
    return spec


@contextlib.contextmanager
def shard_lock(path: Path) -> Iterator[None]:
    """Hold the shard's lock (waiting while another process, say an orphan of a killed driver, ends)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(path / "lock", "a") as handle:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"shard {path.name} stayed locked by another process") from None
                time.sleep(0.5)
        yield


def _stop_reason(task: ShardTask) -> str | None:
    if (Path(task.root) / SHARDS_DIR / STOP).exists():
        return "stopped: the driver was interrupted"
    if task.driver_pid is not None:
        try:
            os.kill(task.driver_pid, 0)
        except ProcessLookupError:
            return "stopped: the driver is gone"
    return None


async def _run(spec: ImportJob | ExportJob, task: ShardTask, rows: RowSpan | None) -> RunResult:
    display = QuietDisplay(Console(stderr=True))
    if isinstance(spec, ExportJob):
        assert task.pages is not None
        total_pages, total_records = task.pages
        pages = PageShard(
            task.span, Path(task.root) / PARTS_DIR, total_pages, total_records, task.share, lambda: _stop_reason(task)
        )
        return await run_export(spec, state_path=task.path, restart=False, display=display, shard=pages)
    return await run_import(
        spec,
        state_path=task.path,
        restart=False,
        display=display,
        span=rows,
        budget=Budget(task.share),
        stop_when=lambda: _stop_reason(task),
    )


def run_shard(task: ShardTask) -> dict[str, Any]:
    """Import the shard's rows (resuming its checkpoint); what it came to, as ``summary.json`` has it."""
    try:
        spec = _spec(task)
        # The driver's index and repeats, read here: file reads stay off the event loop.
        rows = None if isinstance(spec, ExportJob) else shard_rows(Path(task.root), task.span)
        with shard_lock(task.path):
            result = run_loop(_run(spec, task, rows))
        return {"index": task.index, **result.as_json()}
    except FatalRemoteError as error:
        return {"index": task.index, "status": "refused", "message": str(error), "counts": {}}
    except UsageError as error:
        return {"index": task.index, "status": "refused", "message": str(error), "counts": {}}
    except BulkContactsError as error:
        return {"index": task.index, "status": "interrupted", "message": str(error), "counts": {}}
