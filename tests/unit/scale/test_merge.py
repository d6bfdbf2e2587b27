"""The merge of shards' outcome files: rows in order within each shard (sorted in spilled runs when long),
the shards in order, one header, only what each checkpoint committed, quoting kept byte for byte."""

from __future__ import annotations

import csv
import io
import random

import pytest

from bulkcontacts.scale import merge
from bulkcontacts.scale.merge import merge_outcomes
from bulkcontacts.scale.plan import ShardPlan, spans_of
from bulkcontacts.state.checkpoint import Progress, StateDir

HEADER = ["row", "reason", "status", "name"]


def _lines(records: list[list[str]]) -> bytes:
    text = io.StringIO(newline="")
    csv.writer(text).writerows(records)
    return text.getvalue().encode()


@pytest.mark.parametrize("run_records", [3, 1000])  # spilled and merged, or sorted in memory
def test_shards_merge_in_row_order_with_only_committed_lines(tmp_path, monkeypatch, run_records):
    monkeypatch.setattr(merge, "RUN_RECORDS", run_records)
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
    assert not list(tmp_path.rglob(".merge-*"))  # the spilled runs are gone


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
