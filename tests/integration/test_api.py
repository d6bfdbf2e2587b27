"""The public Python API (``bulkcontacts.__all__``): a job run from Python as the CLI runs it."""

import asyncio
import concurrent.futures
import subprocess
import sys

import pytest

import bulkcontacts
from bulkcontacts.api import holding
from bulkcontacts.jobs.run import RunOptions
from tests.helpers import assert_exactly_once, contact_rows, write_csv, write_spec


def spec_for(tmp_path, emulator, rows=40):
    source = write_csv(tmp_path / "in.csv", [*contact_rows(rows), {"phone": "12", "name": "x", "plan": "", "tags": ""}])
    return write_spec(tmp_path / "job.toml", source, emulator.base_url("rampwin"))


def test_a_job_runs_from_python_with_the_clis_records_and_exit_meanings(tmp_path, emulator):
    path = spec_for(tmp_path, emulator)
    spec = bulkcontacts.load_job(path)
    result = bulkcontacts.run_job(spec)
    assert isinstance(result, bulkcontacts.RunResult)
    assert result.status == "complete" and result.exit_code == 1  # one row rejected, as the CLI says with 1
    assert result.counts["created"] == 40 and result.counts["rejected"] == 1
    assert_exactly_once(tmp_path / ".bulkcontacts" / "test-job", 41)
    again = bulkcontacts.run_job(path)  # a path is loaded as the CLI loads it
    assert again.status == "complete" and "already complete" in again.message
    (phase,) = bulkcontacts.job_status(path)
    assert phase.progress is not None and phase.progress.finished and phase.done == (41, "rows")
    restarted = bulkcontacts.run_job(path, restart=True)  # forgets its state first, as --restart does
    assert restarted.counts["rejected:http_400"] == 40  # the channel holds them from the first run


async def test_run_job_async_runs_on_the_callers_loop(tmp_path, emulator):
    result = await bulkcontacts.run_job_async(spec_for(tmp_path, emulator, rows=10))
    assert result.status == "complete" and result.counts["created"] == 10


def test_a_job_another_holder_runs_is_refused_at_once_naming_it(tmp_path, emulator):
    spec = bulkcontacts.load_job(spec_for(tmp_path, emulator))
    held = holding(spec, RunOptions(), "airflow task import-contacts")
    with held, pytest.raises(bulkcontacts.UsageError, match="airflow task import-contacts") as refused:
        bulkcontacts.run_job(spec)
    assert bulkcontacts.exit_code(refused.value) == 2
    assert bulkcontacts.run_job(spec).status == "complete"  # released


def test_errors_map_to_the_clis_exit_codes():
    assert bulkcontacts.exit_code(bulkcontacts.UsageError("x")) == 2
    assert bulkcontacts.exit_code(bulkcontacts.Interrupted("x")) == 3
    assert bulkcontacts.exit_code(bulkcontacts.FatalRemoteError("x")) == 4
    assert bulkcontacts.exit_code(KeyboardInterrupt()) == 3


def test_importing_the_package_loads_nothing_heavy():
    probe = "import sys, bulkcontacts; print(sorted(m for m in ('polars', 'aiohttp', 'pydantic') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
    assert set(bulkcontacts.__all__) >= {"load_job", "run_job", "run_job_async", "job_status", "RunResult"}


def test_a_job_runs_in_a_thread_of_its_own_where_no_signal_handler_can_be_set(tmp_path, emulator):
    """An orchestrator's task thread: the run goes on without SIGINT/SIGTERM handlers (only the main thread
    may set them), to the same records."""
    path = spec_for(tmp_path, emulator, rows=12)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        result = pool.submit(bulkcontacts.run_job, path).result(timeout=60)
    assert result.status == "complete" and result.counts["created"] == 12
    assert_exactly_once(tmp_path / ".bulkcontacts" / "test-job", 13)


def test_a_job_on_the_callers_uvloop_in_a_thread_of_its_own_runs_without_signal_handlers(tmp_path, emulator):
    """uvloop refuses signal handlers off the main thread with ValueError (asyncio: RuntimeError): an
    orchestrator running ``run_job_async`` on its own uvloop loop in a task thread still gets its run."""
    import uvloop

    path = spec_for(tmp_path, emulator, rows=12)

    def on_uvloop() -> bulkcontacts.RunResult:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(bulkcontacts.run_job_async(path))

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        result = pool.submit(on_uvloop).result(timeout=60)
    assert result.status == "complete" and result.counts["created"] == 12
    assert_exactly_once(tmp_path / ".bulkcontacts" / "test-job", 13)


def test_a_dry_run_from_python_sends_nothing_and_an_export_has_none(tmp_path, emulator):
    path = spec_for(tmp_path, emulator, rows=30)
    report = bulkcontacts.dry_run(path)
    assert isinstance(report, bulkcontacts.DryRunReport)
    assert report.rows == 31 and report.to_send == 30 and sum(report.rejected.values()) == 1
    assert emulator.state.store.count("rampwin") == 0  # nothing sent
    export = tmp_path / "export.toml"
    export.write_text(
        '[job]\nname = "x"\n[source]\ntype = "smartflo"\ntoken = "${SMARTFLO_TOKEN}"\n'
        '[sink]\ntype = "file"\npath = "out.csv"\n',
        encoding="utf-8",
    )
    with pytest.raises(bulkcontacts.UsageError, match="import and migrate jobs"):
        bulkcontacts.dry_run(export, emulate=True)


def test_a_job_runs_in_shards_from_python_as_with_workers(tmp_path, emulator):
    """In a process of its own, as an orchestrator's task would be: a local Dask cluster of two workers."""
    path = spec_for(tmp_path, emulator, rows=60)
    probe = (
        "import bulkcontacts, sys; r = bulkcontacts.run_job(sys.argv[1], workers=2); "
        "print(r.status, r.counts['created'], r.message)"
    )
    ran = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True, timeout=180)
    assert ran.returncode == 0 and ran.stdout.startswith("complete 60"), ran.stdout + ran.stderr[-2000:]
    assert "2 shards merged" in ran.stdout
    assert_exactly_once(tmp_path / ".bulkcontacts" / "test-job", 61)
    with pytest.raises(bulkcontacts.UsageError, match="spec file"):
        bulkcontacts.run_job(bulkcontacts.load_job(path), workers=2)
