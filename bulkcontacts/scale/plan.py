"""A sharded job's plan (``shards.json``): how many shards, the rows of each, and the source they split.

Shards are contiguous row ranges, so ``row`` keeps meaning the file's row and the merged outcome files come
out in row order. The plan is fixed by the first run: resuming with another number of shards is refused
(the shards' checkpoints count their own ranges), as is mixing a sharded and a one-process run of a job.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from bulkcontacts.errors import UsageError
from bulkcontacts.state.atomic import write_atomic
from bulkcontacts.state.layout import SHARD_PLAN, SHARDS_DIR

PLAN = SHARD_PLAN


@dataclass(frozen=True)
class ShardPlan:
    count: int
    total_rows: int
    source_fingerprint: str
    spans: list[tuple[int, int]]
    records: int | None = None  # an export: the provider's total of records, when it told one

    def shard_path(self, root: Path, index: int) -> Path:
        return root / SHARDS_DIR / f"{index:04d}"


def spans_of(total: int, count: int) -> list[tuple[int, int]]:
    """``count`` contiguous ranges covering rows [0, total), their sizes differing by one at most."""
    size, extra = divmod(total, count)
    spans, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        spans.append((start, end))
        start = end
    return spans


def load_plan(root: Path) -> ShardPlan | None:
    try:
        data = json.loads((root / PLAN).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError:
        raise UsageError(f"{root / PLAN} is damaged; run again with --restart to start over") from None
    spans = [(int(start), int(end)) for start, end in data["spans"]]
    return ShardPlan(data["count"], data["total_rows"], data["source_fingerprint"], spans, data.get("records"))


def plan_shards(root: Path, count: int | None, total: int, fingerprint: str, records: int | None = None) -> ShardPlan:
    """The job's plan: the one its first sharded run made, or a new one of ``count`` shards."""
    plan = load_plan(root)
    if plan is None and (root / "checkpoint.json").exists():
        raise UsageError(
            f"this job's progress in {root} was made in one process: finish it without --workers/--cluster, "
            "or run again with --restart to start it over in shards"
        )
    if plan is not None:
        if count is not None and count != plan.count:
            raise UsageError(
                f"this job was split into {plan.count} shards when it started; run it again with --workers "
                f"{plan.count} (each shard's checkpoint counts its own rows), or with --restart to split it anew"
            )
        if plan.source_fingerprint != fingerprint:
            raise UsageError(
                f"the source changed since the last run (plan in {root / PLAN}); restore it, or run again "
                "with --restart to start over"
            )
        return plan
    if count is None or count < 1:
        raise UsageError("give the number of shards: --workers N")
    plan = ShardPlan(count, total, fingerprint, spans_of(total, count), records)
    (root / SHARDS_DIR).mkdir(parents=True, exist_ok=True, mode=0o700)
    write_atomic(root / PLAN, json.dumps(asdict(plan)).encode())
    return plan
