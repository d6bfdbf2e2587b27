"""Export output: the part files (``state/parts.py``) assembled into the final CSV/Parquet/JSONL.

Assembly reads the parts in page order, drops records whose provider id was already
written (offset paging over a changing account can show a record twice), and writes the final file under a
temporary name, renaming it into place only when complete: never a half-written file under the final name.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pa_parquet

from bulkcontacts.config.sinks import FileSink
from bulkcontacts.state.atomic import replaced_on_success
from bulkcontacts.state.parts import PartStore
from bulkcontacts.text import csv_cell

PARQUET_BATCH = 5_000


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
    stats: dict[str, Any] = {}

    def records() -> Iterator[dict[str, Any]]:
        """One pass over the parts (a writer may make several: the counts are those of the last)."""
        seen: set[str] = set()
        stats.update(records=0, duplicates=0, newest=None)
        for index in range(pages):
            for record in parts.read(index):
                key = str(record.get(id_field))
                if key in seen:
                    stats["duplicates"] += 1
                    continue
                seen.add(key)
                stats["records"] += 1
                updated = record.get(updated_field)
                if isinstance(updated, str) and (stats["newest"] is None or updated > stats["newest"]):
                    stats["newest"] = updated
                yield _with_shared(normalize(record), record) if normalize else record

    writer = {"jsonl": _write_jsonl, "csv": _write_csv, "parquet": _write_parquet}[sink.file_format]
    target = sink.path
    target.parent.mkdir(parents=True, exist_ok=True)
    with replaced_on_success(target) as temporary:
        writer(temporary, records, sink)
    return Assembled(stats["records"], stats["duplicates"], target, stats["newest"])


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
