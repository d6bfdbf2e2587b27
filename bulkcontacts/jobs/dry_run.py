"""``run --dry-run`` of an import: every row read, checked and mapped exactly as ``run`` would, nothing sent,
nothing written. It loads no HTTP code: a dry run of a big file starts at once."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from bulkcontacts.config.jobs import ImportJob
from bulkcontacts.contacts.duplicates import DuplicatePhones
from bulkcontacts.io.readers import FileReader
from bulkcontacts.jobs.driving import prefetched
from bulkcontacts.jobs.rows import Tally, mapper_for, tally_batches


@dataclass
class DryRunReport:
    """What a real run would do: rows to send, rows rejected (by reason), and how long it would take."""

    rows: int = 0
    to_send: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    examples: dict[str, str] = field(default_factory=dict)  # one reason text per rejection code
    per_second: float = 1.0
    elapsed: float = 0.0
    fetched: int | None = None  # a migration's dry run: records fetched (and kept for the run)
    fetch_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # what the user should know of the data (ambiguous phones)

    @property
    def estimate_seconds(self) -> float:
        return self.to_send / self.per_second


async def dry_run_import(spec: ImportJob) -> DryRunReport:
    """Read, map and validate every row exactly as ``run`` would; send nothing, write nothing."""
    started = time.monotonic()
    report = DryRunReport(per_second=spec.run.rate * (1 - spec.run.rate_headroom))
    reader = await asyncio.to_thread(FileReader, spec.source)  # it opens and sniffs the file
    mapper = mapper_for(spec, await asyncio.to_thread(reader.columns))
    # The structure is checked as the rows are mapped (a run checks it all before sending anything).
    rows = await asyncio.to_thread(reader.rows_at_most)
    duplicates = DuplicatePhones(rows) if spec.mapping.reject_duplicate_phones else None
    tally = Tally()
    async for _ in prefetched(tally_batches(reader, mapper, duplicates, tally)):
        pass
    report.rows, report.to_send = tally.rows, tally.to_send
    report.rejected, report.examples = tally.by_first_row(), tally.examples
    report.notes = mapper.ambiguous.notes()
    report.elapsed = time.monotonic() - started
    return report
