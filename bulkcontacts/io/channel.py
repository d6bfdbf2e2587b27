"""A channel's listing (the JSONL file an export of it wrote), looked up by phone in bounded memory.

The file is read column-wise by Polars: each line's phone and byte offset, nothing else. Phones that are
digits go into sorted arrays (about 20 bytes a contact: 20 MB for a million), so a phone is found by binary
search and its document read back from the file by its offset when it is needed. As before, a phone listed
twice keeps its last document, and contacts no source row accounts for ("extra") come out in the order the
listing first showed them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import polars as pl

LINE = "\x01"  # a separator JSON text never holds raw, so each line is one cell


class ChannelIndex:
    def __init__(self, path: Path) -> None:
        self.path = path
        lines = pl.scan_csv(path, has_header=False, separator=LINE, quote_char=None, schema={"doc": pl.String}).select(
            key=pl.col("doc").str.json_path_match("$.phone_number").str.strip_chars_start("+").fill_null(""),
            offset=(pl.col("doc").str.len_bytes().cast(pl.Int64) + 1).cum_sum() - (pl.col("doc").str.len_bytes() + 1),
        )
        # Last document per phone, in the order phones first appeared.
        contacts = (
            lines.group_by("key", maintain_order=True).agg(pl.col("offset").last()).collect().with_row_index("seen")
        )
        numeric = contacts["key"].str.contains("^[0-9]{1,18}$")
        phones = contacts.filter(numeric)
        self._phones = phones["key"].cast(pl.Int64).to_numpy()
        order = np.argsort(self._phones, kind="stable")
        self._phones = self._phones[order]
        self._offsets = phones["offset"].to_numpy()[order]
        self._first_seen = phones["seen"].to_numpy()[order]
        self._others = contacts.filter(~numeric)  # keys no payload can have: always extra
        self._position = self._others["seen"].to_numpy()
        self._matched = np.zeros(len(self._phones), dtype=bool)
        self.carried: set[str] = (
            set(pl.scan_ndjson(path, infer_schema_length=None).collect_schema()) if path.stat().st_size else set()
        )
        self._handle: BinaryIO = open(path, "rb")  # noqa: SIM115 - held for the look-ups; closed by close()

    def __len__(self) -> int:
        return len(self._phones) + self._others.height

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
        seen = np.concatenate([self._first_seen[left], self._position])
        offsets = np.concatenate([self._offsets[left], self._others["offset"].to_numpy()])
        keys = [str(phone) for phone in self._phones[left]] + self._others["key"].to_list()
        for index in np.argsort(seen, kind="stable"):
            yield keys[index], str(self._read(int(offsets[index])).get("_id", ""))

    def _read(self, offset: int) -> dict[str, Any]:
        self._handle.seek(offset)
        document: dict[str, Any] = json.loads(self._handle.readline())
        return document

    def close(self) -> None:
        self._handle.close()
