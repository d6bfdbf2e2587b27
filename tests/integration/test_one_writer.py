"""One writer per job: a second copy of a running job exits 2 at once naming the first; readers still read;
a holder that dies leaves nothing to delete by hand."""

import signal
import socket

from bulkcontacts.jobs import EXIT_OK, EXIT_USAGE
from tests.helpers import (
    assert_exactly_once,
    contact_rows,
    run_cli,
    start_cli,
    wait_for,
    write_csv,
    write_spec,
)

ROWS = 600


def started_import(tmp_path, emulator):
    source = write_csv(tmp_path / "in.csv", contact_rows(ROWS))
    spec = write_spec(tmp_path / "job.toml", source, emulator.base_url("rampwin"), run='rate = "100/s"')  # 6 s
    first = start_cli("run", str(spec), "-q", cwd=tmp_path)
    assert wait_for(lambda: emulator.state.store.count("rampwin") >= 50, timeout=60)
    return spec, first


def test_a_second_copy_exits_2_naming_the_first_and_the_records_stay_exact(tmp_path, emulator):
    spec, first = started_import(tmp_path, emulator)
    # The second copy, the verify and the status start while the first sends (each takes 1-2 s to start
    # on a busy machine: the first's 6 s leave room for all three).
    second = run_cli("run", str(spec), "-q", cwd=tmp_path, timeout=30)
    verify = run_cli("verify", str(spec), "-q", cwd=tmp_path, timeout=30)
    status = run_cli("status", str(spec), cwd=tmp_path, timeout=30)
    stdout, stderr = first.communicate(timeout=120)
    assert first.returncode == EXIT_OK, stdout + stderr
    assert second.returncode == EXIT_USAGE, second.stdout + second.stderr
    said = second.stderr
    assert "this job is already running" in said and f"process {first.pid} on {socket.gethostname()}" in said
    assert f"`python -m bulkcontacts run {spec} -q`" in said and "since " in said and f"kill {first.pid}" in said
    assert "Traceback" not in said and len(said.splitlines()) <= 2
    assert verify.returncode == EXIT_USAGE and "already running" in verify.stderr
    assert status.returncode == 0 and "rows" in status.stdout  # a reader reads while it runs
    created, rejected = assert_exactly_once(tmp_path / ".bulkcontacts" / "test-job", ROWS)
    assert len(created) == ROWS and rejected == []
    assert emulator.state.store.count("rampwin") == ROWS


def test_a_killed_holder_leaves_no_lock_to_delete(tmp_path, emulator):
    spec, first = started_import(tmp_path, emulator)
    first.send_signal(signal.SIGKILL)
    first.wait()
    again = run_cli("run", str(spec), "-q", cwd=tmp_path, timeout=120)
    assert again.returncode == EXIT_OK, again.stdout + again.stderr
    assert_exactly_once(tmp_path / ".bulkcontacts" / "test-job", ROWS)
    assert emulator.state.store.count("rampwin") == ROWS


def test_restart_keeps_the_lock_file_it_holds(tmp_path, emulator):
    source = write_csv(tmp_path / "in.csv", contact_rows(20))
    spec = write_spec(tmp_path / "job.toml", source, emulator.base_url("rampwin"))
    assert run_cli("run", str(spec), "-q", cwd=tmp_path).returncode == EXIT_OK
    assert run_cli("run", str(spec), "-q", "--restart", cwd=tmp_path).returncode in (EXIT_OK, 1)
    assert (tmp_path / ".bulkcontacts" / "test-job" / "lock").exists()
