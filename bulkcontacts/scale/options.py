"""How a job is spread over workers (the CLI's --workers, --cluster, --static-split)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScaleOptions:
    workers: int | None = None  # a local cluster of this many worker processes (and as many shards)
    cluster: str | None = None  # an existing Dask scheduler
    static_split: bool = False  # --cluster without a rate store: accept each shard pacing at rate ÷ N
