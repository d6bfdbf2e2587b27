"""A part of a file as a stream of its own: what a shard reads of the source, what a checkpoint vouches for."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any


class ByteRange(io.RawIOBase):
    """The bytes [start, end) of a file (``end`` None: to its end), read as if they were the whole file."""

    def __init__(self, path: Path, start: int = 0, end: int | None = None) -> None:
        self._file = open(path, "rb")  # noqa: SIM115 (closed with this stream)
        self._file.seek(start)
        self._left = None if end is None else max(0, end - start)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        wanted = len(buffer) if self._left is None else min(len(buffer), self._left)
        data = self._file.read(wanted)
        if self._left is not None:
            self._left -= len(data)
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._file.close()
        super().close()
