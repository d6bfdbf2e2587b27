"""Streamed readers for CSV, Parquet, JSONL and vCard files, yielding batches: Polars frames for column-wise
work, and the same rows as dicts for the rows that need them.

Memory stays flat at any file size: CSV is parsed block by block by pyarrow's streaming reader (which also
transcodes any encoding), Parquet is read a batch at a time from its row groups, JSONL a line at a time;
each Arrow batch becomes a Polars frame without a copy. pyarrow parses the CSV rather than Polars because it
is strict where this product promises to be: Polars' ``scan_csv`` pads a short row with empty cells and
turns a blank line into a row of them, both of which are refused (or skipped) here, and it reads only
UTF-8 (README: "Dependencies"). The structure check is one native pass; only when it fails does a Python
``csv`` pass find the line to name. CSV cells are read as text, so phone numbers and zip codes keep their
digits. A vCard file is read card by card (``bulkcontacts.io.vcard``) into batches of fixed text columns.

A byte-order mark is never data: Python's parsers (the CSV header, the line-naming CSV pass, JSONL, vCard)
read the text with a leading U+FEFF dropped, whatever the encoding; pyarrow skips a UTF-8 one itself (and a
transcoded encoding's mark reaches it as UTF-8), and the header it reads must be the one Python read.
Every call blocks: the jobs call them from a worker thread.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import chain, islice
from pathlib import Path
from typing import Any, TextIO

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pa_parquet

from bulkcontacts.config.sources import FileSource
from bulkcontacts.contacts.presets import VCARD_COLUMNS
from bulkcontacts.errors import UsageError
from bulkcontacts.io.index import FileIndex, csv_row_starts, jsonl_row_starts, seekable_text
from bulkcontacts.io.ranges import ByteRange
from bulkcontacts.text import NEUTRALISED

RowBatch = tuple[int, list[dict[str, Any]]]  # (index of the first row, rows)
CSV_BLOCK_BYTES = 1 << 19  # 512 KiB: about 8,000 rows; larger blocks cost memory (README: "Tuning")
MAX_BLOCK_BYTES = 1 << 30
NEWLINE = b"\n"
BOMS = {b"\xff\xfe": "utf-16", b"\xfe\xff": "utf-16"}


def _encoding_of(path: Path, declared: str) -> str:
    """The declared encoding, except that a UTF-16 byte-order mark wins over the default UTF-8."""
    if declared.lower().replace("_", "-") in ("utf-8", "utf8"):
        with open(path, "rb") as handle:
            return BOMS.get(handle.read(2), declared)
    return declared


@contextmanager
def _open_text(path: Path, encoding: str, newline: str | None = None) -> Iterator[TextIO]:
    """The file as text with a leading byte-order mark (U+FEFF) dropped before any parser sees it: a UTF-8
    decoder keeps it as a character, which made an Outlook header ``\ufeff"First Name"`` one unquoted name."""
    with open(path, encoding=encoding, newline=newline) as handle:
        try:
            bom = handle.read(1) == "\ufeff"
        except UnicodeDecodeError:
            bom = False  # the parser meets the bytes again, and names their line
        if not bom:
            handle.seek(0)
        yield handle


ROWS_ASKED_ONE_BY_ONE = 64  # rows of a batch made one at a time before the whole batch is made


class Batch:
    """Consecutive rows of the file from row ``first`` on: as a Polars frame (None for JSONL, whose values
    need not fit one type per column) and as dicts, each made only when asked for."""

    def __init__(
        self, first: int, arrow: pa.RecordBatch | None = None, rows: list[dict[str, Any]] | None = None
    ) -> None:
        self.first = first
        self._arrow = arrow
        self._rows = rows
        self._made: dict[int, dict[str, Any]] = {}  # rows made one by one (``rows_at``, ``row``), by position
        self.height = arrow.num_rows if arrow is not None else len(rows or [])

    @property
    def frame(self) -> pl.DataFrame | None:
        if self._arrow is None:
            return None
        try:
            return pl.from_arrow(self._arrow)  # type: ignore[return-value]
        except (pl.exceptions.PolarsError, pa.ArrowException, TypeError, ValueError):
            return None  # a type Polars does not take: the rows are mapped one by one

    def rows(self) -> list[dict[str, Any]]:
        if self._rows is None:
            assert self._arrow is not None
            self._rows = self._arrow.to_pylist()
        return self._rows

    def rows_at(self, positions: list[int]) -> list[dict[str, Any]]:
        """The rows at these positions (0 = ``first``), without making dicts of the others."""
        if self._rows is not None or self._arrow is None:
            rows = self.rows()
            return [rows[position] for position in positions]
        made: list[dict[str, Any]] = self._arrow.take(pa.array(positions, type=pa.int64())).to_pylist()
        self._made.update(zip(positions, made, strict=True))
        return made

    def row(self, number: int) -> dict[str, Any]:
        """The file's row ``number`` (one of this batch's) as a dict: most rows sent are never needed as one
        (a row the server refused is). One row is sliced out (a slice is a view: 9 µs here; a ``take`` of one
        row, 63 µs); once many were asked for (a server refusing most rows), the whole batch is made."""
        position = number - self.first
        if self._rows is None and position not in self._made and len(self._made) >= ROWS_ASKED_ONE_BY_ONE:
            self.rows()
        if self._rows is not None:
            return self._rows[position]
        if position not in self._made:
            assert self._arrow is not None
            self._made[position] = self._arrow.slice(position, 1).to_pylist()[0]
        return self._made[position]

    @staticmethod
    def joined(batches: list[Batch]) -> Batch:
        """Consecutive batches as one (Arrow batches are copied into one; dict rows are listed together)."""
        if len(batches) == 1:
            return batches[0]
        arrows = [batch._arrow for batch in batches]
        if all(arrow is not None for arrow in arrows):
            table = pa.Table.from_batches(arrows).combine_chunks()
            return Batch(batches[0].first, arrow=table.to_batches()[0] if table.num_rows else arrows[0])
        return Batch(batches[0].first, rows=[row for batch in batches for row in batch.rows()])

    def tail(self, skip: int) -> Batch:
        """The batch without its first ``skip`` rows."""
        if self._arrow is not None:
            return Batch(self.first + skip, arrow=self._arrow.slice(skip))
        return Batch(self.first + skip, rows=self.rows()[skip:])


class FileReader:
    """One source file: its columns, its row count, a fingerprint, and its rows in batches. Given the
    ``index`` an earlier pass made (a shard's, from its driver), it takes those facts from it and reads from
    the nearest row it knows the offset of, instead of from the first."""

    def __init__(self, spec: FileSource, index: FileIndex | None = None, until: int | None = None) -> None:
        self.spec = spec
        self._index = index
        # Rows before ``until`` only (a shard's end): reading stops at that row (its offset, its row group).
        self._until = until
        self._end = index.starts.get(until) if index is not None and until is not None else None
        self.path = spec.path
        self.format = spec.file_format
        if self.path.is_dir():
            raise UsageError(f"[source] path: {self.path} is a folder; point it at the file to read")
        if not self.path.is_file():
            raise UsageError(f"[source] path: {self.path} does not exist or is not a file")
        if self.format != "parquet":
            _refuse_compressed(self.path)
        self._columns: list[str] | None = None
        self._jsonl_rows: int | None = None  # counted while the columns were collected
        self._rows: int | None = None
        self._fingerprint: str | None = None
        self.encoding = _encoding_of(self.path, spec.encoding)
        if index is not None:
            self._columns, self._jsonl_rows = index.columns, index.rows
            stat = self.path.stat()
            if (stat.st_size, stat.st_mtime_ns) != (index.size, index.mtime_ns):
                raise UsageError(
                    f"{self.path} changed since this job's driver read it; restore it, or run the job again "
                    "with --restart to start over"
                )

    def index(self, rows: list[int]) -> FileIndex:
        """One pass's facts (every check ``count_rows`` makes included) and the offsets of ``rows``, where
        the format and encoding have them (CSV and JSONL in UTF-8 or a one-byte encoding)."""
        stat = self.path.stat()
        total, fingerprint = self.count_rows(), self.fingerprint()
        starts: dict[int, int] = {}
        lines: dict[int, int] = {}
        if self.format == "csv" and seekable_text(self.encoding):
            starts = csv_row_starts(self.path, rows, self.spec.delimiter, self.spec.quote_char)
        elif self.format == "jsonl" and seekable_text(self.encoding):
            starts, lines = jsonl_row_starts(self.path, rows, self.encoding)
        return FileIndex(self.columns(), total, fingerprint, stat.st_size, stat.st_mtime_ns, starts, lines)

    def columns(self) -> list[str]:
        if self._columns is None:
            names = self._guard(self._read_columns)
            repeated = sorted({name for name in names if names.count(name) > 1})
            if repeated:
                raise UsageError(
                    f"{self.path}: the header repeats column {repeated[0]!r}; "
                    "rename one of them so every column has its own name"
                )
            self._columns = names
        return self._columns

    def count_rows(self) -> int:
        """The number of data rows, after checking the whole file's structure: a ragged row, an unclosed
        quote, a NUL byte, bytes that are not the encoding, a broken JSON line are found here, with their
        line number, before anything is sent. Counted once a reader."""
        if self._index is not None:
            return self._index.rows
        if self._rows is None:
            self._rows = self._count_rows()
        return self._rows

    def _count_rows(self) -> int:
        if self.format == "parquet":
            return int(self._guard(lambda: pa_parquet.ParquetFile(self.path).metadata.num_rows))
        self._refuse_nul_bytes()
        if self.format == "vcard":
            from bulkcontacts.io import vcard  # vobject: 10 ms of every start-up, for vCard files only

            with _open_text(self.path, self.encoding) as handle:
                return sum(1 for _ in vcard.rows(handle, self.path, self.encoding))
        if self.format == "jsonl":
            self.columns()
            assert self._jsonl_rows is not None
            return self._jsonl_rows
        self.columns()
        try:
            return sum(batch.num_rows for batch in self._located(self._arrow_csv()))
        finally:
            pa.default_memory_pool().release_unused()  # the pass's buffers, before the next pass needs its own

    def rows_at_most(self) -> int:
        """A bound on the number of rows, from one quick pass (the NUL-byte check counts the lines): what a
        dry run sizes its duplicate check by, when it checks the structure as it maps."""
        if self.format != "csv":
            return self.count_rows()
        self.columns()
        return max(0, self._refuse_nul_bytes() - 1)

    def _located(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """The CSV's batches; a problem the native parser finds is named with its line by Python's ``csv``."""
        try:
            yield from batches
        except (pa.ArrowException, UnicodeDecodeError, ValueError, OSError) as error:
            problem = error
        else:
            return
        self._guard(self._check_csv)
        raise self._described(problem) from None

    def _refuse_nul_bytes(self) -> int:
        """A NUL byte in a text file is damage (or UTF-16 without its byte-order mark): say where it is.
        One ``memchr`` pass, a block at a time (mapping the whole file would count it all as resident).
        Returns the number of lines (at least the rows plus the header)."""
        if self.encoding.lower().replace("-", "").startswith(("utf16", "utf32")):
            return self.path.stat().st_size // 2 + 1  # no cheap count: a bound
        lines = 0
        with open(self.path, "rb") as handle:
            while block := handle.read(CSV_BLOCK_BYTES):
                at = block.find(b"\x00")
                if at >= 0:
                    line = lines + block.count(NEWLINE, 0, at) + 1
                    raise UsageError(
                        f"{self.path}, line {line}: a NUL byte (the file is damaged, binary, or UTF-16 without "
                        'a byte-order mark: then set [source] encoding = "utf-16-le")'
                    )
                lines += block.count(NEWLINE)
        return lines + 1

    def _check_csv(self) -> int:
        """The slow, line-counting pass: run only to say where a problem the native pass found is."""
        width = len(self.columns())
        rows = 0
        with _open_text(self.path, self.encoding, newline="") as handle:
            reader = self._csv_reader(handle)
            try:
                next(reader, None)
                for row in reader:
                    if len(row) != width:
                        if not row:
                            continue  # a blank line is not a row
                        raise UsageError(
                            f"{self.path}, line {reader.line_num}: {len(row)} fields where the header "
                            f"has {width}; fix the row (a stray delimiter or quote?)"
                        )
                    rows += 1
            except csv.Error as error:
                raise UsageError(
                    f"{self.path}, line {reader.line_num}: {error}"
                    f"{'; a quote is never closed' if 'end of data' in str(error) else ''}"
                ) from None
            except UnicodeDecodeError as error:
                raise UsageError(
                    f"{self.path}, after line {reader.line_num}: bytes that are not "
                    f"{self.encoding} ({error.reason}); set [source] encoding to the file's "
                    'encoding (e.g. "cp1252")'
                ) from None
        return rows

    def fingerprint(self) -> str:
        """Content hash: a resume refuses when the file changed. Hashed once a reader."""
        if self._index is not None:
            return self._index.fingerprint
        if self._fingerprint is None:
            with open(self.path, "rb") as handle:
                self._fingerprint = hashlib.file_digest(handle, "sha256").hexdigest()
        return self._fingerprint

    def batches(self, start: int = 0) -> Iterator[RowBatch]:
        """Rows from index ``start`` on, about ``batch_rows`` at a time, as dicts keyed by column."""
        for batch in self.frames(start):
            yield batch.first, batch.rows()

    def frames(self, start: int = 0, at_least: int = 0) -> Iterator[Batch]:
        """Batches of the rows from index ``start`` on; ``at_least``: joined until they hold that many rows
        (fewer calls for column-wise work, whose every call has a fixed cost)."""
        if at_least:
            yield from _joined(self.frames(start), at_least)
            return
        produce: Callable[[int], Iterator[Batch]] = {
            "csv": self._csv_frames,
            "parquet": self._parquet_frames,
            "jsonl": self._jsonl_frames,
            "vcard": self._vcard_frames,
        }[self.format]
        batches = produce(start)
        while True:
            batch = self._guard(lambda: next(batches, None))
            if batch is None:
                return
            if batch.first + batch.height > start:
                yield batch.tail(start - batch.first) if batch.first < start else batch

    # -- formats -----------------------------------------------------------------------------------------

    def _read_columns(self) -> list[str]:
        if self.format == "parquet":
            return list(pa_parquet.ParquetFile(self.path).schema_arrow.names)
        if self.format == "vcard":
            return list(VCARD_COLUMNS)
        if self.format == "jsonl":  # every line's keys: a key first seen on line 100,000 is a column too
            names: dict[str, None] = {}
            count = 0
            for rows in self._jsonl_batches():
                count += len(rows)
                for row in rows:
                    names.update(dict.fromkeys(row))
            self._jsonl_rows = count
            return list(names)
        with _open_text(self.path, self.encoding, newline="") as handle:
            header_names = next(self._csv_reader(handle), None) or []
        if not any(name.strip() for name in header_names):
            raise UsageError(f"{self.path}: the file is empty; a CSV source needs a header row")
        unnamed = [index + 1 for index, name in enumerate(header_names) if not name.strip()]
        if unnamed:
            raise UsageError(
                f"{self.path}, line 1: column {unnamed[0]} of the header has no name; name it "
                "(its cells would have no attribute name) or remove the column"
            )
        return header_names

    def _csv_reader(self, handle: Any) -> Any:
        csv.field_size_limit(MAX_BLOCK_BYTES)  # a 1 MB cell is data, not an attack
        return csv.reader(handle, delimiter=self.spec.delimiter, quotechar=self.spec.quote_char, strict=True)

    def _csv_stream(self, offset: int | None) -> Any:
        """The file from ``offset`` to the reader's end (the whole file, as pyarrow's own stream, without)."""
        if offset is None and self._end is None:
            return pa.input_stream(str(self.path), buffer_size=CSV_BLOCK_BYTES)
        return io.BufferedReader(ByteRange(self.path, offset or 0, self._end), CSV_BLOCK_BYTES)

    def _open_csv(
        self,
        stream: Any,
        columns: list[str] | None,
        block_size: int = CSV_BLOCK_BYTES,
        *,
        headless: bool = False,  # the stream starts at a data row: the columns are ``columns``
    ) -> pa_csv.CSVStreamingReader:
        """The streaming reader over an opened stream: given a path, pyarrow's threaded reader reads ahead
        the whole file (measured: 743 MB resident for a 650 MB file, against 145 MB from a stream)."""
        spec = self.spec
        convert = pa_csv.ConvertOptions(
            column_types={name: pa.string() for name in columns or []},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        )
        return pa_csv.open_csv(
            stream,
            read_options=pa_csv.ReadOptions(
                encoding=self.encoding, block_size=block_size, column_names=columns if headless else None
            ),
            parse_options=pa_csv.ParseOptions(
                delimiter=spec.delimiter, quote_char=spec.quote_char, newlines_in_values=True
            ),
            convert_options=convert,
        )

    def _arrow_csv(self, offset: int | None = None) -> Iterator[pa.RecordBatch]:
        """Arrow batches of the CSV (from the row that begins at ``offset``, when given). A cell larger than
        a block makes the reader start over with bigger blocks, skipping the rows it already gave."""
        block_size, given = CSV_BLOCK_BYTES, 0
        while True:
            seen = 0
            try:
                with self._csv_stream(offset) as stream:
                    reader = self._open_csv(stream, self.columns(), block_size, headless=offset is not None)
                    if reader.schema.names != self.columns():  # else column_types missed a column: typed cells
                        raise UsageError(
                            f"{self.path}, line 1: pyarrow reads the header as {reader.schema.names[:3]}..., "
                            f"Python as {self.columns()[:3]}...; re-save the file as plain UTF-8 CSV and report this"
                        )
                    for batch in reader:
                        fresh = batch.slice(max(0, given - seen))
                        seen += batch.num_rows
                        if fresh.num_rows:
                            given += fresh.num_rows
                            yield fresh
                return
            except pa.ArrowInvalid as error:
                if "straddl" not in str(error) or block_size >= MAX_BLOCK_BYTES:
                    raise
                block_size *= 8

    def _csv_frames(self, start: int) -> Iterator[Batch]:
        first, offset = self._seek(start)
        for arrow in self._located(self._arrow_csv(offset)):
            yield Batch(first, arrow=_unguarded(arrow))
            first += arrow.num_rows

    def _seek(self, start: int) -> tuple[int, int | None]:
        """The row to read from on the way to ``start``, and its offset (None: the first row, from the top)."""
        known = self._index.start_before(start) if self._index is not None else None
        return known if known is not None else (0, None)

    def _parquet_frames(self, start: int) -> Iterator[Batch]:
        """From the row group holding ``start`` to the one holding the row before ``until`` (others unread)."""
        parquet = pa_parquet.ParquetFile(self.path)
        until = parquet.metadata.num_rows if self._until is None else self._until
        groups: list[int] = []
        first = at = 0
        for group in range(parquet.num_row_groups):
            rows = parquet.metadata.row_group(group).num_rows
            if at + rows > start and at < until:
                first = first if groups else at
                groups.append(group)
            at += rows
        if not groups:
            return
        for arrow in parquet.iter_batches(batch_size=self.spec.batch_rows, row_groups=groups):
            yield Batch(first, arrow=arrow)
            first += arrow.num_rows

    def _vcard_frames(self, _start: int) -> Iterator[Batch]:
        """Batches of ``batch_rows`` cards as Arrow string columns, so the column-wise path takes them as CSV's
        (from the first card: a vCard file has no index)."""
        from bulkcontacts.io import vcard  # as in count_rows

        first = 0
        with _open_text(self.path, self.encoding) as handle:
            cards = vcard.rows(handle, self.path, self.encoding)
            while chunk := list(islice(cards, self.spec.batch_rows)):
                columns = [pa.array(values, type=pa.string()) for values in zip(*chunk, strict=True)]
                yield Batch(first, arrow=pa.RecordBatch.from_arrays(columns, names=list(VCARD_COLUMNS)))
                first += len(chunk)

    def _jsonl_frames(self, start: int) -> Iterator[Batch]:
        first, offset = self._seek(start)
        seek = None if offset is None or self._index is None else (offset, self._index.lines[first])
        for rows in self._jsonl_batches(seek, self._end):
            yield Batch(first, rows=rows)
            first += len(rows)

    def _jsonl_batches(
        self, seek: tuple[int, int] | None = None, end: int | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """The rows in batches, from the top or from ``seek`` (the offset of a line and its number), up to
        the byte ``end`` when given."""
        rows: list[dict[str, Any]] = []
        with _jsonl_lines(self.path, self.encoding, seek, end) as lines:
            for number, line in enumerate(lines, start=seek[1] if seek else 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as error:
                    raise UsageError(
                        f"{self.path}, line {number}, column {error.colno}: not valid JSON "
                        f"({error.msg}); fix or remove the line"
                    ) from None
                if not isinstance(row, dict):
                    raise UsageError(
                        f"{self.path}, line {number}: a JSONL line must be an object, not {type(row).__name__}"
                    )
                rows.append(row)
                if len(rows) >= self.spec.batch_rows:
                    yield rows
                    rows = []
        if rows:
            yield rows

    def _guard(self, action: Callable[[], Any]) -> Any:
        """Run a reader call, turning its errors into one clear line naming the file."""
        try:
            return action()
        except UsageError:
            raise
        except (UnicodeDecodeError, pa.ArrowException, OSError, ValueError) as error:
            raise self._described(error) from None

    def _described(self, error: BaseException) -> UsageError:
        if isinstance(error, UnicodeDecodeError):
            return UsageError(
                f"{self.path}{undecodable_at(self.path, self.encoding)} is not valid {self.encoding}; "
                'set [source] encoding to the file\'s encoding (e.g. "cp1252")'
            )
        return UsageError(
            f"{self.path}: cannot read it as {self.format.upper()}: {_first_line(error)}{_hint(self.format, error)}"
        )


@contextmanager
def _jsonl_lines(path: Path, encoding: str, seek: tuple[int, int] | None, end: int | None) -> Iterator[Iterator[str]]:
    """The JSONL file's lines: from the top (a byte-order mark dropped), or from ``seek``'s offset (a line's
    first byte); up to the byte ``end`` when given (a shard's last row's end)."""
    start = seek[0] if seek else 0
    with io.TextIOWrapper(io.BufferedReader(ByteRange(path, start, end), CSV_BLOCK_BYTES), encoding=encoding) as text:
        lines = iter(text)
        first = next(lines, None)
        if first is None:
            yield iter(())
            return
        yield chain([first if start else first.removeprefix("\ufeff")], lines)


def undecodable_at(path: Path, encoding: str) -> str:
    """Where the first byte the encoding cannot decode is, as ``", line L, column C: byte 0xNN"`` (lines as
    an editor counts them); found again from the start, on the error path only."""
    if "16" in encoding or "32" in encoding:  # a line break is not one byte there: offsets only
        return _undecodable_offset(path, encoding)
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                line.decode(encoding)
            except UnicodeDecodeError as error:
                column = len(line[: error.start].decode(encoding, "replace")) + 1
                return f", line {number}, column {column}: byte 0x{line[error.start]:02x}"
    return ""


def _undecodable_offset(path: Path, encoding: str) -> str:
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                return f": the bytes near offset {offset + max(0, error.start):,}"
            offset += len(chunk)
    return ""


def _unguarded(batch: pa.RecordBatch) -> pa.RecordBatch:
    """The batch with the tool's own formula guard undone: a cell it wrote as ``'+1 650…`` or ``'=x`` (a
    ``rejected.csv`` fed back as a source) reads as ``+1 650…``, ``=x``. Exactly that: a "'" before
    ``= + - @``, a tab or a carriage return; any other "'" stays. Only columns holding a leading "'" pay."""
    columns = list(batch.columns)
    for index, column in enumerate(columns):
        if pa.types.is_string(column.type) and pc.any(pc.starts_with(column, "'")).as_py():
            columns[index] = pc.replace_substring_regex(column, pattern=NEUTRALISED, replacement=r"\1")
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


def _joined(batches: Iterator[Batch], rows: int) -> Iterator[Batch]:
    waiting: list[Batch] = []
    for batch in batches:
        waiting.append(batch)
        if sum(part.height for part in waiting) >= rows:
            yield Batch.joined(waiting)
            waiting = []
    if waiting:
        yield Batch.joined(waiting)


COMPRESSED = {
    b"\x1f\x8b": ("gzip", "gunzip"),
    b"\x28\xb5\x2f\xfd": ("zstd", "unzstd"),
    b"PK\x03\x04": ("zip", "unzip"),
    b"BZh": ("bzip2", "bunzip2"),
    b"\xfd7zXZ": ("xz", "unxz"),
}


def _refuse_compressed(path: Path) -> None:
    """A compressed file is refused by its first bytes, whatever its name says."""
    with open(path, "rb") as handle:
        start = handle.read(6)
    for magic, (kind, command) in COMPRESSED.items():
        if start.startswith(magic):
            raise UsageError(
                f"{path}: the file is {kind}-compressed; decompress it first ({command} "
                f"{path.name}) and point [source] path at the result"
            )


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _hint(file_format: str, error: BaseException) -> str:
    text = str(error).lower()
    if file_format == "csv" and "utf8" in text.replace("-", ""):
        return '; the file is not UTF-8: set [source] encoding (e.g. "cp1252")'
    if file_format == "csv" and "expected" in text and "columns" in text:
        return "; a row has a different number of fields than the header (check quoting and the delimiter)"
    return ""
