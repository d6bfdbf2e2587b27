"""Where rows begin in a text file, found in one pass, so that a later reader (a shard) can seek to its first
row and read only its own bytes instead of every row before it.

The pass reads the bytes as Latin-1, one character a byte, so a position in the text is an offset in the
file. That is exact for UTF-8 and the one-byte encodings whose first 128 bytes are ASCII (cp1252,
ISO-8859-x …): there the delimiter, the quote and the line breaks are single bytes no other character
contains. Other encodings (UTF-16, Shift-JIS …) have no such index: their readers start at the first row.
CSV rows are found by Python's ``csv`` module with the reader's own dialect, so a quoted cell across lines
stays one row; a blank line is not a row, as for the reader.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

ASCII = bytes(range(128))


@dataclass(frozen=True)
class FileIndex:
    """What one pass over a file found, so a later reader of the same file need not read it all again: its
    columns, its number of rows, its content hash, its size and modification time (the cheap check that it
    is still that file), and the byte at which some rows begin."""

    columns: list[str]
    rows: int
    fingerprint: str
    size: int
    mtime_ns: int
    starts: dict[int, int] = field(default_factory=dict)  # row → the offset of its first byte
    lines: dict[int, int] = field(default_factory=dict)  # JSONL: row → the number of its line (for messages)

    def start_before(self, row: int) -> tuple[int, int] | None:
        """The known row nearest at or before ``row``, and its offset (None: read from the first row)."""
        known = [first for first in self.starts if first <= row]
        return (max(known), self.starts[max(known)]) if known else None

    def as_json(self) -> dict[str, Any]:
        return {**self.__dict__, "starts": _keyed(self.starts), "lines": _keyed(self.lines)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileIndex:
        facts = (data["columns"], data["rows"], data["fingerprint"], data["size"], data["mtime_ns"])
        return cls(*facts, starts=_numbered(data.get("starts", {})), lines=_numbered(data.get("lines", {})))


def _keyed(rows: dict[int, int]) -> dict[str, int]:
    return {str(row): value for row, value in rows.items()}


def _numbered(rows: dict[str, int]) -> dict[int, int]:
    return {int(row): int(value) for row, value in rows.items()}


def seekable_text(encoding: str) -> bool:
    """True where a byte offset found through Latin-1 is exact (see the module's note)."""
    name = codecs.lookup(encoding).name
    if name in ("utf-8", "utf-8-sig"):
        return True
    try:
        one_byte = len(bytes(range(256)).decode(encoding, "replace")) == 256
        return one_byte and ASCII.decode(encoding) == ASCII.decode("ascii")
    except (UnicodeDecodeError, LookupError):
        return False


class _Counted:
    """The file's lines (their endings kept, as the reader splits them), counting the bytes handed out."""

    def __init__(self, handle: TextIO) -> None:
        self.handle, self.offset = handle, 0

    def __iter__(self) -> Iterator[str]:
        for line in self.handle:
            self.offset += len(line)
            yield line


def csv_row_starts(path: Path, rows: list[int], delimiter: str, quote_char: str) -> dict[int, int]:
    """The offset at which each of ``rows`` (data rows, the header not counted) begins; rows past the end
    are left out."""
    starts: dict[int, int] = {}
    wanted = sorted(set(rows))
    with open(path, encoding="latin-1", newline="") as handle:
        lines = _Counted(handle)
        reader = csv.reader(lines, delimiter=delimiter, quotechar=quote_char, strict=True)
        next(reader, None)  # the header
        row = 0
        for target in wanted:
            while row < target:
                fields = next(reader, None)
                if fields is None:
                    return starts
                row += 1 if fields else 0  # a blank line is not a row
            starts[target] = lines.offset
    return starts


def jsonl_row_starts(path: Path, rows: list[int], encoding: str) -> tuple[dict[int, int], dict[int, int]]:
    """The offset at which each of ``rows`` (non-blank lines) begins, and its line's number; rows past the
    end are left out."""
    starts: dict[int, int] = {}
    lines: dict[int, int] = {}
    wanted = iter(sorted(set(rows)))
    target = next(wanted, None)
    row, offset = 0, 0
    with open(path, encoding="latin-1", newline="") as handle:  # lines split where the reader splits them
        for number, line in enumerate(handle, start=1):
            if target is None:
                break
            # Blank as the reader decides it (a line of no-break spaces is blank there too).
            if line.encode("latin-1").decode(encoding, "replace").strip():
                if target == row:
                    if offset:  # the first line is read from the top (past a byte-order mark)
                        starts[target], lines[target] = offset, number
                    target = next(wanted, None)
                row += 1
            offset += len(line)
    return starts, lines
