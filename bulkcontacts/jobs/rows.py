"""A file's rows through the mapping, batch by batch: what ``run`` sends and what a dry run counts.

Both go the same way: ``FastPath`` decides column-wise which rows the mapper certainly accepts (and their
phones); the mapper maps only the others, one by one; the duplicate check runs over the accepted phones in
file order. A run then builds the payloads of the rows it sends; a dry run builds none. Every function here
blocks: the jobs run them in a worker thread.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import polars as pl

from bulkcontacts.config.jobs import ImportJob
from bulkcontacts.config.sinks import RestSink
from bulkcontacts.contacts.columnar import FastPath
from bulkcontacts.contacts.duplicates import DuplicatePhones, RepeatCheck, repeated
from bulkcontacts.contacts.mapping import ContactMapper, Rejection
from bulkcontacts.contacts.payloads import ColumnPayloads
from bulkcontacts.contacts.templates import check_body
from bulkcontacts.io.readers import Batch, FileReader

Mapped = dict[str, Any] | Rejection
TALLY_ROWS = 50_000  # rows counted per column-wise pass (a pass has a fixed cost of a few milliseconds)
MappedBatch = tuple[Batch, list[Mapped]]  # a batch and its rows' payloads or Rejections, in order


def mapped_batches(
    reader: FileReader, mapper: ContactMapper, duplicates: RepeatCheck | None, start: int
) -> Iterator[MappedBatch]:
    """Each batch from row ``start`` on, with a payload or Rejection per row (row ``batch.first + i`` is the
    ``i``th). A row's source dict is made only where the per-row mapper maps it or it is asked for
    (``batch.row``): rows built column-wise and sent are never made into one."""
    fast, built = FastPath(mapper), ColumnPayloads(mapper)
    for batch in reader.frames(start):
        frame = batch.frame
        phones = _phones(fast, batch, frame)
        payloads = built.build(frame, phones) if frame is not None else [None] * batch.height
        outcomes = cast(list[Mapped | None], payloads)  # a new list: the mapper's outcomes are put in it
        left = [position for position, outcome in enumerate(outcomes) if outcome is None]
        if left:  # the rows the column-wise path did not build: the mapper maps them, one by one
            _make_rows(batch, left)
            decided = phones.gather(left).to_list()
            for position, phone in zip(left, decided, strict=True):
                row = batch.first + position
                outcomes[position] = mapper.map(batch.row(row), phone, row)
        mapped = cast(list[Mapped], outcomes)
        if duplicates is not None:
            made = set(left)
            repeats = duplicates.reject_repeats(mapped, batch.first)
            _make_rows(batch, [at for at in repeats if at not in made])  # for rejected.csv
        yield batch, mapped


def _make_rows(batch: Batch, positions: list[int]) -> None:
    """Make the dicts of these rows of the batch in one go (all of them, where they are most)."""
    if len(positions) * 2 > batch.height:
        batch.rows()
    elif positions:
        batch.rows_at(positions)


@dataclass
class Tally:
    """What the rows come to, by reason, with the first reason text of each kind."""

    rows: int = 0
    to_send: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    first_rows: dict[str, int] = field(default_factory=dict)  # where each kind of rejection first came
    repeat_rows: list[Any] | None = None  # given a list: the rows of each batch that repeat a phone, kept

    def reject(self, rejection: Rejection, row: int, times: int = 1) -> None:
        self.rejected[rejection.code] += times
        if rejection.code not in self.first_rows or row < self.first_rows[rejection.code]:
            self.first_rows[rejection.code] = row
            self.examples[rejection.code] = rejection.reason

    def by_first_row(self) -> dict[str, int]:
        """The counts in the order each kind first came in the file (as a row-by-row pass meets them)."""
        return {code: self.rejected[code] for code in sorted(self.rejected, key=self.first_rows.__getitem__)}


def tally_batches(
    reader: FileReader, mapper: ContactMapper, duplicates: DuplicatePhones | None, tally: Tally
) -> Iterator[int]:
    """Count every row's outcome into ``tally``, batch by batch (yielding each batch's size), building no
    payload. Rows the column-wise path certainly accepts or refuses are counted from its columns; the
    per-row mapper maps the others, and gives the reason text of the first refused row of each kind."""
    fast = FastPath(mapper)
    for batch in reader.frames(at_least=TALLY_ROWS):
        phones, codes = _outcomes(fast, batch)
        counted = _count_refused(codes, batch, mapper, tally)
        undecided = (phones.is_null() & codes.is_null() if counted else phones.is_null()).to_numpy()
        positions = np.flatnonzero(phones.is_not_null().to_numpy())
        numbers = phones.fill_null(0).to_numpy()[positions]
        accepted: list[tuple[int, int]] = []  # rows the mapper accepted one by one: (position, phone)
        slow = np.flatnonzero(undecided).tolist()
        for position, row in zip(slow, batch.rows_at(slow), strict=True):
            outcome = mapper.map(row, at=batch.first + position)
            if isinstance(outcome, Rejection):
                tally.reject(outcome, batch.first + position)
            else:
                accepted.append((position, outcome["phone_number"]))
        if accepted:
            positions = np.concatenate([positions, np.array([position for position, _ in accepted])])
            numbers = np.concatenate([numbers, np.array([phone for _, phone in accepted], dtype=np.int64)])
            order = np.argsort(positions, kind="stable")
            positions, numbers = positions[order], numbers[order]
        _count_sent(numbers, positions + batch.first, duplicates, tally)
        tally.rows += batch.height
        yield batch.height


def _count_refused(codes: pl.Series, batch: Batch, mapper: ContactMapper, tally: Tally) -> bool:
    """Count the rows the column-wise path refused, by code, the per-row mapper wording the first of each
    kind. False, counting nothing, where the mapper words one otherwise (a bug the property tests hunt for):
    the batch's undecided rows are then the per-row mapper's alone."""
    refused = pl.DataFrame({"code": codes}).with_row_index("at").drop_nulls("code")
    worded = []
    for code, first, count in refused.group_by("code").agg(pl.col("at").min(), pl.len()).iter_rows():
        outcome = mapper.map(batch.rows_at([first])[0])
        if not isinstance(outcome, Rejection) or outcome.code != code:
            return False
        worded.append((outcome, batch.first + first, count))
    for outcome, row, count in worded:
        tally.reject(outcome, row, count)
    return True


def _count_sent(numbers: Any, rows: Any, duplicates: DuplicatePhones | None, tally: Tally) -> None:
    """The accepted phones of a batch (and their rows), in file order: each sent, unless it repeats an
    earlier one."""
    if duplicates is None or not len(numbers):
        tally.to_send += len(numbers)
        return
    first = duplicates.first_seen(numbers.astype(np.uint64))
    tally.to_send += int(first.sum())
    repeats = np.flatnonzero(~first)
    if tally.repeat_rows is not None:
        tally.repeat_rows.append(rows[repeats])
    if len(repeats):
        tally.reject(repeated(int(numbers[repeats[0]])), int(rows[repeats[0]]), len(repeats))


def repeat_rows(reader: FileReader, mapper: ContactMapper) -> Any:
    """The rows whose phone an earlier row has (those the duplicate check rejects), sorted: one column-wise
    pass over the whole file, as a dry run's (a sharded import's driver's, so no shard reads the rows before
    its own)."""
    tally = Tally(repeat_rows=[])
    for _ in tally_batches(reader, mapper, DuplicatePhones(reader.count_rows()), tally):
        pass
    return np.sort(np.concatenate(tally.repeat_rows)) if tally.repeat_rows else np.zeros(0, dtype=np.int64)


def _phones(fast: FastPath, batch: Batch, frame: pl.DataFrame | None) -> pl.Series:
    """Each row's phone where the column-wise path decided the row, null where the mapper must."""
    return _outcomes(fast, batch, frame)[0]


def _outcomes(fast: FastPath, batch: Batch, frame: pl.DataFrame | None = None) -> tuple[pl.Series, pl.Series]:
    """Each row's phone where the column-wise path accepted it, its reason code where it refused it
    (``frame``: the batch's, when the caller has it already)."""
    frame = frame if frame is not None else batch.frame
    if frame is None:
        return pl.Series([None] * batch.height, dtype=pl.Int64), pl.Series([None] * batch.height, dtype=pl.String)
    decided = fast.outcomes(frame, batch.first)
    return decided["phone"], decided["code"]


def mapper_for(spec: ImportJob, columns: list[str]) -> ContactMapper:
    """The job's mapper over the source's columns; a REST sink's body template checked against its fields."""
    mapper = ContactMapper(spec.mapping, columns, spec.sink.integration_id, spec.source.preset)
    if isinstance(spec.sink, RestSink):
        check_body(spec.sink, [name for _, name, _ in mapper.attributes])
    return mapper
