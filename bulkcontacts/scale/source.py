"""The driver's one pass over a sharded import's file, and what each shard takes from it.

The driver indexes the file (its row count, hash, columns and the byte where each shard's first row
begins) and, when the job rejects repeated phones, finds every row that repeats an earlier row's phone,
column-wise. A shard then reads only its own bytes (Parquet: its own row groups) and needs no row before its
own: N shards read the file about once between them, where each used to read every row before its own.
Both files live beside the plan in ``shards/`` and are written anew by every run of the driver.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from bulkcontacts.config.jobs import ImportJob
from bulkcontacts.io.index import FileIndex
from bulkcontacts.io.readers import FileReader
from bulkcontacts.jobs.imports import RowSpan
from bulkcontacts.jobs.rows import mapper_for, repeat_rows
from bulkcontacts.scale.plan import ShardPlan
from bulkcontacts.state.atomic import replaced_on_success, write_atomic
from bulkcontacts.state.layout import SHARDS_DIR

INDEX = "source-index.json"
REPEATS = "repeats.npy"  # sorted row numbers (int64)


def index_source(spec: ImportJob, reader: FileReader, plan: ShardPlan, root: Path) -> None:
    """Write the shards' files for the plan: the file's index, and its repeated phones' rows."""
    index = reader.index([start for start, _ in plan.spans])
    folder = root / SHARDS_DIR
    write_atomic(folder / INDEX, json.dumps(index.as_json()).encode())
    if not spec.mapping.reject_duplicate_phones:
        (folder / REPEATS).unlink(missing_ok=True)
        return
    repeats = repeat_rows(FileReader(spec.source, index), mapper_for(spec, index.columns))
    with replaced_on_success(folder / REPEATS) as temporary, open(temporary, "wb") as handle:
        np.save(handle, repeats.astype(np.int64))


def shard_rows(root: Path, span: tuple[int, int]) -> RowSpan:
    """A shard's rows with what the driver found (the rows alone where the driver left no index: the shard
    then reads from the first row, as before)."""
    folder = root / SHARDS_DIR
    try:
        index = FileIndex.from_json(json.loads((folder / INDEX).read_text(encoding="utf-8")))
    except FileNotFoundError:
        return RowSpan(*span)
    repeats = None
    if (folder / REPEATS).exists():
        rows = np.load(folder / REPEATS)
        start, end = np.searchsorted(rows, span)
        repeats = frozenset(rows[start:end].tolist())
    return RowSpan(*span, index=index, repeats=repeats)
