"""``python -m benchmarks chaos --runs N``: the import and export chaos scenario N times in a row, fresh seeds.

Each run: an emulator process with faults on (5xx with JSON and HTML bodies, 429s, connections dropped before
handling and after a create was committed, cut-off JSON, latency jitter), the job SIGKILLed at random moments
and resumed until it finishes. Then everything is counted rather than asserted: rows lost, rows duplicated,
rows misrecorded (in ``created.csv`` with an id the server did not give that phone, or rejected though the
server holds it), and the export's ids against the provider's.
"""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.common import ENV, WORK, contacts_csv, emulator_process, export_job, import_job
from tests.helpers import exported_ids
from tests.services import EmulatorProcess

FAULTS = {
    "error_rate": 0.05,
    "throttle_rate": 0.02,
    "drop_before_rate": 0.01,
    "drop_after_rate": 0.02,
    "malformed_rate": 0.005,
    "latency_jitter": 0.01,
}
IMPORT_ROWS, EXPORT_RECORDS, KILLS = 2_000, 5_000, 3


@dataclass
class RunCount:
    kills: int = 0
    faults: int = 0
    lost: int = 0
    duplicated: int = 0
    misrecorded: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def exact(self) -> bool:
        return self.lost == self.duplicated == self.misrecorded == 0


def _job(spec: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bulkcontacts", "run", str(spec), "-q", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        env=ENV,
    )


def _kill_and_finish(
    spec: Path, emulator: EmulatorProcess, rng: random.Random, count: RunCount, most_requests: int
) -> int:
    """SIGKILL the job after a random number of its requests (up to ``most_requests``), ``KILLS`` times; then
    run it to its end."""
    for _ in range(KILLS):
        mark = emulator.stats()["requests"] + rng.randint(10, most_requests)
        process = _job(spec)
        while process.poll() is None and emulator.stats()["requests"] < mark:
            time.sleep(0.02)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            count.kills += 1
        process.wait()
    code = -1
    for _ in range(5):
        code = _job(spec).wait(timeout=600)
        if code in (0, 1):
            break
    return code


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def chaos_import(index: int, rng: random.Random) -> RunCount:
    name = f"chaos-import-{index}"
    count = RunCount()
    state = WORK / "state" / name
    subprocess.run(["rm", "-rf", str(state)], check=True)
    with emulator_process(
        "--set", 'faults_for="rampwin"', *(f"--set={key}={value}" for key, value in FAULTS.items())
    ) as emulator:
        spec = import_job(
            name,
            contacts_csv(IMPORT_ROWS),
            emulator.base_url("rampwin"),
            rate="3000/s",
            concurrency=16,
            extra_run="backoff_base = 0.05\nbackoff_max = 1\ncheckpoint_every = 0.2\nmax_attempts = 10",
        )
        spec.write_text(spec.read_text().replace("[mapping]", 'token = "${RAMPWIN_TOKEN}"\n[mapping]'))
        code = _kill_and_finish(spec, emulator, rng, count, most_requests=600)
        stored = emulator.contacts("rampwin", name)
        count.faults = emulator.stats()["faults"]
    if code not in (0, 1):
        count.notes.append(f"import ended with exit {code}")
    ids = {doc["phone_number"]: doc["_id"] for doc in stored}
    created, rejected = _read(state / "created.csv"), _read(state / "rejected.csv")
    rows = [int(line["row"]) for line in created + rejected]
    count.duplicated = len(rows) - len(set(rows)) + (len(stored) - len(ids))
    count.lost = IMPORT_ROWS - len(set(rows))
    count.misrecorded = sum(1 for line in created if ids.get(line["phone_number"]) != line["contact_id"])
    rejected_phones = {"91" + line["phone"].replace(" ", "").removeprefix("+91") for line in rejected}
    count.misrecorded += len(rejected_phones & ids.keys())  # rejected, yet the server holds it
    if rejected:
        count.notes.append(f"{len(rejected)} valid rows rejected: {rejected[0]['reason']}")
    return count


def chaos_export(index: int, rng: random.Random) -> RunCount:
    name = f"chaos-export-{index}"
    count = RunCount()
    subprocess.run(["rm", "-rf", str(WORK / "state" / name)], check=True)
    output = WORK / f"{name}.jsonl"
    output.unlink(missing_ok=True)
    with emulator_process(
        "--seed-contacts",
        str(EXPORT_RECORDS),
        "--set",
        'faults_for="tether"',
        *(f"--set={key}={value}" for key, value in FAULTS.items()),
    ) as emulator:
        spec = export_job(
            name, "tether", emulator.base_url("tether"), output, page_size=25, concurrency=8, rate="2000/s"
        )
        spec.write_text(
            spec.read_text() + "backoff_base = 0.05\nbackoff_max = 1\ncheckpoint_every = 0.2\nmax_attempts = 10\n"
        )
        code = _kill_and_finish(spec, emulator, rng, count, most_requests=60)
        expected = [str(doc["_id"]) for doc in emulator.contacts("tether", "demo")]
        count.faults = emulator.stats()["faults"]
    if code != 0 or not output.exists():
        count.notes.append(f"export ended with exit {code}")
        count.lost = len(expected)
        return count
    got = exported_ids(output, "_id")
    count.duplicated = len(got) - len(set(got))
    count.lost = len(set(expected) - set(got))
    count.misrecorded = len(set(got) - set(expected)) + (0 if got == expected else 1)  # strangers, or order
    return count


def chaos_runs(runs: int) -> dict[str, Any]:
    """Run both scenarios ``runs`` times; totals, and per run what was counted."""
    totals: dict[str, Any] = {
        "runs": runs,
        "passed": 0,
        "kills": 0,
        "faults": 0,
        "lost": 0,
        "duplicated": 0,
        "misrecorded": 0,
        "failures": [],
    }
    started = time.monotonic()
    for index in range(runs):
        seed = random.randrange(1 << 30)
        rng = random.Random(seed)
        results = [chaos_import(index, rng), chaos_export(index, rng)]
        for result in results:
            for key in ("kills", "faults", "lost", "duplicated", "misrecorded"):
                totals[key] += getattr(result, key)
        if all(result.exact for result in results):
            totals["passed"] += 1
        else:
            totals["failures"].append({"run": index, "seed": seed, "counts": [vars(result) for result in results]})
        print(
            f"   chaos run {index + 1}/{runs} (seed {seed}): "
            + "; ".join(
                f"{kind} kills {r.kills}, faults {r.faults}, lost {r.lost}, duplicated {r.duplicated}, "
                f"misrecorded {r.misrecorded}{' ' + ', '.join(r.notes) if r.notes else ''}"
                for kind, r in zip(("import", "export"), results, strict=True)
            ),
            flush=True,
        )
    totals["seconds"] = round(time.monotonic() - started, 1)
    (WORK / "chaos.json").write_text(json.dumps(totals, indent=2), encoding="utf-8")
    return totals
