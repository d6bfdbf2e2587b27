"""The job's own outcome files and summary from its shards', as a one-process run writes them: ``created.csv``
and ``rejected.csv`` with the rows in order (each shard's rows sorted, the shards in order), ``summary.json``
with the counts summed and every shard's state beside them."""

from __future__ import annotations

import csv
import io
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bulkcontacts.jobs.common import RunResult, write_summary
from bulkcontacts.scale.plan import ShardPlan
from bulkcontacts.state.atomic import replaced_on_success
from bulkcontacts.state.checkpoint import Progress, StateDir

OUTCOME_FILES = ("created.csv", "rejected.csv")


def _records(path: Path, length: int) -> tuple[list[str], list[list[str]]]:
    """The header and the committed records of one shard's outcome file."""
    with open(path, "rb") as handle:
        text = handle.read(length).decode("utf-8")
    records = list(csv.reader(io.StringIO(text, newline="")))
    return (records[0], records[1:]) if records else ([], [])


def merge_outcomes(plan: ShardPlan, root: Path) -> dict[str, str]:
    """Write the job's outcome files from the shards' (one shard in memory at a time)."""
    files = {}
    for name in OUTCOME_FILES:
        target = root / name
        with replaced_on_success(target) as temporary, open(temporary, "w", encoding="utf-8", newline="") as out:
            writer, header_written = csv.writer(out), False
            for index in range(plan.count):
                shard = StateDir(plan.shard_path(root, index))
                progress = shard.load()
                if progress is None:
                    continue
                header, records = _records(shard.file(name), progress.offsets.get(name, 0))
                if header and not header_written:
                    writer.writerow(header)
                    header_written = True
                records.sort(key=lambda record: int(record[0]))
                writer.writerows(records)
        files[name.removesuffix(".csv")] = str(target)
    return files


DERIVED = ("total_rows", "in_doubt_decided_without_lookup")  # counts a summary adds, not a checkpoint's


def merged_checkpoint(root: Path, plan: ShardPlan, counts: dict[str, int], shape_fingerprint: str) -> None:
    """The job's own checkpoint once its shards are merged, as a finished one-process run leaves it: a run
    without --workers then finds the job complete, and --retry-rejected sends its rejected rows again."""
    state = StateDir(root)
    progress = Progress(
        kind="import",
        source_fingerprint=plan.source_fingerprint,
        shape_fingerprint=shape_fingerprint,
        low_water=plan.total_rows,
        sent_upto=plan.total_rows,
        counts={key: value for key, value in counts.items() if key not in DERIVED},
        offsets={name: state.file(name).stat().st_size for name in OUTCOME_FILES},
        total=plan.total_rows,
        finished=True,
    )
    for index in range(plan.count):
        shard = StateDir(plan.shard_path(root, index)).load()
        for key, example in (shard.extra.get("examples", {}) if shard else {}).items():
            progress.extra.setdefault("examples", {}).setdefault(key, example)
    state.save(progress)


def shard_counts(results: list[dict[str, Any]]) -> dict[str, int]:
    """The shards' counts summed (``total_rows`` included: the shards cover the file)."""
    summed: Counter[str] = Counter()
    for result in results:
        summed.update({key: int(value) for key, value in result.get("counts", {}).items()})
    return dict(sorted(summed.items()))


def shard_stats(results: list[dict[str, Any]]) -> dict[str, int]:
    summed: Counter[str] = Counter()
    for result in results:
        summed.update({key: int(value) for key, value in result.get("stats", {}).items()})
    return dict(summed)


def sharded_result(
    job: str,
    root: Path,
    results: list[dict[str, Any]],
    counts: dict[str, int],
    files: dict[str, str],
    complete_message: str,
    started: float,
) -> RunResult:
    """The job's result from its shards' (complete only when every shard is), written to ``summary.json``."""
    statuses = {result.get("status") for result in results}
    status = "complete" if statuses == {"complete"} else "refused" if "refused" in statuses else "interrupted"
    message = complete_message
    if status != "complete":
        stopped = [f"shard {r['index']}: {r.get('message')}" for r in results if r.get("status") != "complete"]
        message = "; ".join(stopped[:3]) + (f" (and {len(stopped) - 3} more)" if len(stopped) > 3 else "")
    state = StateDir(root)
    result = RunResult(
        job=job, status=status, message=message, counts=counts, state_dir=root,
        files={**files, "summary": str(state.file("summary.json"))}, elapsed=time.monotonic() - started,
        done_this_run=sum(int(r.get("done_this_run", 0)) for r in results), stats=shard_stats(results),
        send_seconds=max((float(r.get("send_seconds") or 0) for r in results), default=0.0),
        fetch_seconds=max((float(r.get("fetch_seconds") or 0) for r in results), default=0.0) or None,
        shards=[{k: r.get(k) for k in ("index", "status", "message", "counts", "done_this_run")} for r in results],
    )  # fmt: skip
    write_summary(state, result)
    return result
