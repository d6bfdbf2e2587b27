"""A channel's listing (the JSONL file an export of it wrote), looked up by phone in bounded memory.

The file is read column-wise by Polars, a chunk of lines at a time: each line's phone and byte offset,
nothing else. Phones that are
digits go into sorted arrays (about 20 bytes a contact: 20 MB for a million), so a phone is found by binary
search and its document read back from the file by its offset when it is needed. As before, a phone listed
twice keeps its last document, and contacts no source row accounts for ("extra") come out in the order the
listing first showed them.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import polars as pl

LINE = "\x01"  # a separator JSON text never holds raw, so each line is one cell
LINE_SCHEMA = {"phone": pl.Int64, "key": pl.String, "offset": pl.Int64}
CHUNK_BYTES = 16 << 20  # read a chunk of whole lines at a time: memory stays flat at any listing size


def _chunks(path: Path) -> Iterator[tuple[bytes, int]]:
    """(whole lines, offset of the first) from the file, about ``CHUNK_BYTES`` at a time."""
    start, rest = 0, b""
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK_BYTES):
            block = rest + block
            end = block.rfind(b"\n") + 1
            if end:
                yield block[:end], start
                start += end
            rest = block[end:]
    if rest.strip():
        yield rest + b"\n", start


class ChannelIndex:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.carried: set[str] = set()
        chunks = [self._index(chunk, start) for chunk, start in _chunks(path)]
        lines = pl.concat(chunks) if chunks else pl.DataFrame(schema=LINE_SCHEMA)
        line = np.arange(lines.height)
        numeric = lines["phone"].is_not_null().to_numpy()
        at = line[numeric]
        phones = lines["phone"].fill_null(0).to_numpy()[numeric].astype(np.int64)
        # Each phone's first line (its place among the extras) and last line (the document that counts).
        self._phones, first = np.unique(phones, return_index=True)
        _, from_end = np.unique(phones[::-1], return_index=True)
        offsets = lines["offset"].to_numpy()
        self._offsets = offsets[at[len(phones) - 1 - from_end]]
        self._first_seen = at[first]
        self._matched = np.zeros(len(self._phones), dtype=bool)
        others: dict[str, tuple[int, int]] = {}  # keys no payload can have (not digits): always extra
        rest = lines.with_row_index("line").filter(~pl.Series(numeric)).select("line", "key", "offset")
        for index, key, offset in rest.iter_rows():
            others[key] = (others.get(key, (index, 0))[0], offset)
        self._others = [(first_line, key, offset) for key, (first_line, offset) in others.items()]
        self._handle: BinaryIO = open(path, "rb")  # noqa: SIM115 - held for the look-ups; closed by close()

    def _index(self, chunk: bytes, start: int) -> pl.DataFrame:
        """One chunk of whole lines: each line's phone (digits) or other key, its offset, and every field any
        line carries."""
        self.carried.update(pl.read_ndjson(io.BytesIO(chunk), infer_schema_length=None).columns)
        doc = pl.col("doc")
        lines = pl.read_csv(
            io.BytesIO(chunk), has_header=False, separator=LINE, quote_char=None, schema={"doc": pl.String}
        )
        length = doc.str.len_bytes().cast(pl.Int64) + 1
        key = doc.str.json_path_match("$.phone_number").str.strip_chars_start("+").fill_null("")
        digits = key.str.contains("^[0-9]{1,18}$")
        return lines.select(
            phone=pl.when(digits).then(key.cast(pl.Int64, strict=False)),
            key=pl.when(~digits).then(key),
            offset=length.cum_sum() - length + start,
        )

    def __len__(self) -> int:
        return len(self._phones) + len(self._others)

    def take(self, phone: int) -> dict[str, Any] | None:
        """The document for this phone, once: a phone taken is no longer extra."""
        at = int(np.searchsorted(self._phones, phone))
        if at >= len(self._phones) or self._phones[at] != phone:
            return None
        self._matched[at] = True
        return self._read(int(self._offsets[at]))

    def extra(self) -> Iterator[tuple[str, str]]:
        """(phone, contact id) of every contact not taken, in the order the listing first showed them."""
        left = np.flatnonzero(~self._matched)
        found = [
            (int(line), str(phone), int(offset))
            for line, phone, offset in zip(self._first_seen[left], self._phones[left], self._offsets[left], strict=True)
        ]
        for _, key, offset in sorted(found + self._others):
            yield key, str(self._read(offset).get("_id", ""))

    def _read(self, offset: int) -> dict[str, Any]:
        self._handle.seek(offset)
        document: dict[str, Any] = json.loads(self._handle.readline())
        return document

    def close(self) -> None:
        self._handle.close()
