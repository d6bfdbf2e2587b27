"""Rows whose answer was lost (dropped after the server committed, or a kill while under the lease) are looked
up by phone before they are sent again, and recorded with the id the server gave them."""

import json
import signal

from tests.helpers import (
    INTEGRATION,
    assert_exactly_once,
    contact_rows,
    emulator_stats,
    read_csv,
    run_cli,
    set_emulator,
    start_cli,
    wait_for,
    write_csv,
    write_spec,
)


def channel_ids(emulator):
    return {doc["phone_number"]: doc["_id"] for doc in emulator.state.store.all("rampwin", INTEGRATION)}


def test_lost_answers_and_kills_still_record_every_created_row_with_its_real_id(tmp_path, emulator):
    total = 1_500
    set_emulator(emulator, drop_after_rate=0.05, faults_for="rampwin")
    source = write_csv(tmp_path / "in.csv", contact_rows(total))
    spec = write_spec(
        tmp_path / "job.toml",
        source,
        emulator.base_url("rampwin"),
        run='rate = "400/s"',
        sink_extra='token = "${RAMPWIN_TOKEN}"\nlookup_batch = 20',
    )
    for kill_after in (300, 800):  # rows in the channel when the process is killed
        process = start_cli("run", str(spec), cwd=tmp_path)
        assert wait_for(lambda kill_after=kill_after: len(channel_ids(emulator)) >= kill_after, timeout=60)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finished = run_cli("run", str(spec), "-q", cwd=tmp_path)
    assert finished.returncode == 0, finished.stdout + finished.stderr

    state = tmp_path / ".bulkcontacts" / "test-job"
    created, rejected = assert_exactly_once(state, total)
    ids = channel_ids(emulator)
    assert not rejected and len(ids) == total  # each contact created once, none lost
    assert {line["phone_number"]: line["contact_id"] for line in created} == ids  # every id the server's
    counts = json.loads((state / "summary.json").read_text())["counts"]
    assert counts["created:in_doubt_found"] > 0  # answers were lost, and settled by a look-up
    assert "in_doubt_decided_without_lookup" not in counts
    assert emulator_stats(emulator)["faults"] > 0


def test_without_a_token_the_summary_counts_rows_decided_without_a_lookup(tmp_path, emulator):
    set_emulator(emulator, drop_after_rate=0.1, faults_for="rampwin")
    source = write_csv(tmp_path / "in.csv", contact_rows(300))
    spec = write_spec(tmp_path / "job.toml", source, emulator.base_url("rampwin"))
    assert run_cli("run", str(spec), "-q", cwd=tmp_path).returncode == 0
    state = tmp_path / ".bulkcontacts" / "test-job"
    counts = json.loads((state / "summary.json").read_text())["counts"]
    assert counts["in_doubt_decided_without_lookup"] == counts["created:in_doubt_assumed"] > 0
    empty = [line for line in read_csv(state / "created.csv") if not line["contact_id"]]
    assert len(empty) == counts["created:in_doubt_assumed"]
    assert run_cli("report", str(spec), cwd=tmp_path).returncode == 0
    page = (state / "report.html").read_text()
    shown = f'<b class="bad">{counts["in_doubt_decided_without_lookup"]:,}</b>in doubt, not looked up'
    assert shown in page  # the report tells what summary.json counts, with what to do
    assert f"{counts['created:in_doubt_assumed']:,} rows are counted as created without an id" in page
    assert "bulkcontacts verify" in page and "[sink] token" in page
