"""``python -m benchmarks overhead``: the client's own cost per row, against a server that costs nothing.

Debian's nginx answers the create call with a fixed body, pinned to core 0; the client is pinned to core 1
(``taskset``). In each round, one after the other: bulkcontacts on asyncio's loop, bulkcontacts on uvloop's,
the bare aiohttp loop (``bare_loop.py``) on asyncio's and on uvloop's — 100,000 rows, concurrency 32, no
rate limit. bulkcontacts' rate is its send phase (first request to last: mapping, pacing, ledger and
checkpoints included); the bare loop's payloads are built before its clock starts. Ratios are each round's,
their median reported.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from benchmarks.common import ENV, WORK, contacts_csv, import_job, summary
from benchmarks.scale import FIXED_ANSWER
from tests import services

SERVER_CORE, CLIENT_CORE = "0", "1"


def _tool(source: str, url: str, loop: str) -> float:
    """Requests per second of bulkcontacts' send phase (rows the mapping refused are not requests)."""
    name = f"overhead-{loop}"
    shutil.rmtree(WORK / "state" / name, ignore_errors=True)
    spec = import_job(name, WORK / source, url, rate="1000000/s", concurrency=32)
    env = {**ENV, "BULKCONTACTS_LOOP": loop}
    command = ["taskset", "-c", CLIENT_CORE, sys.executable, "-m", "bulkcontacts", "run", str(spec), "-q"]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    assert done.returncode in (0, 1), done.stdout[-2000:] + done.stderr[-2000:]  # 1: rows refused by the mapping
    facts = summary(name)
    return float(facts["counts"]["created"] / facts["send_seconds"])


def _bare(source: str, url: str, loop: str) -> float:
    command = ["taskset", "-c", CLIENT_CORE, sys.executable, "-m", "benchmarks.bare_loop", str(WORK / source)]
    command += [url, "bench", "32", *(["uvloop"] if loop == "uvloop" else [])]
    return float(subprocess.run(command, env=ENV, capture_output=True, text=True, check=True).stdout)


def rounds(realistic: Path, rows: int = 100_000, count: int = 3) -> dict[str, list[float]]:
    """Rows/s of each side, ``count`` rounds, the runs of a round one after the other; ``realistic``: the same
    number of rows shaped like a real export (phones in a dozen shapes, bad rows), sent by bulkcontacts alone
    (the bare loop cannot read them: the figure is the tool's rate on them beside its rate on generated rows)."""
    if (os.cpu_count() or 1) < 2:
        raise RuntimeError("the overhead case pins nginx and the client to two different cores")
    source = contacts_csv(rows).name
    sides = ("tool-asyncio", "tool-uvloop", "bare-asyncio", "bare-uvloop", "tool-uvloop-realistic")
    found: dict[str, list[float]] = {side: [] for side in sides}
    with services.nginx(FIXED_ANSWER, cores=SERVER_CORE) as (url, _):
        for _ in range(count):
            for loop in ("asyncio", "uvloop"):
                found[f"tool-{loop}"].append(_tool(source, url, loop))
                found[f"bare-{loop}"].append(_bare(source, url, loop))
            found["tool-uvloop-realistic"].append(_tool(realistic.name, url, "uvloop"))
            print("   round:", {side: round(values[-1]) for side, values in found.items()}, flush=True)
    return found


def median_ratio(found: dict[str, list[float]], top: str, bottom: str) -> float:
    return statistics.median(a / b for a, b in zip(found[top], found[bottom], strict=True))
