import stat

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
