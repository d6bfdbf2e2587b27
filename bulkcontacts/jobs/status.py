"""``status``: a job's progress from its checkpoint(s), without running anything."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bulkcontacts.config.jobs import JobSpec, MigrateJob
from bulkcontacts.state.checkpoint import Progress, StateDir
from bulkcontacts.state.layout import FETCH_DIR, SHARD_PLAN, SHARDS_DIR


@dataclass
class PhaseStatus:
    phase: str  # "" for a one-phase job; a migration's "fetch" and "send"
    where: Path
    progress: Progress | None  # None: not started

    @property
    def done(self) -> tuple[int, str]:
        """How much is done, and in what: pages, or rows (a retry's checkpoint counts places in its list,
        while the outcome files count rows)."""
        assert self.progress is not None
        if self.progress.kind == "export":
            return self.progress.done_count, "pages"
        counts = self.progress.counts
        return counts.get("created", 0) + counts.get("rejected", 0), "rows"


def job_status(spec: JobSpec, state_path: Path) -> list[PhaseStatus]:
    """Each phase's progress; a sharded run's sending is shown shard by shard."""
    phases = [("fetch", state_path / FETCH_DIR)] if isinstance(spec, MigrateJob) else []
    if (state_path / SHARD_PLAN).exists():
        shards = sorted(path for path in (state_path / SHARDS_DIR).iterdir() if path.is_dir())
        phases += [(f"shard {path.name}", path) for path in shards]
    else:
        phases.append(("send" if phases else "", state_path))
    return [PhaseStatus(phase, where, StateDir(where).load()) for phase, where in phases]
