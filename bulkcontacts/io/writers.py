"""Export output: the part files (``state/parts.py``) assembled into the final CSV/Parquet/JSONL.

Assembly takes the parts in page order and drops records whose provider id was already written (offset
paging over a changing account can show a record twice): Polars reads only the ids, column-wise, to decide
which records stay. JSONL is then the kept lines copied as they are; Parquet is written by Polars'
streaming sink; CSV (and any file with the shared columns) is written row by row from the kept records. The
final file appears under a temporary name, renamed into place only when complete.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pa_parquet

from bulkcontacts.config.sinks import FileSink
from bulkcontacts.io.channel import LINE
from bulkcontacts.state.atomic import replaced_on_success
from bulkcontacts.state.parts import PartStore
from bulkcontacts.text import csv_cell

PARQUET_BATCH = 5_000
KEY_FILES = 500  # keys files read into one frame at a time


@dataclass
class Assembled:
    records: int
    duplicates: int
    path: Path
    newest_update: str | None  # the high-water mark for an incremental run


def assemble(
    parts: PartStore,
    pages: int,
    sink: FileSink,
    *,
    id_field: str,
    updated_field: str,
    normalize: Callable[[dict[str, Any]], dict[str, Any]] | None,
) -> Assembled:
    """Write the final file from pages 0..pages-1, in order, each provider id once."""
    files = [parts.path(index) for index in range(pages)]
    kept = _first_of_each_id(parts, pages, id_field, updated_field)
    target = sink.path
    target.parent.mkdir(parents=True, exist_ok=True)
    with replaced_on_success(target) as temporary:
        if sink.file_format == "jsonl" and normalize is None:
            _copy_lines(files, kept.mask, temporary)  # the records exactly as the provider sent them
        elif sink.file_format == "parquet" and normalize is None and _sink_parquet(files, kept, temporary):
            pass
        else:
            writer = {"jsonl": _write_jsonl, "csv": _write_csv, "parquet": _write_parquet}[sink.file_format]
            writer(temporary, lambda: _records(files, kept.mask, normalize), sink)
    return Assembled(kept.records, kept.duplicates, target, kept.newest)


@dataclass
class Kept:
    """Which records of the parts, in page order, are the first with their id."""

    mask: npt.NDArray[np.bool_]
    records: int
    duplicates: int
    newest: str | None


def _lines(files: list[Path]) -> pl.LazyFrame:
    """Every record of the parts as its JSON text, one row a line (JSON never holds the separator raw)."""
    return pl.scan_csv(
        files, has_header=False, separator=LINE, quote_char=None, schema={"doc": pl.String}, raise_if_empty=False
    )


def _first_of_each_id(parts: PartStore, pages: int, id_field: str, updated_field: str) -> Kept:
    """Each id's first record is kept (an id missing everywhere counts as one, as ``str(None)``), and the
    newest update among the kept ones is the next incremental mark: decided column-wise over the ids alone,
    from the keys written beside each part (or from the records, for parts written without them)."""
    if not pages:
        return Kept(np.zeros(0, dtype=bool), 0, 0, None)
    keys = _keys(parts, pages, id_field, updated_field).with_columns(first=pl.col("key").is_first_distinct())
    mask = keys["first"].to_numpy()
    newest = keys.filter(pl.col("first"))["updated"].max()
    records = int(mask.sum())
    return Kept(mask, records, len(mask) - records, None if newest is None else str(json.loads(str(newest))))


def _keys(parts: PartStore, pages: int, id_field: str, updated_field: str) -> pl.DataFrame:
    """(key, updated) of every record in page order; ``updated`` a JSON string or null."""
    files = [parts.keys_path(index) for index in range(pages)]
    if all(path.exists() for path in files):
        # Many small files: Python reads them faster than a scan opens them; a few hundred at a time, so
        # that no more than that many lines are ever Python strings at once.
        chunks = [_split_keys(files[start : start + KEY_FILES]) for start in range(0, len(files), KEY_FILES)]
        return pl.concat(chunks)
    doc = pl.col("doc")  # parts from before keys were written beside them
    return (
        _lines([parts.path(index) for index in range(pages)])
        .select(
            key=doc.str.json_path_match(f"$.{id_field}").fill_null("None"),
            updated=pl.concat_str(pl.lit('"'), doc.str.json_path_match(f"$.{updated_field}"), pl.lit('"')),
        )
        .collect()
    )


def _split_keys(files: list[Path]) -> pl.DataFrame:
    lines = [line for path in files for line in path.read_text(encoding="utf-8").splitlines()]
    split = pl.DataFrame({"line": lines}, schema={"line": pl.String}).select(
        parts=pl.col("line").str.split_exact("\t", 1)
    )
    updated = pl.col("parts").struct.field("field_1")
    return split.select(key=pl.col("parts").struct.field("field_0"), updated=pl.when(updated != "").then(updated))


def _copy_lines(files: list[Path], mask: npt.NDArray[np.bool_], target: Path) -> None:
    at = 0
    with open(target, "wb") as out:
        for path in files:
            with open(path, "rb") as part:
                for line in part:
                    if mask[at]:
                        out.write(line)
                    at += 1


def _sink_parquet(files: list[Path], kept: Kept, target: Path) -> bool:
    """Polars reads the parts and writes Parquet streaming, types unified over every record (nested values
    stay structured). False when Polars cannot type the records (the Python writer then does it)."""
    if not kept.records:
        return False
    records = pl.scan_ndjson(files, infer_schema_length=None)
    if kept.duplicates:
        keep = pl.Series(np.flatnonzero(kept.mask), dtype=pl.UInt32)
        records = records.with_row_index("__row").filter(pl.col("__row").is_in(keep)).drop("__row")
    # Polars writes in a folder of its own: when it gives up, its writer may still (re)open the file it was
    # writing (seen: the Python writer's Parquet corrupt in 38 of 150 tries when they shared it), and once
    # the folder is gone such a late write has nowhere to land.
    scratch = Path(tempfile.mkdtemp(dir=target.parent, prefix=".polars-"))
    try:
        records.sink_parquet(scratch / "out.parquet")
        os.replace(scratch / "out.parquet", target)
        return True
    except pl.exceptions.PolarsError:
        return False
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _records(
    files: list[Path], mask: npt.NDArray[np.bool_], normalize: Callable[[dict[str, Any]], dict[str, Any]] | None
) -> Iterator[dict[str, Any]]:
    """The kept records in page order (parsed only when kept), with the shared columns when asked."""
    at = 0
    for path in files:
        with open(path, encoding="utf-8") as part:
            for line in part:
                if mask[at]:
                    record = json.loads(line)
                    yield _with_shared(normalize(record), record) if normalize else record
                at += 1


def _with_shared(shared: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """Shared columns first; a provider field of the same name that differs is kept as ``source_<name>``."""
    merged = dict(shared)
    for key, value in record.items():
        if key not in shared:
            merged[key] = value
        elif value is not None and value != shared[key]:
            merged[f"source_{key}"] = value
    return merged


def _write_jsonl(path: Path, records: Callable[[], Iterator[dict[str, Any]]], _: FileSink) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for record in records():
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def _columns(records: Iterator[dict[str, Any]]) -> list[str]:
    names: dict[str, None] = {}
    for record in records:
        names.update(dict.fromkeys(record))
    return list(names)


def _write_csv(path: Path, records: Callable[[], Iterator[dict[str, Any]]], sink: FileSink) -> None:
    names = _columns(records())
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(names)
        for record in records():
            writer.writerow([csv_cell(record.get(name), sink.neutralize_formulas) for name in names])


def _batches(records: Iterator[dict[str, Any]], names: list[str] | None) -> Iterator[list[dict[str, Any]]]:
    """Records in batches, each row with every column of ``names`` (None: the batch's own columns)."""
    batch: list[dict[str, Any]] = []

    def filled() -> list[dict[str, Any]]:
        columns = names if names is not None else _columns(iter(batch))
        return [{name: row.get(name) for name in columns} for row in batch]

    for record in records:
        batch.append(record)
        if len(batch) >= PARQUET_BATCH:
            yield filled()
            batch = []
    if batch:
        yield filled()


def _write_parquet(path: Path, records: Callable[[], Iterator[dict[str, Any]]], _: FileSink) -> None:
    """Nested values stay structured. Two passes keep memory flat: the schema is the union of every
    batch's (types promoted), then the batches are written with it."""
    schemas = [pa.Table.from_pylist(batch).schema for batch in _batches(records(), None)]
    schema = pa.unify_schemas(schemas, promote_options="permissive") if schemas else pa.schema([])
    with pa_parquet.ParquetWriter(path, schema) as writer:
        for batch in _batches(records(), schema.names):
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
