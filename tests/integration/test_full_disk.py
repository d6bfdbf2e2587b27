"""A full disk under the state directory: the run stops as interrupted naming the folder and its free space,
nothing recorded twice or lost; once space is freed the same command finishes exactly."""

import json

from bulkcontacts.jobs import EXIT_INTERRUPTED, EXIT_OK
from bulkcontacts_emulator.seed import seed
from tests.helpers import (
    assert_exactly_once,
    contact_rows,
    emulator_stats,
    exported_ids,
    run_cli,
    write_csv,
    write_export_spec,
    write_spec,
)
from tests.services import small_disk

ROWS = 6_000  # about 250 KB of created.csv: more than the disk holds


def test_a_full_disk_interrupts_the_run_and_freeing_space_lets_it_finish_exactly(tmp_path, emulator):
    source = write_csv(tmp_path / "in.csv", contact_rows(ROWS))
    state_root = tmp_path / "disk"
    with small_disk(state_root, "160k") as resize:
        spec = write_spec(
            tmp_path / "job.toml",
            source,
            emulator.base_url("rampwin"),
            run=f'rate = "4000/s"\nconcurrency = 16\ncheckpoint_every = 0.1\nstate_dir = "{state_root}/state"',
        )
        stopped = run_cli("run", str(spec), "-q", cwd=tmp_path, timeout=120)
        said = stopped.stdout + stopped.stderr
        assert stopped.returncode == EXIT_INTERRUPTED, said
        assert f"cannot write the job's state in {state_root}" in said and "No space left on device" in said
        assert " free there" in said and "run the same command again to resume" in said
        assert "Traceback" not in said and len(stopped.stderr.strip().splitlines()) <= 2
        sent_before = emulator.state.store.count("rampwin")
        assert 0 < sent_before < ROWS
        resize("8m")  # space freed
        finished = run_cli("run", str(spec), "-q", cwd=tmp_path, timeout=120)
        assert finished.returncode == EXIT_OK, finished.stdout + finished.stderr
        state = state_root / "state"
        created, rejected = assert_exactly_once(state, ROWS)
        assert rejected == [] and len(created) == ROWS
        phones = [doc["phone_number"] for doc in emulator.state.store.all("rampwin")]
        assert len(phones) == len(set(phones)) == ROWS  # nothing created twice, nothing lost
        assert json.loads((state / "summary.json").read_text())["accounted_for"] is True
        assert emulator_stats(emulator)["requests"] >= ROWS


def test_an_export_whose_pages_no_longer_fit_stops_and_resumes_to_the_same_file(tmp_path, emulator):
    seed(emulator.state.store, "tether", 3_000)
    state_root = tmp_path / "disk"
    output = tmp_path / "tether.jsonl"
    with small_disk(state_root, "300k") as resize:
        spec = write_export_spec(
            tmp_path / "export.toml",
            "tether",
            emulator.base_url("tether"),
            output,
            source_extra="page_size = 25",
            run=f'rate = "2000/s"\nconcurrency = 8\ncheckpoint_every = 0.1\nstate_dir = "{state_root}/state"',
        )
        stopped = run_cli("run", str(spec), "-q", cwd=tmp_path, timeout=120)
        said = stopped.stdout + stopped.stderr
        assert stopped.returncode == EXIT_INTERRUPTED, said
        assert "cannot write the job's state in" in said and "Traceback" not in said
        resize("16m")
        finished = run_cli("run", str(spec), "-q", cwd=tmp_path, timeout=120)
        assert finished.returncode == EXIT_OK, finished.stdout + finished.stderr
    assert exported_ids(output, "_id") == [doc["_id"] for doc in emulator.state.store.all("tether")]
