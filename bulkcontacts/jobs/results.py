"""How a run ended: the result every command prints and ``summary.json`` keeps, and the exit codes."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bulkcontacts.config.jobs import JobSpec
from bulkcontacts.contacts.phones import Ambiguities
from bulkcontacts.engine.retry import PoolStats
from bulkcontacts.errors import ADVICE, EXIT_INTERRUPTED, EXIT_OK, EXIT_REFUSED, EXIT_REJECTIONS
from bulkcontacts.state.atomic import StateUnwritable, write_atomic
from bulkcontacts.state.checkpoint import StateDir
from bulkcontacts.state.timeline import job_segments, timeline_figures


@dataclass
class RunResult:
    """How a run ended, for the summary table, ``summary.json`` and the exit code."""

    job: str
    status: str  # "complete" | "interrupted" (run again) | "refused" (change the spec or credentials first)
    message: str  # what happened, with the server's own words where there were some
    counts: dict[str, int]
    state_dir: Path
    files: dict[str, str] = field(default_factory=dict)
    elapsed: float = 0.0
    done_this_run: int = 0
    stats: dict[str, int] = field(default_factory=dict)
    unit: str = "rows"
    fetch_seconds: float | None = None  # exports: time spent fetching pages (without assembling the file)
    send_seconds: float | None = None  # imports: time from the first row handed to the pool to the last outcome
    last_error: str | None = None  # the latest retryable failure of this run, and how often it came in a row
    last_error_count: int = 0
    advice: str | None = None  # what to do now; by default the one for its status
    timeline: dict[str, Any] = field(default_factory=dict)  # figures of every run segment (``timeline_figures``)
    shards: list[dict[str, Any]] | None = None  # a sharded run: each shard's index, status, message and counts
    ambiguous: Ambiguities = field(default_factory=Ambiguities)  # phones "auto" read nationally, valid both ways

    @property
    def notes(self) -> list[str]:
        """What the user should know of the data."""
        return self.ambiguous.notes()

    def __post_init__(self) -> None:
        if self.advice is None:
            self.advice = ADVICE.get(self.status, "")

    @property
    def exit_code(self) -> int:
        if self.status == "interrupted":
            return EXIT_INTERRUPTED
        if self.status == "refused":
            return EXIT_REFUSED
        return EXIT_REJECTIONS if self.counts.get("rejected") else EXIT_OK

    def as_json(self) -> dict[str, Any]:
        return {
            "job": self.job,
            "status": self.status,
            "message": self.message,
            "advice": self.advice,
            "counts": self.counts,
            "fetch_seconds": self.fetch_seconds,
            "send_seconds": self.send_seconds,
            "files": self.files,
            "elapsed_seconds": round(self.elapsed, 3),
            "done_this_run": self.done_this_run,
            "stats": self.stats,
            "last_error": None
            if self.last_error is None
            else {"message": self.last_error, "times_in_a_row": self.last_error_count},
            "accounted_for": self.accounted_for,
            "timeline": self.timeline,
            "notes": self.notes,
            "ambiguous_phones": {"rows": self.ambiguous.rows, "example": self.ambiguous.example},
            **({"shards": self.shards} if self.shards is not None else {}),
            "finished_at": time.time(),
        }

    @property
    def accounted_for(self) -> bool:
        """Finished, and every row is in one outcome file (an export: every page landed)."""
        if self.status != "complete":
            return False
        total = self.counts.get("total_rows")
        return total is None or self.counts.get("created", 0) + self.counts.get("rejected", 0) == total

    def with_pool(self, stats: PoolStats) -> RunResult:
        """This result with the pool's counters and last error."""
        self.stats = pool_stats(stats)
        self.last_error, self.last_error_count = stats.last_error, stats.last_error_count
        return self


def write_summary(state: StateDir, result: RunResult) -> None:
    """End the run's segment of the timeline, then write ``summary.json`` with the timeline's figures."""
    state.timeline.end(result.status, result.message)
    result.timeline = timeline_figures(job_segments(state.path))
    write_atomic(state.file("summary.json"), json.dumps(result.as_json(), indent=2).encode())


def pool_stats(stats: PoolStats) -> dict[str, int]:
    return {
        "attempts": stats.attempts,
        "retries": stats.retries,
        "throttled": stats.throttled,
        "breaker_openings": stats.breaker_openings,
    }


async def finish_run(
    spec: JobSpec,
    state: StateDir,
    stats: PoolStats,
    started: float,
    *,
    status: str,
    message: str,
    counts: dict[str, int],
    files: dict[str, str],
    done_this_run: int,
    **timings: Any,
) -> RunResult:
    """The run's result, with the pool's counters, written to ``summary.json`` (off the event loop)."""
    result = RunResult(
        job=spec.job.name,
        status=status,
        message=message,
        counts=counts,
        state_dir=state.path,
        files=files,
        elapsed=time.monotonic() - started,
        done_this_run=done_this_run,
        **timings,
    ).with_pool(stats)
    try:
        await asyncio.to_thread(write_summary, state, result)
    except OSError as error:  # the checkpoint holds the run; only its summary could not be written
        raise StateUnwritable(state.path, error) from None
    return result
