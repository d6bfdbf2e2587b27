"""``python -m benchmarks shards``: what a sharded import reads, and how fast its outcome files merge.

- **Bytes read by 8 shards.** The driver's pass is made (the plan, the file's index, its repeats), then each
  shard runs as a worker runs it (``run_shard``), one process each, against nginx's fixed answer; each
  process counts the bytes it read (``rchar`` of ``/proc/self/io`` around the shard, less the size of every
  other file it opened to read: modules, certificates, its state; on asyncio's loop, whose socket reads are
  ``recv`` calls, not counted) on a file shaped like real exports. The same shards then run without the
  driver's index (as before: each reads every row before its own).
- **Merge.** Eight shards' ``created.csv`` and ``rejected.csv`` (rows in completion order, rejected rows
  with their source cells: quotes, commas, line breaks) merged into the job's, records per second.
"""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import ENV, WORK, import_job
from benchmarks.scale import FIXED_ANSWER
from tests import services

SHARD = """
import json, os, sys
from bulkcontacts.scale.shard import ShardTask, run_shard

task = ShardTask(**json.loads(sys.argv[1]))
source, others = os.path.realpath(sys.argv[2]), set()

def opened(event, args):  # files other than the source opened to be read: modules, certificates, state
    if event == "open" and isinstance(args[0], str) and (args[1] is None or "r" in args[1] and "+" not in args[1]):
        if os.path.realpath(args[0]) != source and os.path.isfile(args[0]):
            others.add(os.path.realpath(args[0]))

def rchar():
    return int(next(line for line in open("/proc/self/io") if line.startswith("rchar")).split()[1])

sys.addaudithook(opened)
before = rchar()
result = run_shard(task)
read = rchar() - before - sum(os.path.getsize(path) for path in others if os.path.exists(path))
print(json.dumps({"read": read, "status": result["status"]}))
"""


def _plan(spec_path: Path, root: Path, count: int, indexed: bool) -> list[tuple[int, int]]:
    from bulkcontacts.config.load import load_spec
    from bulkcontacts.io.readers import FileReader
    from bulkcontacts.scale.plan import plan_shards
    from bulkcontacts.scale.source import index_source

    os.environ.update({key: ENV[key] for key in ("RAMPWIN_API_KEY", "RAMPWIN_TOKEN")})  # the spec's secrets
    spec = load_spec(spec_path)
    reader = FileReader(spec.source)  # type: ignore[arg-type]
    plan = plan_shards(root, count, reader.count_rows(), reader.fingerprint())
    if indexed:
        index_source(spec, reader, plan, root)  # type: ignore[arg-type]
    return plan.spans


def bytes_read(source: Path, count: int = 8) -> dict[str, float]:
    """Bytes the ``count`` shards read together, with and without the driver's index, each ÷ the file."""
    size, found = source.stat().st_size, {}
    with services.nginx(FIXED_ANSWER) as (url, _):
        for indexed in (False, True):
            name = f"shards-read-{'indexed' if indexed else 'from-top'}"
            root = WORK / "state" / name
            shutil.rmtree(root, ignore_errors=True)
            spec = import_job(name, source, url, rate="1000000/s", concurrency=32)
            total = 0
            for index, span in enumerate(_plan(spec, root, count, indexed)):
                task = {"job": str(spec), "root": str(root), "index": index, "span": span, "share": 1}
                command = [sys.executable, "-c", SHARD, json.dumps(task), str(source)]
                # asyncio's loop reads sockets with recv(), which rchar does not count (uvloop's read() is counted).
                env = {**ENV, "BULKCONTACTS_LOOP": "asyncio"}
                done = subprocess.run(command, env=env, capture_output=True, text=True)
                assert done.returncode == 0, done.stderr[-2000:]
                facts = json.loads(done.stdout.strip().splitlines()[-1])
                assert facts["status"] == "complete", done.stdout[-2000:] + done.stderr[-2000:]
                total += facts["read"]
            found["indexed" if indexed else "from_top"] = total / size
    return found


HEADER = ["row", "reason", "status", "phone", "name", "notes"]


def merge_rate(records: int = 2_000_000, count: int = 8) -> float:
    """Records per second merging ``count`` shards' outcome files (``records`` rows in all, one in ten rejected
    with its source cells)."""
    from bulkcontacts.scale.merge import merge_outcomes
    from bulkcontacts.scale.plan import ShardPlan, spans_of
    from bulkcontacts.state.checkpoint import Progress, StateDir

    root = WORK / "state" / "shards-merge"
    shutil.rmtree(root, ignore_errors=True)
    plan = ShardPlan(count, records, "f", spans_of(records, count))
    rng = random.Random(7)
    for index, (start, end) in enumerate(plan.spans):
        shard = StateDir(plan.shard_path(root, index))
        shard.create()
        rows = list(range(start, end))
        rng.shuffle(rows)  # completion order
        offsets = {}
        for name, keep in (("created.csv", lambda row: row % 10), ("rejected.csv", lambda row: not row % 10)):
            with open(shard.file(name), "w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["row", "phone_number", "contact_id"] if name == "created.csv" else HEADER)
                for row in filter(keep, rows):
                    writer.writerow(
                        [row, 919800000000 + row, f"{row:024x}"]
                        if name == "created.csv"
                        else [row, "phone: not a number", "", f"0{row}", f"Müller, {row}", 'says "hi"\nline 2']
                    )
            offsets[name] = shard.file(name).stat().st_size
        shard.save(Progress("import", "f", "s", offsets=offsets))
    started = time.perf_counter()
    merge_outcomes(plan, root)
    return records / (time.perf_counter() - started)


if __name__ == "__main__":  # the case runs both here, in a process of its own (see cases.shards)
    from benchmarks.cases import _dry_run_file

    print(json.dumps({**bytes_read(_dry_run_file(200_000)), "merge": merge_rate()}))
