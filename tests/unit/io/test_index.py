"""A reader given an index reads from the row it was asked for, and gives exactly the rows a reader from the
top gives there: on the shapes people's files have (BOMs, quoted cells across lines, CRLF and bare CR
lines, blank lines, ``;`` and cp1252, JSONL with blank and no-break-space lines, Parquet row groups)."""

import json
import os
from dataclasses import replace

import pyarrow as pa
import pyarrow.parquet as pa_parquet
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bulkcontacts.config.sources import FileSource
from bulkcontacts.errors import UsageError
from bulkcontacts.io.index import seekable_text
from bulkcontacts.io.readers import FileReader

NOTES = ["", "plain", "two\r\nlines", 'say "hi"', "semi;colon, comma", "Zoë € 5", "three\nline\ncell", "'quote"]


def _csv(rows: int, encoding: str, delimiter: str, bom: bool, ending: str) -> bytes:
    lines = [f'"Mobile Phone"{delimiter}"First Name"{delimiter}Notes']
    for row in range(rows):
        note = NOTES[row % len(NOTES)].replace('"', '""')
        lines.append(f'"0170 {row:07d}"{delimiter}Jörg {row}{delimiter}"{note}"')
        if row % 9 == 4:
            lines.append("")  # a blank line is not a row
    data = (ending.join(lines) + ending).encode(encoding)
    return (b"\xef\xbb\xbf" if bom else b"") + data


def _rows_from(reader: FileReader, start: int, count: int = 40) -> list[dict[str, object]]:
    got: list[dict[str, object]] = []
    for batch in reader.frames(start):
        assert got or batch.first == start
        got += batch.rows()
        if len(got) >= count:
            break
    return got[:count]


def _same_rows_from_anywhere(source: FileSource, starts: list[int]) -> FileReader:
    index = FileReader(source).index(starts)
    top, indexed = FileReader(source), FileReader(source, index)
    for start in starts:
        assert _rows_from(indexed, start) == _rows_from(top, start), start
    return indexed


@settings(max_examples=25, deadline=None)
@given(
    starts=st.lists(st.integers(0, 299), min_size=1, max_size=6),
    shape=st.sampled_from([("utf-8", ",", True, "\r\n"), ("cp1252", ";", False, "\r\n"), ("utf-8", ",", False, "\n")]),
)
def test_a_csv_read_from_an_indexed_row_gives_the_rows_read_from_the_top(tmp_path_factory, starts, shape):
    encoding, delimiter, bom, ending = shape
    path = tmp_path_factory.mktemp("csv") / "people.csv"
    path.write_bytes(_csv(300, encoding, delimiter, bom, ending))
    source = FileSource(type="file", path=path, encoding=encoding, delimiter=delimiter, batch_rows=64)
    indexed = _same_rows_from_anywhere(source, starts)
    assert set(indexed._index.starts) == set(starts)  # type: ignore[union-attr]


def test_jsonl_rows_from_an_index_skip_the_lines_the_reader_skips(tmp_path):
    path = tmp_path / "people.jsonl"
    lines = []
    for row in range(500):
        lines.append(json.dumps({"phone": f"0170 {row}", "note": NOTES[row % len(NOTES)]}, ensure_ascii=False))
        lines += [""] * (row % 7 == 3) + ["\u00a0\u00a0"] * (row % 11 == 5)
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\n")
    source = FileSource(type="file", path=path, batch_rows=50)
    indexed = _same_rows_from_anywhere(source, [0, 1, 77, 250, 499])
    assert indexed.columns() == ["phone", "note"]


