"""Benchmark cases. Each returns figures measured in one run; ratios, since the machines are noisy."""

from __future__ import annotations

import csv
import random
import shutil
from dataclasses import dataclass
from typing import Callable

from benchmarks.common import WORK, Emulator, contacts_csv, import_job, run_job, summary


@dataclass
class Figure:
    case: str
    name: str
    value: float
    target: str
    met: bool
    note: str = ""


def _fresh(name: str) -> None:
    shutil.rmtree(WORK / "state" / name, ignore_errors=True)


def rate_fidelity() -> list[Figure]:
    """20,000 rows; the emulator's strict window is 300/s; the job runs at 300/s."""
    limit, rows = 300, 20_000
    _fresh("rate-fidelity")
    with Emulator("--rate-limit", f"{limit}/s") as emulator:
        spec = import_job("rate-fidelity", contacts_csv(rows), emulator.base_url("rampwin"), rate=f"{limit}/s",
                          concurrency=16)
        run = run_job(spec)
        stats = emulator.stats()
    facts = summary("rate-fidelity")
    achieved = facts["done_this_run"] / facts["elapsed_seconds"]
    note = f"{rows:,} rows in {facts['elapsed_seconds']:.1f} s, exit {run.returncode}"
    return [Figure("rate fidelity", "achieved ÷ limit", achieved / limit, "≥ 0.97", achieved / limit >= 0.97, note),
            Figure("rate fidelity", "429 answers", stats["throttled"], "0", stats["throttled"] == 0),
            Figure("rate fidelity", "most requests in any 1 s", stats["max_in_window"], f"≤ {limit}",
                   stats["max_in_window"] <= limit)]


def kill_and_resume() -> list[Figure]:
    """The 20,000-row import at 300/s, SIGKILLed at five random moments, then resumed to the end."""
    limit, rows, integration = 300, 20_000, "kill-resume"
    _fresh(integration)
    source = contacts_csv(rows)
    rng = random.Random()
    kills = sorted(rng.uniform(1.5, 12.0) for _ in range(5))
    with Emulator("--rate-limit", f"{limit}/s") as emulator:
        spec = import_job(integration, source, emulator.base_url("rampwin"), rate=f"{limit}/s", concurrency=16)
        for moment in kills:
            run_job(spec, kill_after=moment)
        runs = 0
        while True:
            runs += 1
            final = run_job(spec)
            if final.returncode in (0, 1) or runs > 3:
                break
        phones = [doc["phone_number"] for doc in emulator.contacts("rampwin", integration)]
    state = WORK / "state" / integration
    outcome_rows: list[int] = []
    for name in ("created.csv", "rejected.csv"):
        with open(state / name, encoding="utf-8") as handle:
            outcome_rows += [int(line["row"]) for line in csv.DictReader(handle)]
    store_once = len(phones) == len(set(phones)) == rows
    files_once = sorted(outcome_rows) == list(range(rows))
    note = f"kills at {', '.join(f'{moment:.1f}' for moment in kills)} s (each run restarted from its checkpoint)"
    return [Figure("kill -9 ×5, resume", "store: each row exactly once", float(store_once), "1 (yes)", store_once,
                   f"{len(phones):,} contacts, {len(set(phones)):,} distinct; " + note),
            Figure("kill -9 ×5, resume", "outcome files: each row exactly once", float(files_once), "1 (yes)",
                   files_once, f"{len(outcome_rows):,} lines, final exit {final.returncode}")]


def memory() -> list[Figure]:
    """Peak RSS reading, mapping and de-duplicating 200,000 vs 2,000,000 CSV rows (--dry-run: the same path)."""
    peaks = {}
    for rows in (200_000, 2_000_000):
        spec = import_job(f"memory-{rows}", contacts_csv(rows), "https://api.rampwin.com", rate="300/s",
                          concurrency=8)
        run = run_job(spec, "--dry-run")
        assert run.returncode == 0, run.stdout
        peaks[rows] = run.peak_rss_mb
    ratio = peaks[2_000_000] / peaks[200_000]
    return [Figure("memory", "peak RSS, 2,000,000 rows (MB)", peaks[2_000_000], "< 400", peaks[2_000_000] < 400),
            Figure("memory", "peak RSS 2,000,000 ÷ 200,000 rows", ratio, "≤ 1.3", ratio <= 1.3,
                   f"{peaks[200_000]:.0f} MB vs {peaks[2_000_000]:.0f} MB")]


CASES: dict[str, Callable[[], list[Figure]]] = {
    "rate": rate_fidelity,
    "kill": kill_and_resume,
    "memory": memory,
}
