"""``python -m benchmarks.assembly {records,columns} FORMAT PARTS PAGES OUT``: an export's assembly from its part
files, by 0.2.0's path (every record parsed, ids kept in a Python set, CSV and Parquet read twice) or by the
column-wise one; prints seconds and counts as JSON."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bulkcontacts.config.sinks import FileSink
from bulkcontacts.io import writers
from bulkcontacts.state.atomic import replaced_on_success
from bulkcontacts.state.parts import PartStore


def per_record(parts: PartStore, pages: int, sink: FileSink) -> dict[str, int]:
    counts = {"records": 0, "duplicates": 0}

    def records() -> Iterator[dict[str, Any]]:
        seen: set[str] = set()
        counts.update(records=0, duplicates=0)
        for index in range(pages):
            with open(parts.path(index), encoding="utf-8") as handle:
                for record in (json.loads(line) for line in handle):
                    key = str(record.get("_id"))
                    if key in seen:
                        counts["duplicates"] += 1
                        continue
                    seen.add(key)
                    counts["records"] += 1
                    yield record

    write = {"jsonl": writers._write_jsonl, "csv": writers._write_csv, "parquet": writers._write_parquet}
    with replaced_on_success(sink.path) as temporary:
        write[sink.file_format](temporary, records, sink)
    return counts


def column_wise(parts: PartStore, pages: int, sink: FileSink) -> dict[str, int]:
    done = writers.assemble(parts, pages, sink, id_field="_id", updated_field="updatedAt", normalize=None)
    return {"records": done.records, "duplicates": done.duplicates}


if __name__ == "__main__":
    path, file_format, folder, pages, out = sys.argv[1:6]
    sink = FileSink(type="file", path=Path(out), format=file_format)  # type: ignore[arg-type]
    started = time.perf_counter()
    counts = {"records": per_record, "columns": column_wise}[path](PartStore(Path(folder)), int(pages), sink)
    print(json.dumps({**counts, "seconds": round(time.perf_counter() - started, 3)}))
