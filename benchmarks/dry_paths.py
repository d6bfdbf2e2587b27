"""``python -m benchmarks.dry_paths {rows,columns} FILE``: the dry run's read, structure check, mapping and
duplicate check over FILE, by the per-row path or by the column-wise one, in this process; prints seconds and
the counts by reason as JSON.

Both paths are the CURRENT code's (``per_row`` is the release's shape, not the release): the dry-run-speed case
no longer uses this module; it runs release 0.2 itself (``cases.release_tree``) through its own CLI."""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path

from bulkcontacts.config.mapping import MappingSpec
from bulkcontacts.config.sources import FileSource
from bulkcontacts.contacts.duplicates import DuplicatePhones
from bulkcontacts.contacts.mapping import ContactMapper, Rejection
from bulkcontacts.io.readers import FileReader
from bulkcontacts.jobs.rows import Tally, tally_batches

MAPPING = MappingSpec(tags={"column": "tags", "separator": ";"})


def per_row(path: Path) -> dict[str, object]:
    """0.2.0's path, in today's code: a Python ``csv`` pass for the structure, then every row as a dict,
    mapped one by one."""
    reader = FileReader(FileSource(type="file", path=path))
    mapper = ContactMapper(MAPPING, reader.columns(), "bench")
    rows = reader._check_csv()  # the structure check the release ran first
    duplicates = DuplicatePhones(rows)
    counts: Counter[str] = Counter()
    for _, batch in reader.batches():
        for row in batch:
            outcome = duplicates.check(mapper.map(row))
            counts[outcome.code if isinstance(outcome, Rejection) else "send"] += 1
    return {"rows": rows, "counts": dict(sorted(counts.items()))}


def column_wise(path: Path) -> dict[str, object]:
    reader = FileReader(FileSource(type="file", path=path))
    mapper = ContactMapper(MAPPING, reader.columns(), "bench")
    rows = reader.rows_at_most()  # as ``run --dry-run`` does: the structure is checked while mapping
    tally = Tally()
    for _ in tally_batches(reader, mapper, DuplicatePhones(rows), tally):
        pass
    counts = {**tally.rejected, "send": tally.to_send}
    return {"rows": tally.rows, "counts": dict(sorted(counts.items()))}


if __name__ == "__main__":
    started = time.perf_counter()
    result = {"rows": per_row, "columns": column_wise}[sys.argv[1]](Path(sys.argv[2]))
    print(json.dumps({**result, "seconds": round(time.perf_counter() - started, 3)}))
