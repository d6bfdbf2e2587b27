"""``python -m benchmarks scale``: one job on several worker processes.

- Throughput with 1 and 2 workers (a local Dask cluster) against Debian's nginx answering the create call
  with a fixed JSON body, so that the server's cost per request is not Python's: rows/s of the send phase,
  and their ratio.
- The shared budget's fidelity: 4 workers, one budget in a real redis-server, against the emulator's strict
  sliding window of 300/s: 429s (target 0) and the requests per second while all shards send, ÷ the limit.
- The budget's own cost: Redis round trips (EVALSHA calls) per 1,000 rows.
"""

from __future__ import annotations

import contextlib
import csv
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from benchmarks.common import ENV, WORK, contacts_csv, emulator_process, import_job, run_job, summary
from tests import services
from tests.helpers import shards_share_of_limit
from tests.services import EmulatorProcess, Redis, local_cluster_workers, redis_server

ANSWER = '{"success":true,"message":"Contact created","data":{"_id":"5f1c9a0000000000000000aa"}}'
FIXED_ANSWER = f"location / {{ default_type application/json; return 200 '{ANSWER}'; }}"


@contextlib.contextmanager
def nginx() -> Iterator[str]:
    """Debian's nginx answering every request with the create call's fixed body (installed when missing)."""
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        subprocess.run(["bash", "tests/system-packages.sh", "nginx"], check=True)
    with services.nginx(FIXED_ANSWER) as (url, _):
        yield url


def _rows_per_second(name: str) -> float:
    facts = summary(name)
    return facts["done_this_run"] / facts["send_seconds"]


def throughput(rows: int = 100_000) -> tuple[float, float]:
    """Rows/s with 1 and with 2 worker processes, no rate limit, against nginx."""
    source = contacts_csv(rows)
    found = []
    with nginx() as url:
        for workers in (1, 2):
            name = f"scale-{workers}"
            shutil.rmtree(WORK / "state" / name, ignore_errors=True)
            spec = import_job(name, source, url, rate="1000000/s", concurrency=32)
            done = run_job(spec, "--workers", str(workers))
            assert done.returncode == 0, done.stdout
            found.append(_rows_per_second(name))
    return found[0], found[1]


def _budget_job(name: str, source: Path, emulator: EmulatorProcess, store: Redis, limit: int) -> Path:
    """An import at the emulator's own limit, paced through one Redis budget, committing often."""
    return import_job(
        name, source, emulator.base_url("rampwin"), rate=f"{limit}/s", concurrency=16,
        extra_run=f'rate_store = "{store.url}"\ncheckpoint_every = 0.2',
    )  # fmt: skip


def fidelity(rows: int = 12_000, workers: int = 4, limit: int = 300) -> dict[str, float]:
    """4 workers, one Redis budget, the emulator's strict window: 429s, share of the limit, round trips."""
    source = contacts_csv(rows)
    name = "scale-budget"
    shutil.rmtree(WORK / "state" / name, ignore_errors=True)
    with redis_server() as store, emulator_process("--rate-limit", f"{limit}/s") as emulator:
        spec = _budget_job(name, source, emulator, store, limit)
        done = run_job(spec, "--workers", str(workers))
        assert done.returncode == 0, done.stdout
        calls = store.client().info("commandstats")["cmdstat_evalsha"]["calls"]
        stats = emulator.stats()
    return {
        "throttled": stats["throttled"],
        "max_in_window": stats["max_in_window"],
        "share": shards_share_of_limit(WORK / "state" / name, workers, limit),
        "round_trips_per_1000": calls / rows * 1000,
    }


def round_trips(rate: int, rows: int, workers: int = 2) -> float:
    """Redis round trips (EVALSHA calls) per 1,000 rows: ``workers`` shards on one budget of ``rate``, against
    nginx (its fixed answer: the rate, not the server, sets the pace)."""
    source = contacts_csv(rows)
    name = f"scale-trips-{rate}"
    shutil.rmtree(WORK / "state" / name, ignore_errors=True)
    with redis_server() as store, nginx() as url:
        spec = import_job(name, source, url, rate=f"{rate}/s", concurrency=32, extra_run=f'rate_store = "{store.url}"')
        done = run_job(spec, "--workers", str(workers))
        assert done.returncode == 0, done.stdout
        calls = store.client().info("commandstats")["cmdstat_evalsha"]["calls"]
    return float(calls / rows * 1000)


def _exactly_once(name: str, rows: int, emulator: EmulatorProcess, integration: str) -> bool:
    """Each row in one outcome file once, and each created phone in the channel once."""
    state = WORK / "state" / name
    with (
        open(state / "created.csv", encoding="utf-8") as created,
        open(state / "rejected.csv", encoding="utf-8") as rej,
    ):
        numbers = [int(line["row"]) for line in csv.DictReader(created)]
        refused = [int(line["row"]) for line in csv.DictReader(rej)]
    phones = [contact["phone_number"] for contact in emulator.contacts("rampwin", integration)]
    return sorted(numbers + refused) == list(range(rows)) and len(phones) == len(set(phones)) == len(numbers)


def acceptance(rows: int = 40_000, limit: int = 400) -> list[tuple[str, float, bool]]:
    """The issue's checks: 40,000 rows with 2 and with 4 workers at a strict 400/s window, one Redis budget;
    then 4 workers with one worker killed mid-run and the driver killed and run again."""
    source = contacts_csv(rows)
    found = []
    for workers, kill in ((2, False), (4, False), (4, True)):
        name = f"scale-accept-{workers}{'-kill' if kill else ''}"
        shutil.rmtree(WORK / "state" / name, ignore_errors=True)
        with redis_server() as store, emulator_process("--rate-limit", f"{limit}/s") as emulator:
            spec = _budget_job(name, source, emulator, store, limit)
            if kill:
                process = subprocess.Popen(
                    [sys.executable, "-m", "bulkcontacts", "run", str(spec), "-q", "--workers", str(workers)],
                    env=ENV, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )  # fmt: skip
                time.sleep(random.uniform(15, 25))
                local_cluster_workers(process.pid)[0].send_signal(signal.SIGKILL)
                time.sleep(random.uniform(10, 20))
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            done = run_job(spec, "--workers", str(workers))
            once = done.returncode == 0 and _exactly_once(name, rows, emulator, name)
            stats = emulator.stats()
        share = shards_share_of_limit(WORK / "state" / name, workers, limit)
        label = f"{workers} workers{' (a worker and the driver killed)' if kill else ''}"
        found.append((f"{label}: exactly once, 0 × 429", float(stats["throttled"]), once and stats["throttled"] == 0))
        found.append((f"{label}: share of the limit", share, share >= 0.9))
    return found
