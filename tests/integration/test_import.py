"""Imports over a real socket against the emulator."""

import json
import os
import signal
import stat
import time
from pathlib import Path

from bulkcontacts.config.load import load_spec
from bulkcontacts.jobs import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_REJECTIONS,
    EXIT_USAGE,
)
from bulkcontacts.jobs.imports import RowSpan, run_import
from bulkcontacts.ui.display import make_display
from tests.helpers import (
    API_KEY,
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

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "contacts.csv"


def store_phones(emulator):
    docs = emulator.state.store.all("rampwin", INTEGRATION)
    return [doc["phone_number"] for doc in docs], docs


def test_full_import_matches_the_store_and_outcome_files(tmp_path, emulator):
    rows = contact_rows(300)
    rows[10]["phone"] = "12345"
    rows[20]["phone"] = rows[5]["phone"].replace(" ", "")
    rows[30]["name"] = ""
    source = write_csv(tmp_path / "in.csv", rows)
    spec = write_spec(tmp_path / "job.toml", source, emulator.base_url("rampwin"))
    result = run_cli("run", str(spec), "-q", cwd=tmp_path)
    assert result.returncode == EXIT_REJECTIONS, result.stderr
    state = tmp_path / ".bulkcontacts" / "test-job"
    created, rejected = assert_exactly_once(state, 300)
    assert {int(line["row"]) for line in rejected} == {10, 20, 30}
    phones, docs = store_phones(emulator)
    assert sorted(phones) == sorted(line["phone_number"] for line in created)
    assert {line["contact_id"] for line in created} == {doc["_id"] for doc in docs}
    first = next(doc for doc in docs if doc["phone_number"] == "919800000000")
    assert first["full_name"] == "Contact 0" and first["plan"] == "gold" and first["tags"] == ["a", "b"]
    assert first["integration_id"] == INTEGRATION
    reasons = {line["row"]: line for line in rejected}
    assert "appears earlier" in reasons["20"]["reason"] and reasons["20"]["phone"] == rows[20]["phone"]
    summary = json.loads((state / "summary.json").read_text())
    assert summary["counts"]["created"] == 297 and summary["counts"]["rejected"] == 3
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in state.iterdir())
    again = run_cli("run", str(spec), "-q", cwd=tmp_path)
    assert "already complete" in again.stdout and len(store_phones(emulator)[0]) == 297


def test_429_storm_is_absorbed_without_rejections(tmp_path, emulator):
    set_emulator(emulator, rate_limit=40)
    source = write_csv(tmp_path / "in.csv", contact_rows(150))
    spec = write_spec(
        tmp_path / "job.toml", source, emulator.base_url("rampwin"), run='rate = "400/s"\nconcurrency = 8'
    )
    result = run_cli("run", str(spec), "-q", cwd=tmp_path)
    assert result.returncode == EXIT_OK, result.stdout + result.stderr
    assert emulator_stats(emulator)["throttled"] > 0
    created, rejected = assert_exactly_once(tmp_path / ".bulkcontacts" / "test-job", 150)
    assert len(created) == 150 and rejected == []
    assert len(store_phones(emulator)[0]) == 150


def test_paced_import_stays_under_the_server_limit(tmp_path, emulator):
    set_emulator(emulator, rate_limit=100)
    source = write_csv(tmp_path / "in.csv", contact_rows(250))
    spec = write_spec(
        tmp_path / "job.toml", source, emulator.base_url("rampwin"), run='rate = "100/s"\nconcurrency = 8'
    )
    result = run_cli("run", str(spec), "-q", cwd=tmp_path)
    assert result.returncode == EXIT_OK, result.stderr
    assert emulator_stats(emulator)["throttled"] == 0
    assert emulator_stats(emulator)["max_in_window"] <= 100


def test_sigkill_mid_import_then_resume_is_exactly_once(tmp_path, emulator):
    total = 600
    rows = contact_rows(total)
    rows[111]["phone"] = "not a phone"
    source = write_csv(tmp_path / "in.csv", rows)
    spec = write_spec(
        tmp_path / "job.toml",
        source,
        emulator.base_url("rampwin"),
        run='rate = "300/s"\nconcurrency = 8\ncheckpoint_every = 0.2',
    )
    set_emulator(emulator, latency=0.01, drop_after_rate=0.02)
    for kill_at in (80, 250, 420):
        process = start_cli("run", str(spec), "-q", cwd=tmp_path)
        assert wait_for(lambda kill_at=kill_at: len(store_phones(emulator)[0]) >= kill_at, timeout=60)
        process.send_signal(signal.SIGKILL)
        process.wait()
    set_emulator(emulator, drop_after_rate=0.0)
    result = run_cli("run", str(spec), "-q", cwd=tmp_path)
    assert result.returncode == EXIT_REJECTIONS, result.stdout + result.stderr
    created, rejected = assert_exactly_once(tmp_path / ".bulkcontacts" / "test-job", total)
    assert [line["row"] for line in rejected] == ["111"]
    phones, _ = store_phones(emulator)
    assert len(phones) == len(set(phones)) == total - 1
    assert sorted(phones) == sorted(line["phone_number"] for line in created)


