"""The import's ledger: ``created.csv``, ``rejected.csv`` and the checkpoint, committed together.

Outcomes are buffered, then a commit appends them to the outcome files, syncs them, and only then saves
the checkpoint with the rows marked done and the files' new lengths. After a crash the next run truncates
each file back to its committed length, so a row is never in the files twice and never marked done
without its line. Before a row is handed to the pool, the checkpoint's ``sent_upto`` lease must cover it:
after a crash, rows under the lease that are not done may have been created (their answer was lost).

The checkpoint counts *units*: the rows themselves, or during a retry of rejected rows (``begin_retry``) the
places in the list of rows being retried, so that its low-water mark stays compact. Lines always carry rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bulkcontacts.errors import UsageError
from bulkcontacts.state.atomic import StateUnwritable, open_private, write_atomic
from bulkcontacts.state.checkpoint import Example, Progress, StateDir
from bulkcontacts.text import csv_cell, shorten

CREATED_HEADER = ["row", "phone_number", "contact_id"]
REJECTED_OUTCOME_COLUMNS = ["row", "reason", "status"]
# One example row per rejection code is kept for the report: the first values of the first row, cut short.
MAX_EXAMPLES, EXAMPLE_VALUES, EXAMPLE_VALUE_CHARS = 50, 8, 60


class OutcomeFile:
    """An append-only CSV file whose committed length lives in the checkpoint."""

    def __init__(self, path: Path, header: list[str]) -> None:
        self.path = path
        self.header = header
        self._handle: Any = None
        self._writer: Any = None

    def open(self, committed_length: int) -> None:
        existing = self.path.stat().st_size if self.path.exists() else 0
        if existing < committed_length:
            raise UsageError(
                f"{self.path} is shorter than the checkpoint says (was it edited?); "
                "run again with --restart to start over"
            )
        self._handle = open_private(self.path, "a")
        self._handle.truncate(committed_length)
        self._writer = csv.writer(self._handle)
        if committed_length == 0:
            self._writer.writerow(self.header)

    def append(self, lines: Sequence[Sequence[Any]]) -> None:
        self._writer.writerows(lines)

    def sync(self) -> int:
        """Make what was appended durable; return the committed length (the file's size: after a truncation
        the handle's own position may still point past the end)."""
        self._handle.flush()
        os.fsync(self._handle.fileno())
        return os.fstat(self._handle.fileno()).st_size

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


@dataclass
class Outcomes:
    """Row outcomes recorded since the last commit, kept as a commit writes them: the lines of each file, the
    units they settle, their counts by key, and the first line of each rejection code not yet exemplified."""

    created: list[tuple[int, int, str]] = field(default_factory=list)
    rejected: list[list[Any]] = field(default_factory=list)
    units: list[int] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[Any]] = field(default_factory=dict)