def test_a_broken_jsonl_line_after_an_indexed_row_is_named_by_its_line_in_the_file(tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text("".join(json.dumps({"phone": str(row)}) + "\n" + "\n" * (row == 3) for row in range(10)))
    index = FileReader(FileSource(type="file", path=path)).index([5])
    with open(path, "a") as handle:
        handle.write("{not json\n")
    stat = path.stat()
    after = replace(index, size=stat.st_size, mtime_ns=stat.st_mtime_ns)  # as if indexed with it
    broken = FileReader(FileSource(type="file", path=path), after)
    with pytest.raises(UsageError, match="broken.jsonl, line 12,"):
        list(broken.frames(5))


def test_parquet_is_read_from_the_row_group_holding_the_first_row(tmp_path):
    path = tmp_path / "people.parquet"
    table = pa.table({"phone": [f"0170 {row}" for row in range(1_000)], "name": [f"N{row}" for row in range(1_000)]})
    pa_parquet.write_table(table, path, row_group_size=128)
    reader = FileReader(FileSource(type="file", path=path, batch_rows=100))
    first = next(reader.frames(700))
    assert first.first == 700 and first.rows()[0]["phone"] == "0170 700"
    assert [row["phone"] for row in _rows_from(reader, 639, 3)] == ["0170 639", "0170 640", "0170 641"]


def test_a_shard_never_reads_the_bytes_before_its_first_row(tmp_path):
    """The rows before the indexed one are overwritten with bytes no reader could parse (same size, same
    modification time): the indexed reader still gives its rows, so it never read them."""
    path = tmp_path / "people.csv"
    path.write_bytes(_csv(200, "utf-8", ",", True, "\r\n"))
    source = FileSource(type="file", path=path)
    index = FileReader(source).index([150])
    expected = _rows_from(FileReader(source), 150)
    data, begins, stat = path.read_bytes(), index.starts[150], path.stat()
    header = len(data.split(b"\r\n", 1)[0]) + 2
    path.write_bytes(data[:header] + b"\x00" * (begins - header) + data[begins:])
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert _rows_from(FileReader(source, index), 150) == expected
    with pytest.raises(UsageError, match="a NUL byte"):
        FileReader(source).count_rows()


def test_a_file_changed_since_it_was_indexed_is_refused_with_the_fix(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(_csv(20, "utf-8", ",", False, "\n"))
    index = FileReader(FileSource(type="file", path=path)).index([10])
    with open(path, "ab") as handle:
        handle.write(b'"0170 9",X,""\n')
    with pytest.raises(UsageError, match="changed since this job's driver read it.*--restart"):
        FileReader(FileSource(type="file", path=path), index)


@pytest.mark.parametrize(
    ("encoding", "seekable"),
    [("utf-8", True), ("utf-8-sig", True), ("cp1252", True), ("latin-1", True), ("iso-8859-15", True),
     ("utf-16", False), ("utf-16-le", False), ("shift_jis", False), ("cp500", False)],
)  # fmt: skip
def test_only_encodings_whose_structure_bytes_are_ascii_are_indexed(encoding, seekable):
    assert seekable_text(encoding) is seekable


def test_a_utf16_file_has_no_offsets_and_is_read_from_the_top(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(_csv(100, "utf-8", ",", False, "\r\n").decode().encode("utf-16"))
    source = FileSource(type="file", path=path, encoding="utf-16")
    indexed = _same_rows_from_anywhere(source, [0, 60])
    assert indexed._index.starts == {}  # type: ignore[union-attr]


@pytest.mark.parametrize("file_format", ["csv", "jsonl", "parquet"])
def test_a_reader_told_where_to_stop_reads_no_row_from_there(tmp_path, file_format):
    """A shard's reader ends at its last row: the next shard's bytes (or row groups) are not read."""
    path = tmp_path / f"people.{file_format}"
    rows = [{"phone": f"0170 {row}", "note": NOTES[row % len(NOTES)]} for row in range(300)]
    if file_format == "csv":
        path.write_bytes(_csv(300, "utf-8", ",", True, "\r\n"))
    elif file_format == "jsonl":
        path.write_bytes(b"\xef\xbb\xbf" + "".join(json.dumps(row) + "\n" for row in rows).encode())
    else:
        pa_parquet.write_table(pa.Table.from_pylist(rows), path, row_group_size=50)
    source = FileSource(type="file", path=path, batch_rows=32)
    index = FileReader(source).index([0, 100, 200])
    top = [row for _, batch in FileReader(source).batches() for row in batch]
    for start, end in ((0, 100), (100, 200), (200, 300)):
        read = [row for batch in FileReader(source, index, end).frames(start) for row in batch.rows()]
        # Parquet stops at the end of the row group holding the last row (here a group boundary).
        assert read == top[start:end], (start, end)
