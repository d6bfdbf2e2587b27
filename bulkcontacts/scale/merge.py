"""The job's own outcome files and summary from its shards', as a one-process run writes them: ``created.csv``
and ``rejected.csv`` with the rows in order (each shard's rows sorted, the shards in order), ``summary.json``
with the counts summed and every shard's state beside them."""

from __future__ import annotations

import csv
import io
import time
from collections import Counter
from pathlib import Path
from typing import Any, BinaryIO

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from bulkcontacts.config.jobs import ImportJob
from bulkcontacts.contacts.phones import Ambiguities
from bulkcontacts.io.ranges import ByteRange
from bulkcontacts.jobs.results import RunResult, write_summary
from bulkcontacts.scale.plan import ShardPlan
from bulkcontacts.state.atomic import replaced_on_success
from bulkcontacts.state.checkpoint import Progress, StateDir

OUTCOME_FILES = ("created.csv", "rejected.csv")
CHUNK_BYTES = 1 << 20


BUCKET_ROWS = 2_000_000  # a shard's rows sorted in memory at once; a longer shard is sorted a range at a time


def _header(path: Path, length: int) -> list[str] | None:
    with io.TextIOWrapper(io.BufferedReader(ByteRange(path, 0, length)), encoding="utf-8", newline="") as text:
        return next(csv.reader(text), None)


def _records(path: Path, length: int, header: list[str], rows: tuple[int, int]) -> pl.DataFrame:
    """The committed records whose row is in [start, end), sorted by row; every cell kept as the text it is."""
    types = {name: pa.string() for name in header}
    reader = pa_csv.open_csv(
        io.BufferedReader(ByteRange(path, 0, length), CHUNK_BYTES),
        read_options=pa_csv.ReadOptions(block_size=CHUNK_BYTES),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        # An empty cell read as null is written back empty (an empty string would be written as "").
        convert_options=pa_csv.ConvertOptions(
            column_types=types, null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=True
        ),
    )
    kept = []
    for batch in reader:
        row = pc.cast(batch.column(0), pa.int64())
        kept.append(batch.filter(pc.and_(pc.greater_equal(row, rows[0]), pc.less(row, rows[1]))))
    table = pa.Table.from_batches(kept, reader.schema).rename_columns([f"c{i}" for i in range(len(header))])
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame.sort(pl.col("c0").cast(pl.Int64))


def _write_shard(out: BinaryIO, path: Path, length: int, span: tuple[int, int], header_needed: bool) -> bool:
    """Append one shard's committed records, sorted by row, a range of ``BUCKET_ROWS`` rows at a time (the
    shard's rows are its span's, each at most once a file); whether a header was written."""
    header = _header(path, length)
    if header is None:
        return False
    if header_needed:
        text = io.StringIO(newline="")
        csv.writer(text).writerow(header)
        out.write(text.getvalue().encode())
    for low in range(span[0], span[1], BUCKET_ROWS):
        records = _records(path, length, header, (low, min(low + BUCKET_ROWS, span[1])))
        # As Python's csv.writer writes them (quoted where needed, CRLF): the same bytes the shard wrote.
        records.write_csv(out, include_header=False, line_terminator="\r\n", quote_style="necessary")
    return header_needed


def merge_outcomes(plan: ShardPlan, root: Path) -> dict[str, str]:
    """Write the job's outcome files from the shards': each shard's rows sorted column-wise (a bounded range
    of rows at a time), the shards in order."""
    files = {}
    for name in OUTCOME_FILES:
        target = root / name
        with replaced_on_success(target) as temporary, open(temporary, "wb") as out:
            header_written = False
            for index, span in enumerate(plan.spans):
                shard = StateDir(plan.shard_path(root, index))
                progress = shard.load()
                if progress is not None:
                    length = progress.offsets.get(name, 0)
                    header_written |= _write_shard(out, shard.file(name), length, span, not header_written)
        files[name.removesuffix(".csv")] = str(target)
    return files


DERIVED = ("total_rows", "in_doubt_decided_without_lookup")  # counts a summary adds, not a checkpoint's


def merged_checkpoint(root: Path, plan: ShardPlan, counts: dict[str, int], spec: ImportJob) -> None:
    """The job's own checkpoint once its shards are merged, as a finished one-process run leaves it: a run
    without --workers then finds the job complete, and --retry-rejected sends its rejected rows again."""
    state = StateDir(root)
    progress = Progress(
        kind="import",
        source_fingerprint=plan.source_fingerprint,
        shape_fingerprint=spec.mapping_fingerprint(),
        low_water=plan.total_rows,
        sent_upto=plan.total_rows,
        counts={key: value for key, value in counts.items() if key not in DERIVED},
        offsets={name: state.file(name).stat().st_size for name in OUTCOME_FILES},
        total=plan.total_rows,
        finished=True,
        against_emulator=spec.against_emulator,
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


def shard_ambiguities(results: list[dict[str, Any]]) -> Ambiguities:
    """The shards' ambiguous phones as one count, with the first shard's example."""
    found = [result.get("ambiguous_phones") or {} for result in results]
    examples = [shard["example"] for shard in found if shard.get("example")]
    return Ambiguities(sum(int(shard.get("rows", 0)) for shard in found), examples[0] if examples else None)


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
        ambiguous=shard_ambiguities(results),
    )  # fmt: skip
    write_summary(state, result)
    return result
