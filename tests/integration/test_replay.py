"""Imports in upsert mode, --retry-rejected and verify, over a real socket against the emulator."""

import json
import signal

from bulkcontacts.jobs import EXIT_OK, EXIT_REJECTIONS, EXIT_USAGE
from tests.helpers import (
    INTEGRATION,
    assert_exactly_once,
    contact_rows,
    read_csv,
    run_cli,
    set_emulator,
    start_cli,
    wait_for,
    write_csv,
    write_spec,
)

TOKEN = 'token = "${RAMPWIN_TOKEN}"'


def stored(emulator):
    return {doc["phone_number"]: doc for doc in emulator.state.store.all("rampwin", INTEGRATION)}


def test_upsert_overwrites_the_fields_sent_keeps_the_others_and_never_duplicates(tmp_path, emulator):
    rows = contact_rows(30)
    source = write_csv(tmp_path / "in.csv", rows)
    spec = write_spec(tmp_path / "job.toml", source, emulator.base_url("rampwin"), sink_extra='mode = "upsert"')
    assert run_cli("run", str(spec), "-q", cwd=tmp_path).returncode == EXIT_OK
    first = stored(emulator)
    for row in rows:
        row["plan"], row["tags"] = "platinum", ""  # an empty cell is not sent
    write_csv(source, rows)
    again = run_cli("run", str(spec), "-q", "--restart", cwd=tmp_path)
    assert again.returncode == EXIT_OK, again.stdout + again.stderr
    second = stored(emulator)
    assert sorted(second) == sorted(first)  # the same 30 contacts, no duplicate
    for phone, doc in second.items():
        assert doc["plan"] == "platinum" and doc["_id"] == first[phone]["_id"]
        assert doc.get("tags") == first[phone].get("tags")  # not sent this time: kept


def test_retry_rejected_after_fixing_rows_in_place_keeps_row_numbers(tmp_path, emulator):
    rows = contact_rows(40)
    for index in (3, 17, 31):
        rows[index]["phone"] = "12345"
    source = write_csv(tmp_path / "in.csv", rows)
    spec = write_spec(tmp_path / "job.toml", source, emulator.base_url("rampwin"))
    assert run_cli("run", str(spec), "-q", cwd=tmp_path).returncode == EXIT_REJECTIONS
    state = tmp_path / ".bulkcontacts" / "test-job"
    assert [line["row"] for line in read_csv(state / "rejected.csv")] == ["3", "17", "31"]

    rows[3]["phone"], rows[17]["phone"] = "+91 97000 00003", "+91 97000 00017"  # row 31 stays wrong
    write_csv(source, rows)
    retried = run_cli("run", str(spec), "-q", "--retry-rejected", cwd=tmp_path)
    assert retried.returncode == EXIT_REJECTIONS, retried.stdout + retried.stderr
    created, rejected = assert_exactly_once(state, 40)
    assert [line["row"] for line in rejected] == ["31"]
    assert {line["row"]: line["phone_number"] for line in created}["17"] == "919700000017"
    assert len(stored(emulator)) == 39
    summary = json.loads((state / "summary.json").read_text())
    assert summary["counts"]["created"] == 39 and summary["counts"]["rejected"] == 1

    write_csv(source, rows + contact_rows(1, start=900))
    grown = run_cli("run", str(spec), "-q", "--retry-rejected", cwd=tmp_path)
    assert grown.returncode == EXIT_USAGE and "fixed in place" in grown.stderr


def test_retry_rejected_needs_a_finished_run(tmp_path, emulator):
    source = write_csv(tmp_path / "in.csv", contact_rows(5))
    spec = write_spec(tmp_path / "job.toml", source, emulator.base_url("rampwin"))
    never = run_cli("run", str(spec), "-q", "--retry-rejected", cwd=tmp_path)
    assert never.returncode == EXIT_USAGE and "has not run yet" in never.stderr


def test_an_edited_rejected_csv_is_a_source_of_its_own(tmp_path, emulator):
    rows = contact_rows(10)
    rows[3]["phone"] = "bad"
    source = write_csv(tmp_path / "in.csv", rows)
    spec = write_spec(tmp_path / "job.toml", source, emulator.base_url("rampwin"))
    run_cli("run", str(spec), "-q", cwd=tmp_path)
    rejected = read_csv(tmp_path / ".bulkcontacts" / "test-job" / "rejected.csv")
    rejected[0]["phone"] = "+91 96000 00003"
    fixed = write_csv(tmp_path / "fixed.csv", rejected)
    again = write_spec(tmp_path / "again.toml", fixed, emulator.base_url("rampwin"), name="again")
    assert run_cli("run", str(again), "-q", cwd=tmp_path).returncode == EXIT_OK
    doc = stored(emulator)["919600000003"]
    assert doc["full_name"] == "Contact 3" and doc["tags"] == ["a", "b"] and doc["plan"] == "silver"
    assert not {"row", "reason", "status"} & set(doc)


def test_verify_an_import_job(tmp_path, emulator):
    rows = contact_rows(25)
    rows[2]["phone"] = "nope"
    source = write_csv(tmp_path / "in.csv", rows)
    spec = write_spec(tmp_path / "job.toml", source, emulator.base_url("rampwin"), sink_extra=TOKEN)
    run_cli("run", str(spec), "-q", cwd=tmp_path)
    result = run_cli("verify", str(spec), cwd=tmp_path)
    assert result.returncode == EXIT_OK, result.stdout + result.stderr
    counts = json.loads((tmp_path / ".bulkcontacts" / "test-job" / "verify.json").read_text())["counts"]
    assert counts == {"created": 24, "missing": 0, "mismatched": 0, "extra": 0, "invalid": 1}
    assert "nothing missing" in result.stdout


def test_sigkill_during_a_retry_then_resume_is_exactly_once(tmp_path, emulator):
    total = 600
    rows = contact_rows(total)
    for row in rows[::2]:
        row["name"] = ""  # 300 rows with no name: rejected
    source = write_csv(tmp_path / "in.csv", rows)
    strict = write_spec(
        tmp_path / "job.toml",
        source,
        emulator.base_url("rampwin"),
        run='rate = "200/s"\nconcurrency = 8\ncheckpoint_every = 0.2',
    )
    assert run_cli("run", str(strict), "-q", cwd=tmp_path).returncode == EXIT_REJECTIONS
    lenient = write_spec(
        tmp_path / "job.toml",
        source,
        emulator.base_url("rampwin"),
        mapping='missing_name = "phone"',
        run='rate = "200/s"\nconcurrency = 8\ncheckpoint_every = 0.2',
    )
    set_emulator(emulator, latency=0.01, drop_after_rate=0.03)
    for kill_at in (360, 420, 520):
        process = start_cli("run", str(lenient), "-q", "--retry-rejected", cwd=tmp_path)
        assert wait_for(lambda kill_at=kill_at: len(stored(emulator)) >= kill_at, timeout=60)
        process.send_signal(signal.SIGKILL)
        process.wait()
    set_emulator(emulator, drop_after_rate=0.0, latency=0.0)
    result = run_cli("run", str(lenient), "-q", cwd=tmp_path)  # an interrupted retry resumes like any run
    assert result.returncode == EXIT_OK, result.stdout + result.stderr
    created, rejected = assert_exactly_once(tmp_path / ".bulkcontacts" / "test-job", total)
    assert not rejected and len(stored(emulator)) == total
    assert sorted(stored(emulator)) == sorted(line["phone_number"] for line in created)
