import json

import polars as pl

from bulkcontacts.config.sinks import FileSink
from bulkcontacts.io.writers import assemble
from bulkcontacts.state.parts import PartStore
from bulkcontacts.text import neutralize


def test_duplicates_across_pages_are_dropped_first_wins_and_counted(tmp_path):
    parts = PartStore(tmp_path / "parts")
    parts.create()
    parts.write(0, [{"id": 1, "v": "a", "u": "2024-01-02"}, {"id": 2, "v": "b", "u": "2024-01-05"}], "id", "u")
    parts.write(
        1, [{"id": 2, "v": "b-again", "u": "2024-01-06"}, {"id": 3, "v": "=HYPERLINK(1)", "u": "2024-01-03"}], "id", "u"
    )
    sink = FileSink(type="file", path=tmp_path / "out.csv")
    done = assemble(parts, 2, sink, id_field="id", updated_field="u", normalize=None)
    assert (done.records, done.duplicates, done.newest_update) == (3, 1, "2024-01-05")
    frame = pl.read_csv(sink.path, infer_schema=False)
    assert frame["v"].to_list() == ["a", "b", "'=HYPERLINK(1)"]


def test_parquet_unifies_types_across_batches_and_keeps_nesting(tmp_path):
    parts = PartStore(tmp_path / "parts")
    parts.create()
    parts.write(0, [{"id": 1, "tags": None, "n": 1}], "id", "u")
    parts.write(1, [{"id": 2, "tags": ["x", "y"], "n": 2.5, "extra": {"k": "v"}}], "id", "u")
    sink = FileSink(type="file", path=tmp_path / "out.parquet")
    assemble(parts, 2, sink, id_field="id", updated_field="u", normalize=None)
    frame = pl.read_parquet(sink.path)
    assert frame["tags"].to_list() == [None, ["x", "y"]] and frame["n"].to_list() == [1.0, 2.5]
    assert frame["extra"].to_list()[1] == {"k": "v"}


def test_formula_neutralising_spares_phone_numbers():
    assert neutralize("+91 98765 43210") == "+91 98765 43210"
    assert neutralize("-12.5") == "-12.5"
    assert neutralize("+cmd|' /C calc'!A0") == "'+cmd|' /C calc'!A0"
    assert neutralize("@SUM(1)") == "'@SUM(1)" and neutralize("=1+1") == "'=1+1"


def test_jsonl_output_is_the_records_as_sent(tmp_path):
    parts = PartStore(tmp_path / "parts")
    parts.create()
    parts.write(0, [{"id": "a", "nested": {"x": [1, 2]}}], "id", "u")
    sink = FileSink(type="file", path=tmp_path / "out.jsonl")
    assemble(parts, 1, sink, id_field="id", updated_field="u", normalize=None)
    assert json.loads(sink.path.read_text()) == {"id": "a", "nested": {"x": [1, 2]}}


def test_parts_written_without_keys_are_assembled_from_their_records(tmp_path):
    """Part files left by a release that wrote no keys beside them: the ids are read from the records."""
    parts = PartStore(tmp_path / "parts")
    parts.create()
    parts.write(
        0, [{"id": 1, "u": "2024-01-02"}, {"id": 1, "u": "2024-01-09"}, {"id": 2, "u": "2024-01-05"}], "id", "u"
    )
    parts.keys_path(0).unlink()
    sink = FileSink(type="file", path=tmp_path / "out.jsonl")
    done = assemble(parts, 1, sink, id_field="id", updated_field="u", normalize=None)
    assert (done.records, done.duplicates, done.newest_update) == (2, 1, "2024-01-05")
    assert [json.loads(line)["u"] for line in sink.path.read_text().splitlines()] == ["2024-01-02", "2024-01-05"]


def test_parquet_that_polars_cannot_type_is_written_whole_every_time(tmp_path):
    """Polars gives up on these records and the Python writer takes over: its file must never be the one
    Polars was writing (seen: corrupt in 38 of 150 tries when it was)."""
    for attempt in range(30):
        parts = PartStore(tmp_path / f"parts{attempt}")
        parts.create()
        parts.write(0, [{"id": 1, "tags": None}], "id", "u")
        parts.write(1, [{"id": 2, "tags": ["x"], "extra": {"k": "v"}}], "id", "u")
        sink = FileSink(type="file", path=tmp_path / f"out{attempt}.parquet")
        assemble(parts, 2, sink, id_field="id", updated_field="u", normalize=None)
        assert pl.read_parquet(sink.path)["extra"].to_list() == [None, {"k": "v"}]
    assert not list(tmp_path.glob(".*polars*"))  # nothing of Polars' attempt is left beside the output
