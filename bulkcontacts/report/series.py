"""Time series on a run-time axis: the segments laid end to end (the hours between runs left out), each
second a point, or for long runs one point per bucket of seconds, so that no chart holds more than
``MAX_POINTS`` points whatever the run's length."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass

from bulkcontacts.state.timeline import Sample, Segment

MAX_POINTS = 1200


@dataclass(frozen=True)
class Bucket:
    """Consecutive seconds of one segment, as one point."""

    start: float  # run-time seconds at the bucket's start
    samples: tuple[Sample, ...]

    @property
    def x(self) -> float:
        """Where its point goes: the middle of the seconds it holds."""
        return self.start + self.seconds / 2

    @property
    def seconds(self) -> float:
        return sum(sample.seconds for sample in self.samples)

    def per_second(self, value: Callable[[Sample], float]) -> float:
        return sum(value(sample) for sample in self.samples) / (self.seconds or 1.0)

    def mean(self, value: Callable[[Sample], float]) -> float:
        return sum(value(sample) for sample in self.samples) / len(self.samples)

    def total(self, value: Callable[[Sample], float]) -> float:
        return sum(value(sample) for sample in self.samples)

    def p50(self) -> float:
        values = [sample.p50_ms for sample in self.samples if sample.requests or sample.p50_ms]
        return float(statistics.median(values)) if values else 0.0

    def p95(self) -> float:
        return float(max((sample.p95_ms for sample in self.samples), default=0.0))


@dataclass(frozen=True)
class RunAxis:
    """Where each segment starts on the run-time axis, and the buckets of its seconds."""

    starts: list[float]
    length: float
    buckets: list[Bucket]
    bucket_seconds: int


def run_axis(segments: list[Segment], max_points: int = MAX_POINTS) -> RunAxis:
    """Lay the segments end to end and cut their seconds into at most about ``max_points`` buckets."""
    lengths = [max(segment.seconds, len(segment.samples)) for segment in segments]
    total = sum(lengths)
    size = max(1, math.ceil(sum(len(segment.samples) for segment in segments) / max_points))
    starts, buckets, offset = [], [], 0.0
    for segment, length in zip(segments, lengths, strict=True):
        starts.append(offset)
        buckets += _buckets(segment.samples, size, offset)
        offset += length
    return RunAxis(starts, total, buckets, size)


def _buckets(samples: list[Sample], size: int, offset: float) -> list[Bucket]:
    """``size`` seconds a bucket; a short last second joins the bucket before it (a tenth of a second
    holding one request is not a rate of ten a second)."""
    buckets = [
        Bucket(offset + samples[first].t, tuple(samples[first : first + size]))
        for first in range(0, len(samples), size)
    ]
    if len(buckets) > 1 and buckets[-1].seconds < 1.0 and len(buckets[-1].samples) == 1:
        last = buckets.pop()
        buckets[-1] = Bucket(buckets[-1].start, buckets[-1].samples + last.samples)
    return buckets


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10ⁿ at or above ``value`` (an axis' top)."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return float(step * power)
    return 10.0 * power


TIME_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


def time_ticks(length: float, most: int = 7) -> list[float]:
    """Round times from 0 to ``length`` (1 s, 5 min, 1 h apart...), at most ``most`` of them."""
    step = next((step for step in TIME_STEPS if length / step <= most - 1), TIME_STEPS[-1])
    return [float(tick) for tick in range(0, int(length) + 1, step)]


def clock(seconds: float) -> str:
    """Seconds as a person reads a duration: 45 s, 3:05, 2:03:05."""
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    if minutes:
        return f"{minutes}:{secs:02d}"
    return f"{secs} s"
