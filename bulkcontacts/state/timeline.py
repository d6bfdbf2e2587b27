"""A run's time series, ``timeline.jsonl`` in the state directory: written as the run goes, read by the report.

One JSON line per event, appended and handed to the kernel at once (a ``kill -9`` loses nothing written;
``fsync`` at each run's end):

- ``{"event": "start", ...}`` when a run segment starts sending (its phase, unit, rate limit, units done
  before it);
- one array per second of the segment, the fields of ``SAMPLE_FIELDS`` (``rejected`` is a dict by code,
  absent codes omitted): about 40 bytes a second;
- ``{"event": "end", ...}`` when the run finishes, however it ends (``status``: complete, interrupted,
  refused). A segment without one was killed: the reader says so, and ends it at its last second.

A torn last line (a kill in the middle of a write) is skipped.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bulkcontacts.state.atomic import PRIVATE_FILE

TIMELINE = "timeline.jsonl"
SAMPLE_FIELDS = (
    "t",  # seconds since the segment started
    "seconds",  # how long the sample covers: 1, or less for the last of a segment
    "requests",  # requests started in this second
    "done",  # units (rows, pages) finished
    "created",  # rows created (imports), records fetched (exports)
    "rejected",  # rows rejected, by code
    "retries",
    "throttled",  # 429s
    "rate",  # the pacer's rate at the end of the second (requests/s)
    "p50_ms",  # request latency percentiles over the second (0: no request finished)
    "p95_ms",
    "breaker",  # 1: the circuit breaker was open
    "in_flight",  # the most requests under way at once in the second (an export's fan-out)
)


@dataclass
class Sample:
    t: int
    seconds: float = 1.0
    requests: int = 0
    done: int = 0
    created: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    throttled: int = 0
    rate: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    breaker: int = 0
    in_flight: int = 0

    def as_line(self) -> list[Any]:
        return [getattr(self, name) for name in SAMPLE_FIELDS]

    @classmethod
    def from_line(cls, values: list[Any]) -> Sample:
        return cls(**dict(zip(SAMPLE_FIELDS, values, strict=True)))


@dataclass
class Segment:
    """One run's sending (or fetching) phase, from its start line to its end line or its last second."""

    started_at: float
    phase: str  # "send" (rows to Rampwin) or "fetch" (pages of a list API)
    unit: str
    limit: float  # the configured rate, requests/s
    done_before: int
    total: int | None = None
    samples: list[Sample] = field(default_factory=list)
    status: str = "killed"  # how it ended; "killed" when no end line came
    message: str = ""
    ended_at: float | None = None
    shard: str | None = None

    @property
    def seconds(self) -> float:
        """How long it sent (or fetched): its recorded seconds (or, with none, the time to its end line)."""
        if self.samples:
            return self.samples[-1].t + self.samples[-1].seconds
        return max(0.0, self.ended_at - self.started_at) if self.ended_at is not None else 0.0

    @property
    def done(self) -> int:
        return sum(sample.done for sample in self.samples)


class TimelineWriter:
    """Appends a state directory's timeline; each line reaches the kernel before ``write`` returns."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self.in_segment = False  # a start line was written by this process and no end line yet

    def _line(self, value: Any) -> None:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE)
        os.write(self._fd, json.dumps(value, separators=(",", ":")).encode() + b"\n")

    def start(self, *, phase: str, unit: str, limit: float, done_before: int, total: int | None) -> None:
        self.in_segment = True
        self._line(
            {
                "event": "start",
                "at": round(time.time(), 3),
                "phase": phase,
                "unit": unit,
                "limit": limit,
                "done_before": done_before,
                "total": total,
            }
        )

    def sample(self, sample: Sample) -> None:
        self._line(sample.as_line())

    def end(self, status: str, message: str) -> None:
        """The segment this process started finished (any way but a kill): say how, durably."""
        if not self.in_segment:
            return
        self.in_segment = False
        self._line({"event": "end", "at": round(time.time(), 3), "status": status, "message": message[:300]})
        assert self._fd is not None
        os.fsync(self._fd)
        os.close(self._fd)
        self._fd = None


def read_segments(path: Path, shard: str | None = None) -> list[Segment]:
    """The segments a timeline file holds (none if it does not exist)."""
    try:
        with open(path, "rb") as lines:
            return list(_segments(lines, shard))
    except FileNotFoundError:
        return []


def _segments(lines: Iterable[bytes], shard: str | None) -> Iterable[Segment]:
    current: Segment | None = None
    for raw in lines:
        try:
            value = json.loads(raw)
        except ValueError:
            continue  # a torn line: the run was killed while writing it
        if isinstance(value, list) and current is not None and len(value) == len(SAMPLE_FIELDS):
            current.samples.append(Sample.from_line(value))
        elif isinstance(value, dict) and value.get("event") == "start":
            if current is not None:
                yield current  # killed: no end line came
            current = Segment(
                value["at"], value["phase"], value["unit"], value["limit"], value["done_before"], value["total"]
            )
            current.shard = shard
        elif isinstance(value, dict) and value.get("event") == "end" and current is not None:
            current.status, current.message, current.ended_at = value["status"], value["message"], value["at"]
            yield current
            current = None
    if current is not None:
        yield current


def weighted_percentile(pairs: list[tuple[float, int]], share: float) -> float:
    """The ``share`` percentile of per-second values, each weighing its second's requests."""
    pairs = sorted((value, weight) for value, weight in pairs if weight > 0)
    total = sum(weight for _, weight in pairs)
    running = 0
    for value, weight in pairs:
        running += weight
        if running >= share * total:
            return value
    return 0.0


def timeline_figures(segments: list[Segment]) -> dict[str, Any]:
    """The numbers a report shows of these segments; ``summary.json`` carries the same."""
    samples = [sample for segment in segments for sample in segment.samples]
    seconds = sum(segment.seconds for segment in segments)
    requests = sum(sample.requests for sample in samples)
    limit = segments[-1].limit if segments else None
    achieved = requests / seconds if seconds else 0.0
    return {
        "segments": len(segments),
        "ended": [segment.status for segment in segments],
        "seconds": round(seconds, 1),
        "requests": requests,
        "done": sum(sample.done for sample in samples),
        "achieved_rate": round(achieved, 1),
        "limit": limit,
        "rate_ratio": round(achieved / limit, 3) if limit else None,
        "latency_ms": {
            "p50": weighted_percentile([(sample.p50_ms, sample.requests) for sample in samples], 0.5),
            "p95": weighted_percentile([(sample.p95_ms, sample.requests) for sample in samples], 0.95),
        },
        "retries": sum(sample.retries for sample in samples),
        "throttled": sum(sample.throttled for sample in samples),
        "breaker_open_seconds": sum(sample.breaker for sample in samples),
    }
