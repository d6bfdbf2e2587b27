import stat

from hypothesis import given, settings
from hypothesis import strategies as st

from bulkcontacts.state.checkpoint import Progress, StateDir


def test_low_water_advances_over_out_of_order_completions():
    progress = Progress(kind="import", source_fingerprint="s", shape_fingerprint="m")
    for unit in (2, 0, 3, 5):
        progress.mark_done(unit)
    assert progress.low_water == 1 and progress.done_above == {2, 3, 5}
    progress.mark_done(1)
    assert progress.low_water == 4 and progress.done_above == {5}
    assert progress.is_done(3) and not progress.is_done(4) and progress.is_done(5)
    assert progress.done_count == 5


@settings(max_examples=200, deadline=None)
@given(commits=st.lists(st.lists(st.integers(0, 40), max_size=12), max_size=8))
def test_a_commits_units_marked_at_once_leave_what_marking_each_leaves(commits):
    """A commit marks its units in one go: the low-water mark and the units above it are as if each unit
    had been marked on its own (repeats, units under the mark, gaps)."""
    together = Progress(kind="import", source_fingerprint="s", shape_fingerprint="m")
    one_by_one = Progress(kind="import", source_fingerprint="s", shape_fingerprint="m")
    done: set[int] = set()
    for units in commits:
        together.mark_all_done(iter(units))
        done.update(units)
        low = 0
        while low in done:
            low += 1
        assert together.low_water == low and together.done_above == {unit for unit in done if unit > low}
    for unit in (unit for units in commits for unit in units):
        one_by_one.mark_done(unit)
    assert (one_by_one.low_water, one_by_one.done_above) == (together.low_water, together.done_above)


def test_state_is_private_and_round_trips(tmp_path):
    state = StateDir(tmp_path / "state" / "job")
    state.create()
    progress = Progress(kind="import", source_fingerprint="s", shape_fingerprint="m", counts={"created": 3})
    progress.mark_done(7)
    state.save(progress)
    assert stat.S_IMODE(state.path.stat().st_mode) == 0o700
    assert stat.S_IMODE(state.checkpoint_path.stat().st_mode) == 0o600
    loaded = state.load()
    assert loaded.done_above == {7} and loaded.counts == {"created": 3}
    assert [p.name for p in state.path.iterdir()] == ["checkpoint.json"]  # no temporary file left behind


def test_an_outcome_file_reopened_over_an_uncommitted_tail_reports_its_true_length(tmp_path):
    from bulkcontacts.state.ledger import OutcomeFile

    path = tmp_path / "rejected.csv"
    path.write_bytes(b"row,reason\r\n1,bad\r\n2,uncommitted tail\r\n")
    committed = len(b"row,reason\r\n1,bad\r\n")
    outcome = OutcomeFile(path, ["row", "reason"])
    outcome.open(committed)
    try:
        assert outcome.sync() == committed == path.stat().st_size  # nothing appended: the length still holds
        outcome.append([[3, "next"]])
        assert outcome.sync() == path.stat().st_size == committed + len(b"3,next\r\n")
    finally:
        outcome.close()
