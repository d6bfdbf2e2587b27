"""Phone numbers seen earlier in the file: a repeat is rejected, not sent.

``PhoneSet`` is an exact set in 8 bytes a slot, filled up to 90%: 8.9 bytes a phone (a Python ``set`` of ints
takes ~70), so remembering every number of a 20-million-row file costs 178 MB: open addressing with linear
probing over a numpy array, 0 marking an empty slot (0 is never a valid phone number). ``add_many``
inserts a whole column at once with numpy, in file order, over the same memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt

from bulkcontacts.contacts.mapping import Rejection

SPREAD = 0x9E3779B97F4A7C15  # Fibonacci hashing: consecutive numbers land far apart
WORD = (1 << 64) - 1
LOAD = 0.9  # slots filled at most: 8.9 bytes a phone
Phones = npt.NDArray[np.uint64]
Outcome = dict[str, Any] | Rejection  # a row's payload, or why it is not sent


def slots_for(phones: int) -> int:
    return max(1 << 10, int(phones / LOAD) + 1)


class PhoneSet:
    """Holds up to ``capacity × LOAD`` phones without growing; one more new phone doubles it."""

    def __init__(self, capacity: int = 1 << 16) -> None:
        # Zeroed lazily by the kernel (calloc): no second copy while it is made, pages resident once used.
        self._table: Phones = np.zeros(capacity, dtype=np.uint64)
        self._slots = memoryview(self._table.data)  # the same memory, for quick single look-ups
        self._capacity = capacity
        self._room = int(capacity * LOAD)  # how many phones fit before it must grow
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def add(self, number: int) -> bool:
        """Add ``number``; return False if it was already there."""
        slots, capacity = self._slots, self._capacity
        index = (((number * SPREAD) & WORD) >> 17) % capacity  # as numpy computes it, wrapping at 64 bits
        while True:
            found = slots[index]
            if found == number:
                return False
            if found == 0:
                if self._size >= self._room:  # full: grown only for a phone that is new (sized exactly, never)
                    self._grow()
                    return self.add(number)
                slots[index] = number
                self._size += 1
                return True
            index = index + 1 if index + 1 < capacity else 0

    def add_many(self, numbers: Phones) -> npt.NDArray[np.bool_]:
        """Add the numbers in order; True where a number was not there before (its first occurrence). Added
        in parts that fit, so a table sized for the file's rows never grows (growing doubles it, and its
        copies were the run's peak of memory: +60 MB at its last row, 1,000,000 rows)."""
        new = np.zeros(len(numbers), dtype=bool)
        at = 0
        while at < len(numbers):
            fits = self._room - self._size
            if fits <= 0:
                self._grow()
                continue
            new[at : at + fits] = self._add_fitting(numbers[at : at + fits])
            at += fits
        return new

    def _add_fitting(self, numbers: Phones) -> npt.NDArray[np.bool_]:
        """``add_many`` for at most as many numbers as there is room for."""
        table, capacity = self._table, np.uint64(self._capacity)
        new = np.zeros(len(numbers), dtype=bool)
        _, first = np.unique(numbers, return_index=True)  # a later copy in the batch is a repeat anyway
        pending, values = first, numbers[first]
        index = ((values * np.uint64(SPREAD)) >> np.uint64(17)) % capacity  # wraps at 64 bits, as ``add`` does
        while pending.size:
            held = table[index]
            empty = held == 0
            table[index[empty]] = values[empty]  # where several claim one empty slot, one of them lands
            landed = empty & (table[index] == values)
            new[pending[landed]] = True
            going = ~(landed | (held == values))  # neither placed now nor there before: probe on
            index[going & ~empty] += np.uint64(1)  # a slot held by another number: the next one
            index[index == capacity] = 0
            pending, values, index = pending[going], values[going], index[going]
        self._size += int(new.sum())
        return new

    def _grow(self) -> None:
        old = self._table[self._table != 0].copy()
        self.__init__(self._capacity * 2)  # type: ignore[misc]
        self.add_many(old)


class DuplicatePhones:
    """Remembers phone numbers seen in this run, so a repeat inside the file is rejected, not sent."""

    def __init__(self, expected_rows: int = 0) -> None:
        self._seen = PhoneSet(slots_for(expected_rows))  # sized once: no growing, which would double it

    def check(self, payload: dict[str, Any] | Rejection) -> dict[str, Any] | Rejection:
        """The payload, or why not: its phone came earlier."""
        if isinstance(payload, Rejection):
            return payload
        phone = payload["phone_number"]
        if not self._seen.add(phone):
            return repeated(phone)
        return payload

    def first_seen(self, phones: Phones) -> npt.NDArray[np.bool_]:
        """``check`` for a column of accepted phones in file order: True where a phone is not a repeat."""
        return self._seen.add_many(phones)

    def reject_repeats(self, outcomes: list[Outcome], first_row: int) -> list[int]:  # noqa: ARG002
        """``check`` for consecutive rows' outcomes in file order, at once: each payload whose phone came earlier
        is replaced by its Rejection, in place; their positions. (``first_row`` is not needed: the phones are
        remembered.)"""
        at = [place for place, outcome in enumerate(outcomes) if not isinstance(outcome, Rejection)]
        phones = np.fromiter((outcomes[place]["phone_number"] for place in at), np.uint64, len(at))  # type: ignore[index]
        return _rejected_at(outcomes, [at[repeat] for repeat in np.flatnonzero(~self.first_seen(phones)).tolist()])


class KnownRepeats:
    """``DuplicatePhones``' answers for rows whose repeats a pass over the whole file found beforehand (a
    shard's, found by its driver): no row before them needs to be read, and no phone remembered."""

    def __init__(self, rows: Iterable[int]) -> None:
        self._rows = frozenset(rows)

    def reject_repeats(self, outcomes: list[Outcome], first_row: int) -> list[int]:
        """``DuplicatePhones.reject_repeats`` for these rows (the first is row ``first_row``), from the rows the
        driver found."""
        places = [
            place
            for place, outcome in enumerate(outcomes)
            if first_row + place in self._rows and not isinstance(outcome, Rejection)
        ]
        return _rejected_at(outcomes, places)


RepeatCheck = DuplicatePhones | KnownRepeats


def _rejected_at(outcomes: list[Outcome], places: list[int]) -> list[int]:
    """The payloads at ``places`` (accepted ones) replaced by their repeat's Rejection, in place; the places."""
    for place in places:
        outcomes[place] = repeated(outcomes[place]["phone_number"])  # type: ignore[index]
    return places


def repeated(phone: int) -> Rejection:
    return Rejection(f"phone number {phone} appears earlier in the file", "duplicate_in_file")
