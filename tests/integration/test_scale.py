"""One job on several worker processes: a real Dask cluster (local, or a scheduler and workers started as
the command-line tools start them), a real redis-server keeping the rate budget, the emulator with a strict
sliding window. Each valid row is created exactly once, the merged outcome files cover every row once and in
order, no request is refused with 429, and the workers together use most of the limit, through kills of a
worker and of the driver."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bulkcontacts.engine.shared_pacing import CLOCK_READINGS, batch_size
from bulkcontacts.jobs import EXIT_OK, EXIT_REJECTIONS, EXIT_USAGE
from tests.helpers import (
    ENV,
    EXPORT_ENV,
    INTEGRATION,
    contact_rows,
    emulator_stats,
    exported_ids,
    read_csv,
    run_cli,
    set_emulator,
    shards_share_of_limit,
    wait_for,
    write_csv,
    write_spec,
)
from tests.services import EmulatorProcess, Redis, dask_cluster, local_cluster_workers

LIMIT = 250
BAD_ROWS = {11: "12345", 777: "not a phone"}


@pytest.fixture
def emulator(emulator_process: EmulatorProcess) -> EmulatorProcess:
    """Here the emulator is a process of its own, read over HTTP: as a thread of the test process, its loop
    stalled whenever the test read its store (the interpreter is shared), then took the waiting requests at
    once, and a strict window saw 251 requests the client had spread over 1.2 s."""
    return emulator_process


def _job(tmp: Path, emulator, redis: Redis | None, rows: int, *, name: str = "sharded", start: int = 0) -> Path:
    lines = contact_rows(rows, start=start)
    for row, phone in BAD_ROWS.items():
        if row < rows:
            lines[row]["phone"] = phone
    source = write_csv(tmp / f"{name}.csv", lines)
    store = f'\nrate_store = "{redis.url}"' if redis else ""
    run = f'rate = "{LIMIT}/s"\nconcurrency = 16\ncheckpoint_every = 0.2{store}'
    return write_spec(tmp / f"{name}.toml", source, emulator.base_url("rampwin"), name=name, run=run)


def _start(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """The CLI in a session of its own (a kill of the group reaches every worker process it started)."""
    return subprocess.Popen(
        [sys.executable, "-m", "bulkcontacts", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, **ENV, **EXPORT_ENV, **(env or {})}, cwd=cwd, start_new_session=True,
    )  # fmt: skip


def _stored(emulator: EmulatorProcess) -> list[str]:
    return [doc["phone_number"] for doc in emulator.contacts("rampwin", INTEGRATION)]


def _count(emulator: EmulatorProcess) -> int:
    """How many contacts the channel holds, asked over HTTP (GET /_emulator/count)."""
    return emulator.count("rampwin", INTEGRATION)


def assert_exactly_once(state: Path, emulator, rows: int) -> None:
    created, rejected = read_csv(state / "created.csv"), read_csv(state / "rejected.csv")
    numbers = [int(line["row"]) for line in created] + [int(line["row"]) for line in rejected]
    assert sorted(numbers) == list(range(rows)), "each row in exactly one outcome file"
    assert [int(line["row"]) for line in created] == sorted(int(line["row"]) for line in created), "rows in order"
    assert {int(line["row"]) for line in rejected} == {row for row in BAD_ROWS if row < rows}
    stored = _stored(emulator)
    assert len(stored) == len(set(stored)) == rows - len(rejected), "each valid row created once"
    assert sorted(stored) == sorted(line["phone_number"] for line in created)


def test_two_workers_share_one_budget_in_redis_exactly_once(tmp_path, emulator, redis):
    set_emulator(emulator, rate_limit=LIMIT)
    job = _job(tmp_path, emulator, redis, 3000)
    done = run_cli("run", str(job), "--workers", "2", cwd=tmp_path, timeout=240)
    assert done.returncode == EXIT_REJECTIONS, done.stdout + done.stderr
    assert "one budget of 250/s" in done.stderr and "2 shards merged" in done.stdout
    state = tmp_path / ".bulkcontacts" / "sharded"
    assert_exactly_once(state, emulator, 3000)
    stats = emulator_stats(emulator)
    assert stats["throttled"] == 0 and stats["max_in_window"] <= LIMIT
    assert shards_share_of_limit(state, 2, LIMIT) >= 0.8  # one budget: a split one would be 0.5 (0.88 seen busy)
    summary = json.loads((state / "summary.json").read_text())
    assert summary["counts"]["created"] == 2998 and [shard["status"] for shard in summary["shards"]] == ["complete"] * 2
    round_trips = redis.client().info("commandstats")["cmdstat_evalsha"]["calls"]
    # Slots come a batch per round trip; each process also reads the clock first, and a busy machine's late
    # wake-ups forfeit slots that a later batch replaces (224 round trips seen for 200 batches).
    assert round_trips <= 1.25 * 3000 / batch_size(LIMIT) + 2 * (CLOCK_READINGS + 1)
    status = run_cli("status", str(job), cwd=tmp_path)
    assert "shard 0000): finished; 1,500 of 1,500 rows" in status.stdout and "shard 0001)" in status.stdout
    assert "(all 2 shards): finished; 3,000 of 3,000 rows done\n  created: 2,998\n" in status.stdout


def test_a_killed_worker_and_a_killed_driver_still_give_exactly_once(tmp_path, emulator, redis):
    set_emulator(emulator, rate_limit=LIMIT, latency=0.005)
    job = _job(tmp_path, emulator, redis, 2000)
    driver = _start("run", str(job), "--workers", "2", "-q", cwd=tmp_path)
    try:
        assert wait_for(lambda: _count(emulator) >= 400, timeout=90, every=0.5)
        workers = local_cluster_workers(driver.pid)
        assert len(workers) >= 2
        workers[0].send_signal(signal.SIGKILL)  # a worker dies: Dask starts another, the shard resumes there
        assert wait_for(lambda: _count(emulator) >= 1000, timeout=90, every=0.5)
        os.killpg(driver.pid, signal.SIGKILL)  # then the driver and everything it started
        driver.wait()
    finally:
        if driver.poll() is None:
            os.killpg(driver.pid, signal.SIGKILL)
            driver.wait()
    assert _count(emulator) < 1998, "the kills came before the end"
    refused = run_cli("run", str(job), "--workers", "3", "-q", cwd=tmp_path)
    assert refused.returncode == EXIT_USAGE and "was split into 2 shards" in refused.stderr
    alone = run_cli("run", str(job), "-q", cwd=tmp_path)
    assert alone.returncode == EXIT_USAGE and "runs in 2 shards" in alone.stderr and "--workers 2 " in alone.stderr
    again = run_cli("run", str(job), "--workers", "2", "-q", cwd=tmp_path, timeout=240)
    assert again.returncode == EXIT_REJECTIONS, again.stdout + again.stderr
    assert_exactly_once(tmp_path / ".bulkcontacts" / "sharded", emulator, 2000)
    assert emulator_stats(emulator)["throttled"] == 0


def test_two_jobs_on_one_api_key_stay_under_the_limit_together(tmp_path, emulator, redis):
    set_emulator(emulator, rate_limit=LIMIT)
    first = _job(tmp_path, emulator, redis, 1200, name="first")
    second = _job(tmp_path, emulator, None, 1200, name="second", start=5000)  # its store from the environment
    runs = [
        _start("run", str(job), "-q", cwd=tmp_path, env={"BULKCONTACTS_RATE_STORE": redis.url})
        for job in (first, second)
    ]  # each paces to the full rate
    for process in runs:
        assert process.wait(timeout=120) == EXIT_REJECTIONS, process.communicate()
    stats = emulator_stats(emulator)
    assert stats["throttled"] == 0 and stats["max_in_window"] <= LIMIT
    assert len(set(_stored(emulator))) == 2 * (1200 - len(BAD_ROWS))


def test_an_existing_scheduler_runs_the_shards(tmp_path, emulator, redis):
    job = _job(tmp_path, emulator, redis, 1500)
    set_emulator(emulator, rate_limit=LIMIT)
    with dask_cluster(workers=2) as address:
        done = run_cli("run", str(job), "--cluster", address, "-q", cwd=tmp_path, timeout=240)
    assert done.returncode == EXIT_REJECTIONS, done.stdout + done.stderr
    assert_exactly_once(tmp_path / ".bulkcontacts" / "sharded", emulator, 1500)
    assert emulator_stats(emulator)["throttled"] == 0
    assert json.loads((tmp_path / ".bulkcontacts" / "sharded" / "shards.json").read_text())["count"] == 2


def test_without_a_rate_store_a_local_cluster_splits_the_rate_and_a_merged_job_retries_in_one_process(
    tmp_path, emulator
):
    set_emulator(emulator, rate_limit=LIMIT)
    job = _job(tmp_path, emulator, None, 600)
    done = run_cli("run", str(job), "--workers", "2", cwd=tmp_path, timeout=240)
    assert done.returncode == EXIT_REJECTIONS, done.stdout + done.stderr
    assert "each of the 2 shards paces at 125/s (rate ÷ shards)" in done.stderr
    assert emulator_stats(emulator)["max_in_window"] <= LIMIT
    for again in (run_cli("run", str(job), cwd=tmp_path), run_cli("run", str(job), "--workers", "2", cwd=tmp_path)):
        assert again.returncode == EXIT_REJECTIONS and "already complete" in again.stdout, again.stdout + again.stderr
    rows = contact_rows(600)  # the rejected row fixed in place, then sent again in one process
    write_csv(tmp_path / "sharded.csv", rows)
    retried = run_cli("run", str(job), "--retry-rejected", cwd=tmp_path)
    assert retried.returncode == EXIT_OK, retried.stdout + retried.stderr
    state = tmp_path / ".bulkcontacts" / "sharded"
    assert sorted(int(line["row"]) for line in read_csv(state / "created.csv")) == list(range(600))
    assert read_csv(state / "rejected.csv") == [] and len(set(_stored(emulator))) == 600


def test_a_cluster_without_a_rate_store_is_refused_unless_the_static_split_is_accepted(tmp_path, emulator):
    job = _job(tmp_path, emulator, None, 10)
    refused = run_cli("run", str(job), "--cluster", "tcp://127.0.0.1:9", cwd=tmp_path)
    assert refused.returncode == EXIT_USAGE and "rate_store" in refused.stderr and "--static-split" in refused.stderr
    unreachable = run_cli("run", str(job), "--cluster", "tcp://127.0.0.1:9", "--static-split", cwd=tmp_path)
    assert unreachable.returncode == 3 and "cannot reach the Dask scheduler" in unreachable.stderr
    assert "Traceback" not in refused.stderr + unreachable.stderr
    assert EXIT_OK == 0


def test_a_migration_fetches_once_and_sends_in_shards(tmp_path):
    job = tmp_path / "migrate.toml"
    text = (Path(__file__).resolve().parents[2] / "jobs" / "migrate-smartflo-to-rampwin.toml").read_text()
    job.write_text(text.replace('rate = "50/s"', 'rate = "500/s"').replace('fetch_rate = "3/s"', 'fetch_rate = "50/s"'))
    done = run_cli("run", str(job), "--emulate", "--workers", "2", "-q", cwd=tmp_path, timeout=240)
    assert done.returncode == EXIT_OK, done.stdout + done.stderr
    state = tmp_path / ".bulkcontacts" / "migrate-smartflo-to-rampwin"
    assert (state / "fetch" / "checkpoint.json").exists() and (state / "shards" / "0001" / "checkpoint.json").exists()
    verified = run_cli("verify", str(job), "--emulate", "-q", cwd=tmp_path, timeout=120)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert json.loads((state / "verify.json").read_text())["counts"]["created"] == 1000


EXPORTS = [("tether", "csv", "provider_id"), ("kore", "jsonl", "_id")]


@pytest.mark.parametrize(("provider", "output", "id_field"), EXPORTS)
def test_an_export_fetches_its_pages_in_shards_and_writes_what_one_process_writes(tmp_path, provider, output, id_field):
    text = (Path(__file__).resolve().parents[2] / "jobs" / f"export-{provider}.toml").read_text()
    text = text.replace('rate = "10/s"', 'rate = "200/s"').replace('rate = "60/min"', 'rate = "200/s"')
    text = text.replace("../exports/", f"{tmp_path}/")
    sharded, alone = tmp_path / "sharded.toml", tmp_path / "alone.toml"
    sharded.write_text(text)
    alone.write_text(text.replace(f"{provider}-contacts.{output}", f"alone.{output}"))
    done = run_cli("run", str(sharded), "--emulate", "--workers", "2", "-q", cwd=tmp_path, timeout=240)
    assert done.returncode == EXIT_OK and "(2 shards)" in done.stdout, done.stdout + done.stderr
    state = tmp_path / ".bulkcontacts" / f"export-{provider}"
    shutil.copytree(state / "emulator", tmp_path / "alone" / "emulator")  # the same provider data, exported alone
    single = run_cli("run", str(alone), "--emulate", "-q", "--state-dir", str(tmp_path / "alone"), cwd=tmp_path)
    assert single.returncode == EXIT_OK, single.stdout + single.stderr
    ids = exported_ids(tmp_path / f"{provider}-contacts.{output}", id_field)
    assert ids == exported_ids(tmp_path / f"alone.{output}", id_field) and len(set(ids)) == len(ids) == 1000
    summary = json.loads((state / "summary.json").read_text())
    assert summary["counts"]["pages"] == json.loads((state / "shards.json").read_text())["total_rows"]
    assert [shard["status"] for shard in summary["shards"]] == ["complete", "complete"]


def test_an_export_whose_provider_tells_no_total_runs_in_one_process_and_says_so(tmp_path):
    text = (Path(__file__).resolve().parents[2] / "jobs" / "export-smartflo.toml").read_text()
    job = tmp_path / "smartflo.toml"
    job.write_text(text.replace('rate = "10/s"', 'rate = "200/s"').replace("../exports/", f"{tmp_path}/"))
    done = run_cli("run", str(job), "--emulate", "--workers", "2", cwd=tmp_path, timeout=240)
    assert done.returncode == EXIT_OK, done.stdout + done.stderr
    assert "cannot be split: one process" in done.stderr
    assert len(exported_ids(tmp_path / "smartflo-contacts.csv", "id")) == 1000


def test_workers_that_do_not_share_the_state_directory_are_refused_by_name(tmp_path, emulator):
    job = _job(tmp_path, emulator, None, 20)
    with dask_cluster(workers=1, hidden=str(tmp_path)) as address:  # the worker sees an empty folder there
        refused = run_cli("run", str(job), "--cluster", address, "--static-split", cwd=tmp_path, timeout=120)
    assert refused.returncode == EXIT_USAGE, refused.stdout + refused.stderr
    assert "is not on storage every worker sees" in refused.stderr and "tcp://127.0.0.1:" in refused.stderr
    assert "Traceback" not in refused.stderr and not _stored(emulator)