class ImportLedger:
    """Buffers row outcomes and commits them, with the checkpoint, atomically from the reader's view."""

    def __init__(
        self,
        state: StateDir,
        progress: Progress,
        source_columns: list[str],
        lease_step: int,
        neutralize_formulas: bool = True,
    ) -> None:
        self.state = state
        self.guard = neutralize_formulas
        self.progress = progress  # mutated only inside commits
        self.lease_step = lease_step
        self.source_columns = source_columns
        rejected_header = REJECTED_OUTCOME_COLUMNS + [
            f"{name}_source" if name in REJECTED_OUTCOME_COLUMNS else name for name in source_columns
        ]
        self.created = OutcomeFile(state.file("created.csv"), CREATED_HEADER)
        self.rejected = OutcomeFile(state.file("rejected.csv"), rejected_header)
        self._pending = Outcomes()
        self._lock = asyncio.Lock()
        self._unwritable: StateUnwritable | None = None  # set by the first commit that could not be written
        self._extending: asyncio.Future[None] | None = None
        self.pending_counts: Counter[str] = Counter()  # of the outcomes recorded and not yet committed

    def open(self) -> None:
        self.created.open(self.progress.offsets.get("created.csv", 0))
        self.rejected.open(self.progress.offsets.get("rejected.csv", 0))

    def close(self) -> None:
        for outcomes in (self.created, self.rejected):
            with contextlib.suppress(OSError):  # a full disk: what is buffered there is not committed anyway
                outcomes.close()

    # -- recording (on the event loop, cheap) ----------------------------------------------------------

    def record_created(self, unit: int, row: int, phone: int, contact_id: str | None, key: str = "created") -> None:
        pending = self._pending
        pending.created.append((row, phone, contact_id or ""))  # a tuple: cheaper, and the collector untracks it
        pending.units.append(unit)
        self.pending_counts["created"] += 1
        if key != "created":
            self.pending_counts[key] += 1

    def record_rejected(
        self, unit: int, row: int, reason: str, status: int | None, code: str, source_row: dict[str, Any]
    ) -> None:
        line = [row, csv_cell(reason, self.guard), status or ""] + [
            csv_cell(source_row.get(name), self.guard) for name in self.source_columns
        ]
        key, pending = f"rejected:{code}", self._pending
        pending.rejected.append(line)
        pending.units.append(unit)
        pending.examples.setdefault(key, line)
        self.pending_counts["rejected"] += 1
        self.pending_counts[key] += 1

    def count(self, key: str) -> int:
        return self.progress.counts.get(key, 0) + self.pending_counts[key]

    def counts(self) -> dict[str, int]:
        """Every count, committed or not yet (``created``, ``rejected``, ``rejected:<code>``, ...)."""
        merged = dict(self.progress.counts)
        for key, value in self.pending_counts.items():
            merged[key] = merged.get(key, 0) + value
        return merged

    # -- committing ------------------------------------------------------------------------------------

    def lease_covers(self, row: int) -> bool:
        """True where ``ensure_lease(row)`` has nothing to do: the lease covers the row and is not yet due to
        be extended (most rows: the caller need not await it)."""
        return row < self.progress.sent_upto - self.lease_step // 2

    async def ensure_lease(self, row: int) -> None:
        """Return once the checkpoint says rows up to ``row`` may be sent. The lease is extended in the
        background half a step ahead, so sending never waits for that commit."""
        if row >= self.progress.sent_upto - self.lease_step // 2 and self._extending is None:
            self._extending = asyncio.ensure_future(self._extend(row + self.lease_step))
        if row >= self.progress.sent_upto and self._extending is not None:
            await asyncio.shield(self._extending)
        if row >= self.progress.sent_upto:  # a jump past the extension (rows skipped on resume)
            await self._commit_pending(row + self.lease_step, finished=False)

    async def _extend(self, lease: int) -> None:
        try:
            await self._commit_pending(lease + self.lease_step // 2, finished=False, unless_covered=lease)
        finally:
            self._extending = None

    async def commit(self, *, finished: bool = False) -> None:
        await self._commit_pending(None, finished)

    async def _commit_pending(self, lease: int | None, finished: bool, unless_covered: int | None = None) -> None:
        """Commit what is buffered, under the lock, to the end even if the caller is cancelled: once the rows
        leave the buffer a thread writes them, and a later commit must wait for it rather than race it."""
        await asyncio.shield(self._commit_locked(lease, finished, unless_covered))

    async def _commit_locked(self, lease: int | None, finished: bool, unless_covered: int | None) -> None:
        async with self._lock:
            if self._unwritable is not None:
                raise self._unwritable  # a failed commit may have left a partial line: no commit after it
            if unless_covered is not None and unless_covered <= self.progress.sent_upto:
                return  # another commit extended the lease past it meanwhile
            pending, self._pending = self._pending, Outcomes()
            pending.counts = +self.pending_counts  # what was recorded until now is what this commit writes
            try:
                await asyncio.to_thread(self._commit, pending, lease, finished)
            except OSError as error:
                # The checkpoint still holds the last commit: a resume truncates the outcome files to it, and
                # the rows of this one, leased as maybe sent, are settled as in doubt (looked up, or assumed).
                self._unwritable = StateUnwritable(self.state.path, error)
                raise self._unwritable from None
            self.pending_counts.subtract(pending.counts)  # now in the checkpoint's counts

    def _example(self, line: list[Any]) -> Example:
        """A rejected row as the report shows it: its number, reason, and its first values (cut short)."""
        values = {
            name: shorten(str(value), EXAMPLE_VALUE_CHARS)
            for name, value in zip(self.source_columns[:EXAMPLE_VALUES], line[3:], strict=False)
        }
        return {"row": int(line[0]), "reason": shorten(str(line[1]), 300), "values": values}

    def _commit(self, pending: Outcomes, lease: int | None, finished: bool = False) -> None:
        if pending.created:
            self.created.append(pending.created)
        if pending.rejected:
            self.rejected.append(pending.rejected)
        progress = self.progress
        progress.offsets = {"created.csv": self.created.sync(), "rejected.csv": self.rejected.sync()}
        progress.mark_all_done(pending.units)
        for key, count in pending.counts.items():
            progress.counts[key] = progress.counts.get(key, 0) + count
        examples = progress.extra.setdefault("examples", {})
        for key, line in pending.examples.items():
            if key not in examples and len(examples) < MAX_EXAMPLES:
                examples[key] = self._example(line)
        if lease is not None:
            progress.sent_upto = max(progress.sent_upto, lease)
        progress.finished = finished
        self.state.save(progress)


RETRY_ROWS = "retry-rows.json"
REJECTED_BEFORE_RETRY = "rejected.before-retry.csv"


def begin_retry(state: StateDir, progress: Progress) -> int:
    """Start a round that sends again every row in ``rejected.csv``: a copy of the file is kept as
    ``rejected.before-retry.csv``, the rows go to ``retry-rows.json``, and the checkpoint now counts places in
    that list, with ``rejected.csv`` emptied to its header. Returns how many rows will be retried."""
    if not state.checkpoint_path.exists():
        raise UsageError(f"nothing to retry: the job has not run yet (no checkpoint in {state.path})")
    if progress.extra.get("retry") and not progress.finished:
        return len(retry_rows(state))  # a retry under way (interrupted): resume it
    if not progress.finished:
        raise UsageError("the last run did not finish; run the job without --retry-rejected to finish it first")
    committed = state.file("rejected.csv").read_bytes()[: progress.offsets.get("rejected.csv", 0)]
    header_length = len(committed.split(b"\n", 1)[0]) + 1 if committed else 0
    lines = list(csv.reader(io.StringIO(committed.decode("utf-8"), newline="")))[1:]
    rows = sorted(int(line[0]) for line in lines if line)
    write_atomic(state.file(REJECTED_BEFORE_RETRY), committed)
    write_atomic(state.file(RETRY_ROWS), json.dumps(rows).encode())
    progress.low_water, progress.done_above, progress.sent_upto = 0, set(), 0
    progress.counts = {key: value for key, value in progress.counts.items() if not key.startswith("rejected")}
    progress.extra.pop("examples", None)
    progress.offsets["rejected.csv"] = header_length
    progress.extra["retry"] = len(rows)
    progress.finished = not rows
    state.save(progress)
    return len(rows)


def retry_rows(state: StateDir) -> list[int]:
    """The rows of the retry round under way, in file order."""
    try:
        return [int(row) for row in json.loads(state.file(RETRY_ROWS).read_text(encoding="utf-8"))]
    except (FileNotFoundError, ValueError):
        raise UsageError(
            f"{state.file(RETRY_ROWS)} is missing or damaged; run again with --retry-rejected to start the retry over"
        ) from None
