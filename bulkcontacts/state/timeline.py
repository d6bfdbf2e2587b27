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
from bulkcontacts.state.layout import SHARDS_DIR

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
    share: int = 1  # paced at limit ÷ share (a shard of a statically split rate)
    shards: int = 1  # a sharded run's segments combined: how many
    window: float = 1.0  # seconds the limit was written in ("60/min": 60): it is compared over that window

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
        self.broken = False  # a write failed (a full disk): no more lines, rather than half of one
        self.in_segment = False  # a start line was written by this process and no end line yet

    def _line(self, value: Any) -> None:
        """One line; a write the disk refuses ends the timeline for this run (the report then shows the run
        up to there: the checkpoint, not the timeline, is what a resume needs)."""
        if self.broken:
            return
        try:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE)
            os.write(self._fd, json.dumps(value, separators=(",", ":")).encode() + b"\n")
        except OSError:
            self.broken = True

    def start(  # noqa: PLR0913
        self,
        *,
        phase: str,
        unit: str,
        limit: float,
        done_before: int,
        total: int | None,
        share: int = 1,
        window: float = 1.0,
    ) -> None:
        """A segment begins: ``limit`` is the whole rate; ``share``: this process paces at limit ÷ share (one
        of that many shards without a shared budget)."""
        self.in_segment = True
        self._line(
            {
                "event": "start",
                "at": round(time.time(), 3),
                "phase": phase,
                "unit": unit,
                "limit": limit,
                "window": window,
                "done_before": done_before,
                "total": total,
                "share": share,
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


def read_segments(path: Path) -> list[Segment]:
    """The segments a timeline file holds (none if it does not exist)."""
    try:
        with open(path, "rb") as lines:
            return list(_segments(lines))
    except FileNotFoundError:
        return []


def _segments(lines: Iterable[bytes]) -> Iterable[Segment]:
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
            current.share = int(value.get("share", 1))
            current.window = float(value.get("window", 1.0))
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
    window = segments[-1].window if segments else 1.0
    # Over windows of the limit's own length: 60 requests in a 55 s run under "60/min" are the limit, not 109%.
    achieved = requests / max(seconds, window) if seconds else 0.0
    return {
        "segments": len(segments),
        "ended": [segment.status for segment in segments],
        "seconds": round(seconds, 1),
        "requests": requests,
        "done": sum(sample.done for sample in samples),
        "achieved_rate": round(achieved, 1),
        "limit": limit,
        "limit_window": window,
        "rate_ratio": round(achieved / limit, 3) if limit else None,
        "latency_ms": {
            "p50": weighted_percentile([(sample.p50_ms, sample.requests) for sample in samples], 0.5),
            "p95": weighted_percentile([(sample.p95_ms, sample.requests) for sample in samples], 0.95),
        },
        "retries": sum(sample.retries for sample in samples),
        "throttled": sum(sample.throttled for sample in samples),
        "breaker_open_seconds": sum(sample.breaker for sample in samples),
    }


def job_segments(state_path: Path) -> list[Segment]:
    """A state directory's segments in the order they ran: its own, and its shards' combined run by run."""
    shards = sorted((state_path / SHARDS_DIR).glob(f"*/{TIMELINE}"))
    own = read_segments(state_path / TIMELINE)
    combined = combine_parallel([segment for path in shards for segment in read_segments(path)])
    return sorted(own + combined, key=lambda segment: segment.started_at)


ENDINGS = ("killed", "refused", "interrupted", "complete")  # the worst first: how a group of shards ended


def combine_parallel(segments: list[Segment]) -> list[Segment]:
    """Segments that ran at the same time (a sharded run's shards) as one per run, second by second on the
    wall clock: counts summed, the rate summed over a split budget (else the shared one), latency's median
    averaged and 95th percentile the worst."""
    ordered = sorted(segments, key=lambda segment: segment.started_at)
    groups: list[list[Segment]] = []
    for segment in ordered:
        if groups and segment.started_at <= max(s.started_at + s.seconds for s in groups[-1]) + 1.0:
            groups[-1].append(segment)
        else:
            groups.append([segment])
    return [_combined(group) for group in groups]


def _combined(group: list[Segment]) -> Segment:
    start = min(segment.started_at for segment in group)
    seconds: dict[int, list[tuple[Segment, Sample]]] = {}
    for segment in group:
        for sample in segment.samples:
            seconds.setdefault(int(segment.started_at - start + sample.t), []).append((segment, sample))
    first = group[0]
    combined = Segment(start, first.phase, first.unit, first.limit, sum(s.done_before for s in group), first.total)
    combined.window = first.window
    combined.samples = [_second(t, seconds[t]) for t in sorted(seconds)]
    combined.status = min((segment.status for segment in group), key=ENDINGS.index)
    combined.message = "; ".join(sorted({segment.message for segment in group if segment.message}))[:300]
    ends = [segment.ended_at for segment in group]
    combined.ended_at = max(end for end in ends if end is not None) if None not in ends else None
    combined.shards = len(group)
    return combined


def _second(t: int, parts: list[tuple[Segment, Sample]]) -> Sample:
    samples = [sample for _, sample in parts]
    rejected: dict[str, int] = {}
    for sample in samples:
        for code, count in sample.rejected.items():
            rejected[code] = rejected.get(code, 0) + count
    split = any(segment.share > 1 for segment, _ in parts)
    rates = [sample.rate for sample in samples]
    busy = [sample.p50_ms for sample in samples if sample.requests]
    return Sample(
        t=t,
        seconds=max(sample.seconds for sample in samples),
        requests=sum(sample.requests for sample in samples),
        done=sum(sample.done for sample in samples),
        created=sum(sample.created for sample in samples),
        rejected=rejected,
        retries=sum(sample.retries for sample in samples),
        throttled=sum(sample.throttled for sample in samples),
        rate=round(sum(rates) if split else max(rates), 1),
        p50_ms=round(sum(busy) / len(busy), 1) if busy else 0.0,
        p95_ms=max(sample.p95_ms for sample in samples),
        breaker=max(sample.breaker for sample in samples),
        in_flight=sum(sample.in_flight for sample in samples),
    )
