"""A migration's staged rows: the fetched records, flattened by their provider, as one JSONL file whose
every row has every column (so the import reads its columns from the first line)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bulkcontacts.config.sources import FileSource
from bulkcontacts.io.readers import FileReader
from bulkcontacts.state.atomic import replaced_on_success

Flatten = Callable[[dict[str, Any]], dict[str, Any]]


def stage_rows(records: Path, rows: Path, flatten: Flatten) -> int:
    """Write the records as flat rows, atomically (a crash leaves the whole file or none); the row count."""
    reader = FileReader(FileSource(type="file", path=records, format="jsonl"))
    columns = dict.fromkeys(name for record in _flat(reader, flatten) for name in record)
    count = 0
    with replaced_on_success(rows) as temporary, open(temporary, "w", encoding="utf-8") as out:
        for row in _flat(reader, flatten):
            out.write(json.dumps({name: row.get(name) for name in columns}, ensure_ascii=False) + "\n")
            count += 1
    return count


def staged_columns(rows: Path) -> list[str]:
    """The columns of a staging file (every row has them all)."""
    with open(rows, encoding="utf-8") as handle:
        first = handle.readline()
    return list(json.loads(first)) if first.strip() else []


def _flat(reader: FileReader, flatten: Flatten) -> Iterator[dict[str, Any]]:
    for _, records in reader.batches():
        yield from map(flatten, records)
