"""Streamed readers for CSV, Parquet and JSONL files (Polars), yielding rows in batches.

CSV cells are read as text so phone numbers and zip codes keep their digits. UTF-8 with or without a BOM
is read directly; any other encoding is transcoded, streamed, to a private temporary UTF-8 copy first.
Every call here blocks: the runner calls them from a worker thread.
"""

from __future__ import annotations

import codecs
import hashlib
import tempfile
from pathlib import Path
from typing import Any, Iterator

import polars as pl

from bulkcontacts.errors import UsageError
from bulkcontacts.spec import FileSource

UTF8_NAMES = frozenset({"utf-8", "utf8", "utf-8-sig", "utf_8", "utf_8_sig"})

RowBatch = tuple[int, list[dict[str, Any]]]  # (index of the first row, rows)


class FileReader:
    """One source file: its columns, its row count, a fingerprint, and its rows in batches."""

    def __init__(self, spec: FileSource) -> None:
        self.spec = spec
        self.path = spec.path
        self.format = spec.file_format
        if not self.path.is_file():
            raise UsageError(f"[source] path: {self.path} does not exist or is not a file")
        self._workdir: tempfile.TemporaryDirectory[str] | None = None
        self._readable = self._utf8_path() if self.format == "csv" else self.path

    def close(self) -> None:
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None

    def __enter__(self) -> "FileReader":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def columns(self) -> list[str]:
        return self._guard(lambda: self._scan().collect_schema().names())

    def count_rows(self) -> int:
        if self.format == "parquet":
            return self._guard(lambda: pl.scan_parquet(self._readable).select(pl.len()).collect().item())
        return self._guard(lambda: self._scan().select(pl.len()).collect().item())

    def fingerprint(self) -> str:
        """Content hash: a resume refuses when the file changed."""
        with open(self.path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()

    def batches(self, start: int = 0) -> Iterator[RowBatch]:
        """Rows from index ``start`` on, ``batch_rows`` at a time, as dicts keyed by column."""
        frames = self._guard(lambda: iter(self._scan().slice(start).collect_batches(
            chunk_size=self.spec.batch_rows)))
        first = start
        while True:
            frame = self._guard(lambda: next(frames, None))
            if frame is None:
                return
            rows = frame.to_dicts()
            yield first, rows
            first += len(rows)

    # -- internals ------------------------------------------------------------------------------------------

    def _scan(self) -> pl.LazyFrame:
        if self.format == "csv":
            return pl.scan_csv(self._readable, separator=self.spec.delimiter, quote_char=self.spec.quote_char,
                               infer_schema=False, raise_if_empty=False)
        if self.format == "parquet":
            return pl.scan_parquet(self._readable)
        return pl.scan_ndjson(self._readable, infer_schema_length=None)

    def _utf8_path(self) -> Path:
        if self.spec.encoding.lower() in UTF8_NAMES:
            return self.path
        try:
            decoder = codecs.getincrementaldecoder(self.spec.encoding)(errors="strict")
        except LookupError:
            raise UsageError(f"[source] encoding: {self.spec.encoding!r} is not an encoding Python knows "
                             '(try "utf-8", "cp1252", "latin-1" or "utf-16")') from None
        self._workdir = tempfile.TemporaryDirectory(prefix="bulkcontacts-")
        copy = Path(self._workdir.name) / "source.utf8.csv"
        with open(self.path, "rb") as raw, open(copy, "w", encoding="utf-8", newline="") as out:
            offset = 0
            for chunk in iter(lambda: raw.read(1 << 20), b""):
                try:
                    out.write(decoder.decode(chunk).lstrip("\ufeff") if offset == 0 else decoder.decode(chunk))
                except UnicodeDecodeError as error:
                    raise UsageError(f"{self.path}: byte {offset + error.start} is not valid "
                                     f"{self.spec.encoding}; set [source] encoding to the file's encoding") from None
                offset += len(chunk)
            out.write(decoder.decode(b"", final=True))
        return copy

    def _guard(self, action: Any) -> Any:
        """Run a Polars call, turning its errors into one clear line naming the file."""
        try:
            return action()
        except UsageError:
            raise
        except (pl.exceptions.PolarsError, OSError) as error:
            raise UsageError(f"{self.path}: cannot read it as {self.format.upper()}: "
                             f"{_first_line(error)}{_hint(self.format, error)}") from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _hint(file_format: str, error: BaseException) -> str:
    text = str(error).lower()
    if file_format == "csv" and "utf-8" in text:
        return '; the file is not UTF-8: set [source] encoding (e.g. "cp1252")'
    if file_format == "csv" and ("field" in text or "ragged" in text):
        return "; a row has a different number of fields than the header (check quoting and the delimiter)"
    return ""

