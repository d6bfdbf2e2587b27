"""State that agrees with itself: --restart forgets everything or nothing, progress made against the
emulator is never carried to the real API, a finished job is complete with or without --workers."""

import json
import signal
from pathlib import Path

from bulkcontacts.jobs import EXIT_OK, EXIT_USAGE
from tests.helpers import (
    assert_exactly_once,
    contact_rows,
    emulator_stats,
    run_cli,
    start_cli,
    wait_for,
    write_csv,
    write_spec,
)

JOBS = Path(__file__).resolve().parents[2] / "jobs"


def fast_copy(tmp_path: Path, name: str) -> Path:
    """A job of the README at rates a test can wait for."""
    job = tmp_path / name
    text = (JOBS / name).read_text()
    job.write_text(
        text.replace('rate = "50/s"', 'rate = "1000/s"').replace('fetch_rate = "3/s"', 'fetch_rate = "50/s"')
    )
    return job


def test_the_readmes_migration_commands_twice_in_a_row_verify_clean_both_times(tmp_path):
    job = fast_copy(tmp_path, "migrate-smartflo-to-rampwin.toml")
    state = tmp_path / ".bulkcontacts" / "migrate-smartflo-to-rampwin"
    for round_ in (1, 2):
        dry = run_cli("run", str(job), "--dry-run", "--emulate", "--restart", "-q", cwd=tmp_path, timeout=120)
        assert dry.returncode == EXIT_OK, (round_, dry.stdout + dry.stderr)
        assert not (state / "checkpoint.json").exists()  # the send phase's progress went with the store
        sent = run_cli("run", str(job), "--emulate", "-q", cwd=tmp_path, timeout=120)
        assert sent.returncode == EXIT_OK and "already complete" not in sent.stdout, (round_, sent.stdout)
        verified = run_cli("verify", str(job), "--emulate", "-q", cwd=tmp_path, timeout=120)
        assert verified.returncode == EXIT_OK, (round_, verified.stdout + verified.stderr)
        assert json.loads((state / "verify.json").read_text())["counts"]["created"] == 1000


def test_progress_made_against_the_emulator_is_named_as_such_not_as_a_changed_mapping(tmp_path, emulator):
    source = write_csv(tmp_path / "in.csv", contact_rows(30))
    spec = write_spec(tmp_path / "job.toml", source, emulator.base_url("rampwin"))
    emulated = run_cli("run", str(spec), "--emulate", "-q", cwd=tmp_path)
    assert emulated.returncode == EXIT_OK, emulated.stdout + emulated.stderr
    real = run_cli("run", str(spec), "-q", cwd=tmp_path)
    assert real.returncode == EXIT_USAGE, real.stdout + real.stderr
    assert "made against the emulator" in real.stderr and "--restart" in real.stderr
    assert "changed" not in real.stderr
    assert emulator.state.store.count("rampwin") == 0  # nothing went to the "real" API
    started_over = run_cli("run", str(spec), "--restart", "-q", cwd=tmp_path)
    assert started_over.returncode == EXIT_OK, started_over.stdout + started_over.stderr
    assert emulator.state.store.count("rampwin") == 30
    back = run_cli("run", str(spec), "--emulate", "-q", cwd=tmp_path)
    assert back.returncode == EXIT_USAGE and "made against the real API" in back.stderr


def test_a_finished_job_is_complete_with_or_without_workers(tmp_path, emulator):
    source = write_csv(tmp_path / "in.csv", contact_rows(40))
    spec = write_spec(tmp_path / "job.toml", source, emulator.base_url("rampwin"))
    first = run_cli("run", str(spec), "-q", cwd=tmp_path)
    assert first.returncode == EXIT_OK, first.stdout + first.stderr
    again = run_cli("run", str(spec), "--workers", "2", "-q", cwd=tmp_path, timeout=120)
    assert again.returncode == EXIT_OK and "already complete" in again.stdout, again.stdout + again.stderr
    assert emulator_stats(emulator)["requests"] == 40  # nothing sent twice


def test_a_job_under_way_in_one_process_is_not_sent_again_in_shards(tmp_path, emulator):
    source = write_csv(tmp_path / "in.csv", contact_rows(400))
    spec = write_spec(tmp_path / "job.toml", source, emulator.base_url("rampwin"), run='rate = "200/s"')
    process = start_cli("run", str(spec), "-q", cwd=tmp_path)
    assert wait_for(lambda: emulator.state.store.count("rampwin") >= 60, timeout=60)
    process.send_signal(signal.SIGKILL)
    process.wait()
    sharded = run_cli("run", str(spec), "--workers", "2", "-q", cwd=tmp_path, timeout=60)
    assert sharded.returncode == EXIT_USAGE, sharded.stdout + sharded.stderr
    assert "started in one process" in sharded.stderr and "without --workers" in sharded.stderr
    finished = run_cli("run", str(spec), "-q", cwd=tmp_path, timeout=120)
    assert finished.returncode == EXIT_OK, finished.stdout + finished.stderr
    assert_exactly_once(tmp_path / ".bulkcontacts" / "test-job", 400)
    assert emulator.state.store.count("rampwin") == 400
