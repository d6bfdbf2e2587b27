"""A phase's segments as charts: throughput against the rate limit, latency, an export's fan-out, the
segments on a wall clock."""

from __future__ import annotations

from collections.abc import Callable

from bulkcontacts.report.series import RunAxis, clock, run_axis
from bulkcontacts.report.svg import Chart, Line, Span, line_chart, span_chart
from bulkcontacts.state.timeline import Sample, Segment


def _line(axis: RunAxis, name: str, label: str, value: Callable[[Sample], float]) -> Line:
    return Line(name, label, [(bucket.x, bucket.per_second(value)) for bucket in axis.buckets])


def limit_shown(per_second: float, window: float) -> str:
    """A limit in the unit it was written in: ``1/s`` as ``60/min`` when it was given per minute."""
    unit = {60.0: "min", 3600.0: "h"}.get(window, "s")
    return f"{per_second * (window if unit != 's' else 1):,.0f}/{unit}"


def _limit_line(axis: RunAxis, segments: list[Segment]) -> Line:
    """The configured rate, a step per segment (a resume may run under another limit)."""
    points: list[tuple[float, float]] = []
    for start, segment in zip(axis.starts, segments, strict=True):
        end = start + max(segment.seconds, len(segment.samples))
        points += [(start, segment.limit), (end, segment.limit)]
    return Line("limit", "rate limit (requests/s)", points, dashed=True)


def _marks(axis: RunAxis) -> list[tuple[float, str]]:
    marks = []
    for bucket in axis.buckets:
        throttled = int(bucket.total(lambda sample: sample.throttled))
        if throttled:
            marks.append((bucket.x, f"{throttled:,} × 429 at {clock(bucket.start)}"))
    return marks


def _bands(axis: RunAxis) -> list[tuple[float, float]]:
    bands: list[tuple[float, float]] = []
    for bucket in axis.buckets:
        if any(sample.breaker for sample in bucket.samples):
            if bands and abs(bands[-1][1] - bucket.start) < 1e-9:
                bands[-1] = (bands[-1][0], bucket.start + bucket.seconds)
            else:
                bands.append((bucket.start, bucket.start + bucket.seconds))
    return bands


def _resumes(axis: RunAxis) -> list[tuple[float, str]]:
    return [(start, f"run {place + 2}") for place, start in enumerate(axis.starts[1:])]


def _requests_per_window(axis: RunAxis, window: float) -> Line:
    """Requests started per second, averaged over the limit's own window (the last ``window`` seconds at
    each point): what the limit governs, on the scale it is written in, so that the line is comparable with
    the dashed limit (one second's bunch is not an overshoot of a per-minute limit)."""
    if window <= axis.bucket_seconds:
        return _line(axis, "requests", "requests started per second", lambda sample: sample.requests)
    points, recent = [], list[tuple[float, float, float]]()  # (end, requests, seconds) of the buckets in the window
    for bucket in axis.buckets:
        recent.append((bucket.start + bucket.seconds, bucket.total(lambda sample: sample.requests), bucket.seconds))
        recent = [item for item in recent if item[0] > bucket.start + bucket.seconds - window]
        seconds = sum(item[2] for item in recent)
        points.append((bucket.x, sum(item[1] for item in recent) / max(seconds, 1.0)))
    return Line("requests", f"requests started per second, over {clock(window)}", points)


def throughput_chart(key: str, phase: str, segments: list[Segment]) -> str:
    axis = run_axis(segments)
    window = segments[-1].window
    requests = _requests_per_window(axis, window)
    marks, bands = _marks(axis), _bands(axis)
    peak = max((y for _, y in requests.points), default=0.0)
    limit = limit_shown(segments[-1].limit, window)
    description = (
        f"Requests started per second over {clock(axis.length)} of {phase} time in {len(segments)} run(s), "
        f"against the rate limit of {limit} (dashed); the busiest point {peak:,.1f} per second; "
        f"{sum(int(bucket.total(lambda sample: sample.throttled)) for bucket in axis.buckets):,} × 429 "
        f"(triangles at the top); circuit breaker open in {len(bands)} stretch(es) (shaded)"
        + (f"; one point per {axis.bucket_seconds} s" if axis.bucket_seconds > 1 else "")
    )
    chart = Chart(
        key, f"Requests against the limit ({phase})", description, "run time", "per second", axis.length,
        [requests, _limit_line(axis, segments)], marks, bands, _resumes(axis),
    )  # fmt: skip
    return line_chart(chart)


def latency_chart(key: str, phase: str, segments: list[Segment]) -> str:
    axis = run_axis(segments)
    p50 = Line("p50", "median latency (ms)", [(bucket.x, bucket.p50()) for bucket in axis.buckets])
    p95 = Line("p95", "95th percentile latency (ms)", [(bucket.x, bucket.p95()) for bucket in axis.buckets])
    worst = max((y for _, y in p95.points), default=0.0)
    description = (
        f"Request latency over {clock(axis.length)} of {phase} time: the median and the 95th percentile of each "
        f"{'second' if axis.bucket_seconds == 1 else f'{axis.bucket_seconds} s'}; worst 95th percentile {worst:,.0f} ms"
    )
    chart = Chart(key, f"Latency ({phase})", description, "run time", "milliseconds", axis.length, [p50, p95])
    chart.rules = _resumes(axis)
    return line_chart(chart)


def fan_out_chart(key: str, segments: list[Segment]) -> str:
    axis = run_axis(segments)
    flight = Line(
        "in_flight",
        "page requests under way",
        [(bucket.x, bucket.mean(lambda sample: sample.in_flight)) for bucket in axis.buckets],
    )
    description = f"Page requests under way at once (the export's fan-out) over {clock(axis.length)} of fetch time"
    chart = Chart(key, "Fan-out (fetch)", description, "run time", "requests under way", axis.length, [flight])
    chart.rules = _resumes(axis)
    return line_chart(chart)


def segments_chart(segments: list[Segment]) -> str:
    spans = [
        Span(
            segment.started_at,
            segment.started_at + segment.seconds,
            f"{segment.phase}: {segment.status}, {segment.done:,} {segment.unit} in {clock(segment.seconds)}",
            segment.status,
        )
        for segment in segments
    ]
    statuses = ", ".join(f"run {place + 1} {segment.status}" for place, segment in enumerate(segments))
    return span_chart(
        "segments", "Run segments", f"{len(segments)} run segment(s) on the wall clock: {statuses}", spans
    )
