import csv
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bulkcontacts.config.sources import FileSource
from bulkcontacts.errors import UsageError
from bulkcontacts.io.readers import FileReader
from bulkcontacts.text import NEUTRALISED, neutralize


def test_jsonl_columns_are_every_lines_keys_not_just_the_first_lines(tmp_path):
    path = tmp_path / "in.jsonl"
    rows = [{"phone": f"98{index:08d}", "name": f"C{index}"} for index in range(2_000)]
    rows[1_500]["late_attribute"] = "seen only here"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    reader = FileReader(FileSource(type="file", path=path, batch_rows=100))
    assert reader.columns() == ["phone", "name", "late_attribute"]
    assert reader.count_rows() == 2_000


def read_all(path, **source):
    reader = FileReader(FileSource(type="file", path=path, **source))
    return reader, reader.columns(), reader.count_rows(), [row for _, rows in reader.batches() for row in rows]


def test_outlook_csv_utf8_bom_before_a_quoted_header(tmp_path):
    path = tmp_path / "outlook.csv"
    path.write_bytes(
        b'\xef\xbb\xbf"Mobile Phone","First Name","Last Name"\r\n'
        b'"0170 5550100","J\xc3\xb6rg","M\xc3\xbcller"\r\n'
        b'"0030 1234","Ana","Lima"\r\n'
    )
    reader, columns, count, rows = read_all(path)
    assert columns == ["Mobile Phone", "First Name", "Last Name"]
    assert count == 2
    assert rows[0] == {"Mobile Phone": "0170 5550100", "First Name": "Jörg", "Last Name": "Müller"}
    assert [row["Mobile Phone"] for row in rows] == ["0170 5550100", "0030 1234"]
    assert reader._check_csv() == 2  # the slow pass reads the same header


def test_bom_before_an_unquoted_header_keeps_a_digit_column_text(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfphone,name\r\n0123,Ana\r\n0456,Bo\r\n")
    reader, columns, count, rows = read_all(path)
    assert (columns, count) == (["phone", "name"], 2)
    assert rows == [{"phone": "0123", "name": "Ana"}, {"phone": "0456", "name": "Bo"}]
    frame = next(reader.frames()).frame
    assert frame is not None and frame["phone"].to_list() == ["0123", "0456"]


def test_quoted_header_with_bom_names_a_ragged_lines_number(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_bytes(b'\xef\xbb\xbf"phone, main","name"\r\n"1","a"\r\n"2","b","c"\r\n')
    reader = FileReader(FileSource(type="file", path=path))
    assert reader.columns() == ["phone, main", "name"]
    with pytest.raises(UsageError, match="ragged.csv, line 3: 3 fields where the header has 2"):
        reader.count_rows()


def test_cp1252_semicolons_crlf_and_multiline_quoted_cells(tmp_path):
    path = tmp_path / "excel.csv"
    text = '"Telefon";"Name";"Notiz"\r\n"0170 1";"Jörg Müller";"Zeile 1\r\nZeile 2"\r\n"0170 2";"Zoë";"€ 5"\r\n'
    path.write_bytes(text.encode("cp1252"))
    reader, columns, count, rows = read_all(path, encoding="cp1252", delimiter=";")
    assert (columns, count) == (["Telefon", "Name", "Notiz"], 2)
    assert rows == [
        {"Telefon": "0170 1", "Name": "Jörg Müller", "Notiz": "Zeile 1\r\nZeile 2"},
        {"Telefon": "0170 2", "Name": "Zoë", "Notiz": "€ 5"},
    ]
    assert reader._check_csv() == 2


@pytest.mark.parametrize(("encoding", "declared"), [("utf-16", "utf-8"), ("utf-16-le", "utf-16-le")])
def test_utf16_with_bom(tmp_path, encoding, declared):
    path = tmp_path / "utf16.csv"
    path.write_bytes(("\ufeff" * (encoding == "utf-16-le") + "phone,name\r\n0123,Jörg\r\n").encode(encoding))
    _, columns, count, rows = read_all(path, encoding=declared)
    assert (columns, count, rows) == (["phone", "name"], 1, [{"phone": "0123", "name": "Jörg"}])


def test_jsonl_with_a_bom_before_the_first_object(tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"phone": "0123", "name": "J\xc3\xb6rg"}\r\n{"phone": "0456", "name": "Bo"}\r\n')
    _, columns, count, rows = read_all(path)
    assert (columns, count) == (["phone", "name"], 2)
    assert rows == [{"phone": "0123", "name": "Jörg"}, {"phone": "0456", "name": "Bo"}]


def test_the_tools_own_formula_guard_comes_off_when_its_csv_is_read_again(tmp_path):
    """A rejected.csv fed back as a source: exactly what ``neutralize`` added goes, nothing else."""
    from bulkcontacts.text import csv_cell

    written = ["+1 (650) 555-0100 ext", "=SUM(A1:A3)", "@handle", "-x", "\tTab", "'quoted", "''=x", "plain", "+1 650"]
    guarded = [csv_cell(value, guard=True) for value in written]
    assert guarded[:5] == ["'" + value for value in written[:5]]  # the guard was applied
    path = tmp_path / "rejected.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["phone", "name"])
        for value in guarded:
            out.writerow([value, value])
    rows = read_all(path)[3]
    assert guarded[8] == "+1 650"  # a phone stays bare
    assert [row["name"] for row in rows] == [row["phone"] for row in rows] == written  # exactly what was written


def test_an_undecodable_byte_is_named_by_line_and_column(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes('phone,name\n+91 98000 00001,Ana\n+91 98000 00002,"Multi\nline Jos\xe9"\n'.encode("latin-1"))
    reader = FileReader(FileSource(type="file", path=path))
    with pytest.raises(UsageError, match=r"people\.csv, line 4, column 9: byte 0xe9 is not valid utf-8"):
        list(reader.batches())


@settings(max_examples=500)
@given(st.text(alphabet="'=+-@\t\r 0123456789()xa", max_size=8))
def test_reading_undoes_exactly_what_the_guard_added(value):
    read_back = re.sub(NEUTRALISED, r"\1", neutralize(value), count=1)
    # Exact, except a value that itself began with "'" before a formula: it reads as a spreadsheet shows it.
    assert read_back == (value[1:] if re.match(NEUTRALISED, value) else value)


def test_a_batch_makes_the_row_asked_for_as_its_whole_list_would():
    """``Batch.row``: one row sliced out, rows made in a batch's ``rows_at``, then (many asked) every row:
    always the dict ``rows()`` gives."""
    import pyarrow as pa

    from bulkcontacts.io.readers import ROWS_ASKED_ONE_BY_ONE, Batch

    arrow = pa.RecordBatch.from_pydict({"phone": [f"+91 98{n:08d}" for n in range(300)], "name": ["Ana", None] * 150})
    expected = Batch(1000, arrow).rows()
    batch = Batch(1000, arrow)
    batch.rows_at([5, 7])
    asked = [7, 5, 299, 0, *range(10, 10 + ROWS_ASKED_ONE_BY_ONE + 5)]
    for number in asked:
        assert batch.row(1000 + number) == expected[number]
    assert batch._rows is not None  # many rows asked one by one: the whole batch was made