def test_changed_source_refuses_to_resume_until_restart(tmp_path, emulator):
    source = write_csv(tmp_path / "in.csv", contact_rows(20))
    spec = write_spec(tmp_path / "job.toml", source, emulator.base_url("rampwin"))
    assert run_cli("run", str(spec), "-q", cwd=tmp_path).returncode == EXIT_OK
    write_csv(source, contact_rows(25))
    refused = run_cli("run", str(spec), "-q", cwd=tmp_path)
    assert refused.returncode == EXIT_USAGE and "the source changed" in refused.stderr
    spec.write_text(spec.read_text().replace('separator = ";"', 'separator = "|"'))
    write_csv(source, contact_rows(20))
    refused = run_cli("run", str(spec), "-q", cwd=tmp_path)
    assert refused.returncode == EXIT_USAGE and "[mapping]" in refused.stderr
    restarted = run_cli("run", str(spec), "-q", "--restart", cwd=tmp_path)
    assert restarted.returncode == EXIT_REJECTIONS  # all 20 exist already: duplicates now
    assert len(read_csv(tmp_path / ".bulkcontacts" / "test-job" / "rejected.csv")) == 20


def test_bad_credentials_stop_the_job_resumably(tmp_path, emulator):
    set_emulator(emulator, api_key=API_KEY)
    source = write_csv(tmp_path / "in.csv", contact_rows(30))
    spec = write_spec(tmp_path / "job.toml", source, emulator.base_url("rampwin"))
    refused = run_cli("run", str(spec), "-q", cwd=tmp_path, env={"RAMPWIN_API_KEY": "wrong-key-0000"})
    assert refused.returncode == EXIT_REFUSED and "refused the credentials" in refused.stdout
    assert "wrong-key-0000" not in refused.stdout + refused.stderr
    resumed = run_cli("run", str(spec), "-q", cwd=tmp_path)
    assert resumed.returncode == EXIT_OK
    assert_exactly_once(tmp_path / ".bulkcontacts" / "test-job", 30)


def test_missing_column_and_env_fail_before_any_request(tmp_path, emulator):
    source = write_csv(tmp_path / "in.csv", contact_rows(5))
    spec = write_spec(tmp_path / "job.toml", source, emulator.base_url("rampwin"), mapping='email = "mail"')
    result = run_cli("run", str(spec), cwd=tmp_path)
    assert result.returncode == EXIT_USAGE
    assert "column 'mail' is not in the source" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    spec = write_spec(tmp_path / "job.toml", source, emulator.base_url("rampwin"))
    env = {key: value for key, value in os.environ.items() if key != "RAMPWIN_API_KEY"}
    result = run_cli("run", str(spec), cwd=tmp_path, env={"RAMPWIN_API_KEY": ""} | env)
    assert result.returncode == EXIT_USAGE and "RAMPWIN_API_KEY is not set" in result.stderr
    assert emulator_stats(emulator)["requests"] == 0


def test_sigint_stops_gracefully_and_resumes(tmp_path, emulator):
    set_emulator(emulator, latency=0.01)
    source = write_csv(tmp_path / "in.csv", contact_rows(400))
    spec = write_spec(tmp_path / "job.toml", source, emulator.base_url("rampwin"), run='rate = "100/s"')
    process = start_cli("run", str(spec), cwd=tmp_path)
    assert wait_for(lambda: len(store_phones(emulator)[0]) >= 50, timeout=30)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == EXIT_INTERRUPTED, stderr
    assert "run the same command again to resume" in stdout
    done = len(read_csv(tmp_path / ".bulkcontacts" / "test-job" / "created.csv"))
    assert done == len(store_phones(emulator)[0])  # everything sent was recorded before exiting
    set_emulator(emulator, latency=0.0)
    assert run_cli("run", str(spec), "-q", cwd=tmp_path).returncode == EXIT_OK
    assert_exactly_once(tmp_path / ".bulkcontacts" / "test-job", 400)


