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
from typing import Any

import numpy as np
import polars as pl

from bulkcontacts.contacts.columnar import FastPath
from bulkcontacts.contacts.duplicates import DuplicatePhones, repeated
from bulkcontacts.contacts.mapping import ContactMapper, Rejection
from bulkcontacts.io.readers import Batch, FileReader

Mapped = dict[str, Any] | Rejection
MappedRow = tuple[int, dict[str, Any], Mapped]  # (row, source row, payload or why not)


def mapped_batches(
    reader: FileReader, mapper: ContactMapper, duplicates: DuplicatePhones | None, start: int
) -> Iterator[list[MappedRow]]:
    """(row, source row, payload or Rejection) per row, from row ``start`` on."""
    fast = FastPath(mapper)
    for batch in reader.frames(start):
        phones = _phones(fast, batch).to_list()
        mapped = [
            (batch.first + offset, row, mapper.map(row, phone))
            for offset, (row, phone) in enumerate(zip(batch.rows(), phones, strict=True))
        ]
        if duplicates is not None:
            mapped = [(row, source, duplicates.check(outcome)) for row, source, outcome in mapped]
        yield mapped


@dataclass
class Tally:
    """What the rows come to, by reason, with the first reason text of each kind."""

    rows: int = 0
    to_send: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    def reject(self, rejection: Rejection, times: int = 1) -> None:
        self.rejected[rejection.code] += times
        self.examples.setdefault(rejection.code, rejection.reason)


def tally_batches(
    reader: FileReader, mapper: ContactMapper, duplicates: DuplicatePhones | None, tally: Tally
) -> Iterator[int]:
    """Count every row's outcome into ``tally``, batch by batch (yielding each batch's size), building no
    payload."""
    fast = FastPath(mapper)
    for batch in reader.frames():
        phones = _phones(fast, batch)
        slow = phones.is_null().arg_true().to_list()
        accepted: list[tuple[int, int]] = []  # rows the mapper accepted one by one: (position, phone)
        positions, numbers = phones.is_not_null().arg_true().to_numpy(), phones.drop_nulls().to_numpy()
        for position, row in zip(slow, batch.rows_at(slow), strict=True):
            outcome = mapper.map(row)
            if isinstance(outcome, Rejection):
                tally.reject(outcome)
            else:
                accepted.append((position, outcome["phone_number"]))
        if accepted:
            positions = np.concatenate([positions, np.array([position for position, _ in accepted])])
            numbers = np.concatenate([numbers, np.array([phone for _, phone in accepted], dtype=np.int64)])
            order = np.argsort(positions, kind="stable")
            numbers = numbers[order]
        _count_sent(numbers, duplicates, tally)
        tally.rows += batch.height
        yield batch.height


def _count_sent(numbers: Any, duplicates: DuplicatePhones | None, tally: Tally) -> None:
    """The accepted phones of a batch, in file order: each sent, unless it repeats an earlier one."""
    if duplicates is None or not len(numbers):
        tally.to_send += len(numbers)
        return
    first = duplicates.first_seen(numbers.astype(np.uint64))
    tally.to_send += int(first.sum())
    repeats = numbers[~first]
    if len(repeats):
        tally.reject(repeated(int(repeats[0])), len(repeats))


def _phones(fast: FastPath, batch: Batch) -> pl.Series:
    """Each row's phone where the column-wise path decided the row, null where the mapper must."""
    frame = batch.frame
    return pl.Series("phone", [None] * batch.height, dtype=pl.Int64) if frame is None else fast.phones(frame)
