"""The merge of shards' outcome files: rows in order within each shard (sorted in spilled runs when long),
the shards in order, one header, only what each checkpoint committed, quoting kept byte for byte."""

from __future__ import annotations

import csv
import io
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bulkcontacts.scale import merge
from bulkcontacts.scale.merge import merge_outcomes
from bulkcontacts.scale.plan import ShardPlan, spans_of
from bulkcontacts.state.checkpoint import Progress, StateDir

HEADER = ["row", "reason", "status", "name"]


def _lines(records: list[list[str]]) -> bytes:
    text = io.StringIO(newline="")
    csv.writer(text).writerows(records)
    return text.getvalue().encode()


@pytest.mark.parametrize("bucket_rows", [3, 1000])  # a range of rows at a time, or the whole shard at once
def test_shards_merge_in_row_order_with_only_committed_lines(tmp_path, monkeypatch, bucket_rows):
    monkeypatch.setattr(merge, "BUCKET_ROWS", bucket_rows)
    plan = ShardPlan(2, 20, "f", spans_of(20, 2))
    expected = [HEADER]
    for index, (start, end) in enumerate(plan.spans):
        shard = StateDir(plan.shard_path(tmp_path, index))
        shard.create()
        records = [[str(row), f'bad, "quoted"\nline {row}', "400", f"=name{row}"] for row in range(start, end)]
        expected += records
        random.Random(index).shuffle(records)  # completion order
        committed = _lines([HEADER, *records])
        for name in merge.OUTCOME_FILES:
            shard.file(name).write_bytes(committed + b"99,torn line after the last commit")
        shard.save(Progress("import", "f", "s", offsets=dict.fromkeys(merge.OUTCOME_FILES, len(committed))))
    files = merge_outcomes(plan, tmp_path)
    for name in ("created", "rejected"):
        assert (tmp_path / f"{name}.csv").read_bytes() == _lines(expected)
        assert files[name] == str(tmp_path / f"{name}.csv")


def test_the_shards_ambiguous_phones_add_up_with_the_first_example():
    from bulkcontacts.scale.merge import shard_ambiguities

    found = shard_ambiguities(
        [
            {"ambiguous_phones": {"rows": 0, "example": None}},
            {"ambiguous_phones": {"rows": 3, "example": "'91…' read as …"}},
            {},
            {"ambiguous_phones": {"rows": 2, "example": "'49…' read as …"}},
        ]
    )
    assert (found.rows, found.example) == (5, "'91…' read as …")
    assert "5 phones written without" in found.advice()


CELL = st.text(alphabet=["a", " ", ",", '"', "\n", "\r", "é", "=", "'", ";", "\t", "1", "€"], max_size=8)


@settings(max_examples=30, deadline=None)
@given(cells=st.lists(st.tuples(CELL, CELL, CELL), min_size=0, max_size=60), bucket_rows=st.sampled_from([7, 1000]))
def test_the_column_wise_merge_writes_the_bytes_pythons_csv_writes(tmp_path_factory, cells, bucket_rows):
    """Any cell text (quotes, commas, CR and LF, tabs, leading "'" and "="), duplicate column names: the merged
    file is byte for byte what csv.writer writes for the records in row order."""
    root = tmp_path_factory.mktemp("merge")
    header = ["row", "reason", "status", "status"]  # a source column may share a name with another one
    plan = ShardPlan(2, len(cells), "f", spans_of(len(cells), 2) if cells else [(0, 0), (0, 0)])
    records = [[str(row), *values] for row, values in enumerate(cells)]
    for index, (start, end) in enumerate(plan.spans):
        shard = StateDir(plan.shard_path(root, index))
        shard.create()
        mine = records[start:end]
        random.Random(index).shuffle(mine)
        committed = _lines([header, *mine])
        for name in merge.OUTCOME_FILES:
            shard.file(name).write_bytes(committed)
        shard.save(Progress("import", "f", "s", offsets=dict.fromkeys(merge.OUTCOME_FILES, len(committed))))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(merge, "BUCKET_ROWS", bucket_rows)
        merge_outcomes(plan, root)
    assert (root / "created.csv").read_bytes() == _lines([header, *records])