def test_validate_prints_payloads_and_sends_nothing(tmp_path, emulator):
    rows = contact_rows(5)
    rows[1]["phone"] = "9.19877E+11"
    source = write_csv(tmp_path / "in.csv", rows)
    spec = write_spec(tmp_path / "job.toml", source, emulator.base_url("rampwin"))
    result = run_cli("validate", str(spec), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert '"phone_number": 919800000000' in result.stdout and "lost digits" in result.stdout
    assert emulator_stats(emulator)["requests"] == 0


def test_rejected_csv_neutralises_formulas_but_keeps_phones(tmp_path, emulator):
    rows = contact_rows(3)
    rows[0]["name"] = ""
    rows[0]["plan"] = '=HYPERLINK("http://x")'
    source = write_csv(tmp_path / "in.csv", rows)
    spec = write_spec(tmp_path / "job.toml", source, emulator.base_url("rampwin"))
    assert run_cli("run", str(spec), "-q", cwd=tmp_path).returncode == EXIT_REJECTIONS
    (line,) = read_csv(tmp_path / ".bulkcontacts" / "test-job" / "rejected.csv")
    assert line["plan"].startswith("'=") and line["phone"] == rows[0]["phone"]


def test_a_rerun_into_a_channel_that_holds_the_rows_says_why_they_were_rejected(tmp_path, emulator):
    source = write_csv(tmp_path / "in.csv", contact_rows(40))
    spec = write_spec(tmp_path / "job.toml", source, emulator.base_url("rampwin"))
    assert run_cli("run", str(spec), "-q", cwd=tmp_path).returncode == 0
    again = run_cli("run", str(spec), "-q", "--restart", cwd=tmp_path)
    assert again.returncode == EXIT_REJECTIONS
    assert '40 rows got Rampwin\'s "Validation error or duplicate contact"' in again.stdout
    assert 'mode = "upsert"' in again.stdout


def test_a_second_sigint_quits_at_once_still_resumable_and_says_so(tmp_path, emulator):
    set_emulator(emulator, latency=2.0)  # the first stop waits for requests under way: the second lands then
    source = write_csv(tmp_path / "in.csv", contact_rows(200))
    spec = write_spec(tmp_path / "job.toml", source, emulator.base_url("rampwin"), run='rate = "50/s"')
    process = start_cli("run", str(spec), cwd=tmp_path)
    assert wait_for(lambda: emulator_stats(emulator)["requests"] >= 8, timeout=30)
    process.send_signal(signal.SIGINT)
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == EXIT_INTERRUPTED, stdout + stderr
    assert "stopped at once; run the same command again to resume" in stderr
    assert "Traceback" not in stdout + stderr
    set_emulator(emulator, latency=0.0)
    assert run_cli("run", str(spec), "-q", cwd=tmp_path).returncode == EXIT_OK
    assert_exactly_once(tmp_path / ".bulkcontacts" / "test-job", 200)


async def test_shards_count_the_ambiguous_phones_of_their_own_rows_only(tmp_path, emulator):
    """A shard reads the rows before its own (for duplicates): their phones are not its to count."""
    spec = load_spec(write_spec(tmp_path / "job.toml", SAMPLE, emulator.base_url("rampwin")))
    counted = []
    for span in ((0, 1200), (0, 500), (500, 1200)):
        result = await run_import(spec, state_path=tmp_path / f"state-{span[0]}-{span[1]}", restart=False,
                                  display=make_display(quiet=True), span=RowSpan(*span))  # fmt: skip
        counted.append(result.ambiguous.rows)
    whole, first, second = counted
    assert whole == 15 and first + second == whole and first > 0 and second > 0


async def test_shards_given_the_drivers_pass_reject_the_repeats_one_process_rejects(tmp_path, emulator):
    """Phones repeated across a shard boundary in other shapes (national with a trunk 0, without the +),
    quoted cells across lines: shards that read only their own rows, with the repeats the driver found,
    create and reject exactly the rows one process does."""
    from bulkcontacts.io.readers import FileReader
    from bulkcontacts.scale.plan import ShardPlan, spans_of
    from bulkcontacts.scale.source import index_source, shard_rows

    rows = contact_rows(900)
    for row in range(0, 900, 7):
        rows[row]["name"] = f"Line one\nline two of {row}"
    for row, earlier in ((500, 20), (650, 21), (899, 480), (460, 459)):
        digits = rows[earlier]["phone"][4:]
        rows[row]["phone"] = ["098" + digits[2:], "91" + digits, "+91-" + digits][row % 3]
    source = write_csv(tmp_path / "in.csv", rows)
    spec = load_spec(write_spec(tmp_path / "job.toml", source, emulator.base_url("rampwin")))
    whole = tmp_path / "whole"
    await run_import(spec, state_path=whole, restart=False, display=make_display(quiet=True))
    with emulator.state.store.lock:
        emulator.state.store.db.execute("DELETE FROM contacts")  # the shards create the same contacts anew
    plan = ShardPlan(3, 900, "f", spans_of(900, 3))
    (tmp_path / "sharded" / "shards").mkdir(parents=True)
    index_source(spec, FileReader(spec.source), plan, tmp_path / "sharded")
    outcomes: dict[str, list[dict[str, str]]] = {"created.csv": [], "rejected.csv": []}
    for number, span in enumerate(plan.spans):
        shard = shard_rows(tmp_path / "sharded", span)
        assert shard.index is not None and shard.repeats is not None
        await run_import(spec, state_path=tmp_path / f"shard-{number}", restart=False,
                         display=make_display(quiet=True), span=shard)  # fmt: skip
        for name, lines in outcomes.items():
            lines += read_csv(tmp_path / f"shard-{number}" / name)
    one = {name: read_csv(whole / name) for name in outcomes}
    sharded = {line["row"]: line["reason"] for line in outcomes["rejected.csv"]}
    assert sharded == {line["row"]: line["reason"] for line in one["rejected.csv"]}
    assert sorted(sharded, key=int) == ["460", "500", "650", "899"]
    assert all("appears earlier in the file" in reason for reason in sharded.values())
    assert sorted(line["row"] for line in outcomes["created.csv"]) == sorted(line["row"] for line in one["created.csv"])
