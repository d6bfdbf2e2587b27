"""Faults of the scale-out parts: Ctrl-C at the terminal during --workers, a Redis restarted mid-run."""

from __future__ import annotations

import json
import os
import signal
import sys
import time

import pytest

from bulkcontacts.jobs import EXIT_REJECTIONS
from tests.helpers import ENV, emulator_stats, run_cli, set_emulator, wait_for
from tests.integration.test_scale import LIMIT, _count, _job, _start, assert_exactly_once
from tests.services import EmulatorProcess, fork_server


@pytest.fixture
def emulator(emulator_process: EmulatorProcess) -> EmulatorProcess:
    """The emulator in a process of its own, as in test_scale.py (a strict window's count is asserted)."""
    return emulator_process


@pytest.mark.parametrize("stop", ["ctrl-c", "sigterm"])
def test_ctrl_c_in_a_terminal_stops_every_shard_quickly_with_no_traceback_and_counts_what_was_saved(
    tmp_path, emulator, stop
):
    """Ctrl-C at a terminal reaches the whole foreground process group: the driver and its worker processes.
    SIGTERM (a service manager, ``kill``) reaches the driver alone, and stops the run the same way."""
    import pexpect

    job = _job(tmp_path, emulator, None, 1000)
    child = pexpect.spawn(
        sys.executable, ["-m", "bulkcontacts", "run", str(job), "--workers", "2"], cwd=str(tmp_path),
        env={**os.environ, **ENV}, dimensions=(40, 120), encoding="utf-8", codec_errors="replace", timeout=120,
    )  # fmt: skip
    child.expect("sending in 2 shards")
    assert wait_for(lambda: _count(emulator) >= 200, timeout=60, every=0.2)
    pressed = time.monotonic()
    if stop == "ctrl-c":
        child.sendcontrol("c")
    else:
        child.kill(signal.SIGTERM)
    child.expect(pexpect.EOF)
    stopped_in = time.monotonic() - pressed
    child.close()
    output = child.before
    assert child.exitstatus == 3, output[-2000:]
    assert stopped_in < 10, stopped_in
    assert "Traceback" not in output and "KeyboardInterrupt" not in output
    summary = json.loads((tmp_path / ".bulkcontacts" / "sharded" / "summary.json").read_text())
    saved = summary["counts"].get("created", 0) + summary["counts"].get("rejected", 0)
    assert summary["done_this_run"] == saved > 0  # what the shards saved, not "0 rows"
    assert all("still" not in shard["message"] for shard in summary["shards"])
    resumed = run_cli("run", str(job), "--workers", "2", "-q", cwd=tmp_path, timeout=240)
    assert resumed.returncode == EXIT_REJECTIONS, resumed.stdout + resumed.stderr
    assert_exactly_once(tmp_path / ".bulkcontacts" / "sharded", emulator, 1000)


def test_ctrl_c_while_the_local_cluster_starts_is_not_lost(tmp_path, emulator):
    """Ctrl-C in the second or two the worker processes take to start (they are forked from a fork server
    that ignores SIGINT, so they ignore it too): remembered, and the run ends as interrupted once the cluster
    is up, nothing sent, no traceback. (It was ignored there, and the whole job ran.)"""
    import pexpect

    job = _job(tmp_path, emulator, None, 300)
    child = pexpect.spawn(
        sys.executable, ["-m", "bulkcontacts", "run", str(job), "--workers", "2"], cwd=str(tmp_path),
        env={**os.environ, **ENV}, dimensions=(40, 120), encoding="utf-8", codec_errors="replace", timeout=120,
    )  # fmt: skip

    assert wait_for(lambda: fork_server(child.pid) is not None, timeout=30, every=0.02)  # the cluster starts
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    child.close()
    output = child.before
    assert child.exitstatus == 3, output[-2000:]
    assert "run the same command again to resume" in output and "Traceback" not in output
    assert _count(emulator) == 0


def test_a_redis_restarted_mid_run_loses_the_budget_but_no_window_overflows_and_the_run_is_exact(
    tmp_path, emulator, redis
):
    """Redis down for 2 s, then back empty: the shards wait, then take up a fresh schedule, no burst."""
    set_emulator(emulator, rate_limit=LIMIT)
    job = _job(tmp_path, emulator, redis, 1500)
    driver = _start("run", str(job), "--workers", "2", "-q", cwd=tmp_path)
    assert wait_for(lambda: _count(emulator) >= 450, timeout=120, every=0.2)
    redis.restart(2.0)
    stdout, stderr = driver.communicate(timeout=240)
    assert driver.returncode == EXIT_REJECTIONS, stdout + stderr
    assert "Traceback" not in stdout + stderr
    assert_exactly_once(tmp_path / ".bulkcontacts" / "sharded", emulator, 1500)
    stats = emulator_stats(emulator)
    assert stats["throttled"] == 0 and stats["max_in_window"] <= LIMIT
