"""The timeline file: written a line at a time, read back into segments, a kill seen as a missing end."""

from __future__ import annotations

import json

from bulkcontacts.state.timeline import SAMPLE_FIELDS, Sample, TimelineWriter, read_segments, timeline_figures


def _segment(writer: TimelineWriter, seconds: int, *, end: str | None, limit: float = 100.0) -> None:
    writer.start(phase="send", unit="rows", limit=limit, done_before=0, total=1000)
    for second in range(seconds):
        writer.sample(
            Sample(t=second, requests=90, done=90, created=88, rejected={"bad_phone": 2}, p50_ms=3.0, p95_ms=9.0)
        )
    if end is not None:
        writer.end(end, "why it ended")


def test_segments_read_back_with_how_they_ended(tmp_path):
    path = tmp_path / "timeline.jsonl"
    _segment(TimelineWriter(path), 3, end=None)  # killed: no end line
    _segment(TimelineWriter(path), 2, end="interrupted")
    _segment(TimelineWriter(path), 4, end="complete")
    segments = read_segments(path)
    assert [segment.status for segment in segments] == ["killed", "interrupted", "complete"]
    assert [len(segment.samples) for segment in segments] == [3, 2, 4]
    assert segments[0].seconds == 3.0 and segments[0].ended_at is None
    assert segments[2].samples[1].rejected == {"bad_phone": 2} and segments[2].done == 360


def test_a_torn_last_line_and_an_end_without_a_start_are_skipped(tmp_path):
    path = tmp_path / "timeline.jsonl"
    writer = TimelineWriter(path)
    writer.end("complete", "a run with nothing to do writes no end")  # no segment open in this process
    _segment(writer, 2, end=None)
    with open(path, "ab") as handle:
        handle.write(b'[2,1.0,90,90,88,{"bad_ph')  # killed in the middle of a write
    (segment,) = read_segments(path)
    assert segment.status == "killed" and len(segment.samples) == 2
    assert read_segments(tmp_path / "absent.jsonl") == []


def test_a_second_of_a_busy_run_costs_well_under_a_hundred_bytes(tmp_path):
    path = tmp_path / "timeline.jsonl"
    writer = TimelineWriter(path)
    writer.start(phase="send", unit="rows", limit=9600.0, done_before=0, total=10_000_000)
    for second in range(3600):
        writer.sample(
            Sample(second, 1.0, 9600, 9598, 9590, {"bad_phone": 5, "http_400": 3}, 12, 3, 9503.5, 14.2, 120.5, 0, 64)
        )
    assert path.stat().st_size / 3600 < 100
    line = path.read_text().splitlines()[1]
    assert len(json.loads(line)) == len(SAMPLE_FIELDS)


def test_figures_weigh_each_second_by_its_requests(tmp_path):
    path = tmp_path / "timeline.jsonl"
    writer = TimelineWriter(path)
    writer.start(phase="send", unit="rows", limit=100.0, done_before=0, total=None)
    writer.sample(Sample(0, requests=99, done=99, p50_ms=2.0, p95_ms=4.0))
    writer.sample(Sample(1, requests=1, done=1, p50_ms=500.0, p95_ms=900.0, throttled=1))
    writer.end("complete", "")
    figures = timeline_figures(read_segments(path))
    assert figures["requests"] == 100 and figures["throttled"] == 1 and figures["segments"] == 1
    assert figures["latency_ms"] == {"p50": 2.0, "p95": 4.0}  # one slow request in a hundred is not the median
    assert figures["limit"] == 100.0 and 0 < figures["rate_ratio"] <= 1.0


def test_a_per_minute_limit_is_shown_and_compared_per_minute(tmp_path):
    """Kore.ai's 60 requests a minute, a 55 s export of 60 pages: the limit, not "109% of 1/s"."""
    from bulkcontacts.config.run import RunSpec
    from bulkcontacts.report.charts import limit_shown, throughput_chart

    spec = RunSpec.model_validate({"rate": "60/min", "fetch_rate": "3/s"})
    assert spec.rate == 1.0 and spec.rate_window == 60.0
    assert spec.for_fetch().rate == 3.0 and spec.for_fetch().rate_window == 1.0
    path = tmp_path / "timeline.jsonl"
    writer = TimelineWriter(path)
    writer.start(phase="fetch", unit="pages", limit=spec.rate, window=spec.rate_window, done_before=0, total=60)
    for second in range(55):
        writer.sample(Sample(second, requests=2 if second % 11 == 0 else 1, done=1))
    writer.end("complete", "")
    segments = read_segments(path)
    figures = timeline_figures(segments)
    assert figures["requests"] == 60 and figures["limit_window"] == 60.0
    assert figures["rate_ratio"] == 1.0  # 60 in its minute: the limit, reached, not exceeded
    assert limit_shown(figures["limit"], figures["limit_window"]) == "60/min"
    chart = throughput_chart("t", "fetch", segments)
    assert "rate limit of 60/min" in chart and "requests started per second, over" in chart
