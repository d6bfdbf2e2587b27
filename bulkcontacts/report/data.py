"""What a report shows, read from a job's state directory: its summaries, timelines, examples, verify's counts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bulkcontacts.errors import UsageError
from bulkcontacts.state.checkpoint import Example, StateDir
from bulkcontacts.state.layout import FETCH_DIR, SHARD_PLAN, SHARDS_DIR
from bulkcontacts.state.timeline import TIMELINE, Segment, job_segments, read_segments, timeline_figures


@dataclass
class RunRecord:
    """A job's runs so far, as its state directory keeps them."""

    state_path: Path
    summary: dict[str, Any]  # the last run's summary.json (for a migration, its send phase's)
    segments: list[Segment]  # every run segment, in the order they ran, fetch phases included
    fetch_summary: dict[str, Any] | None = None  # a migration's fetch phase
    examples: dict[str, Example] = field(default_factory=dict)  # by ``rejected:<code>``
    verify: dict[str, Any] | None = None  # verify.json, when verify ran
    spans: list[tuple[int, int]] = field(default_factory=list)  # a sharded run: each shard's rows

    @property
    def shards(self) -> list[dict[str, Any]]:
        return list(self.summary.get("shards") or [])

    @property
    def job(self) -> str:
        return str(self.summary.get("job", self.state_path.name))

    @property
    def counts(self) -> dict[str, int]:
        return dict(self.summary.get("counts", {}))

    @property
    def is_export(self) -> bool:
        return "pages" in self.counts and "total_rows" not in self.counts

    def phases(self) -> list[str]:
        """The phases the segments went through, in the order they first ran."""
        return list(dict.fromkeys(segment.phase for segment in self.segments))

    def figures(self, phase: str) -> dict[str, Any]:
        """The numbers of one phase's segments (those ``summary.json`` carries for its phase)."""
        return timeline_figures([segment for segment in self.segments if segment.phase == phase])

    def rejections(self) -> list[tuple[str, int, Example | None]]:
        """Each rejection code, how many rows it took, one example row; the most frequent first."""
        found = [
            (key.partition(":")[2], count, self.examples.get(key))
            for key, count in self.counts.items()
            if key.startswith("rejected:") and count
        ]
        return sorted(found, key=lambda item: (-item[1], item[0]))


def _json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError:
        raise UsageError(f"{path} is damaged (not JSON); run the job again to write it afresh") from None
    return value if isinstance(value, dict) else None


def _examples(state_path: Path) -> dict[str, Example]:
    """Each rejection code's first example: from the job's checkpoint, or its shards' in row order."""
    examples: dict[str, Example] = {}
    for path in [state_path, *sorted((state_path / SHARDS_DIR).glob("[0-9]*"))]:
        progress = StateDir(path).load()
        for key, example in (progress.extra.get("examples", {}) if progress is not None else {}).items():
            examples.setdefault(key, example)
    return examples


def load_run(state_path: Path) -> RunRecord:
    """A job's record, or a message saying what to run first."""
    summary = _json(state_path / "summary.json")
    fetch_path = state_path / FETCH_DIR
    fetch_summary = _json(fetch_path / "summary.json")
    if summary is None and fetch_summary is None:
        raise UsageError(
            f"no run of this job is recorded in {state_path} (no summary.json): run it first, or point "
            "--state-dir at the folder it ran in"
        )
    segments = read_segments(fetch_path / TIMELINE) + job_segments(state_path)
    segments.sort(key=lambda segment: segment.started_at)
    return RunRecord(
        state_path=state_path,
        summary=summary or fetch_summary or {},
        segments=segments,
        fetch_summary=fetch_summary if summary is not None else None,
        examples=_examples(state_path),
        verify=_json(state_path / "verify.json"),
        spans=[(int(start), int(end)) for start, end in (_json(state_path / SHARD_PLAN) or {}).get("spans", [])],
    )
