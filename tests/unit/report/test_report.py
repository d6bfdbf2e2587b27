"""The report's page on synthetic state directories: a day-long run stays small, every text is escaped,
points are bucketed, and a job that never ran gets a message, not a traceback."""

from __future__ import annotations

import json

import pytest

from bulkcontacts.errors import UsageError
from bulkcontacts.report.page import write_report
from bulkcontacts.report.series import MAX_POINTS, clock, nice_ceiling, run_axis, time_ticks
from bulkcontacts.state.timeline import Sample, TimelineWriter, read_segments

HOSTILE = '<script>alert("x")</script> & </svg>'


def _state(tmp_path, seconds: int, segments: int = 1):
    state = tmp_path / "state"
    state.mkdir()
    writer = TimelineWriter(state / "timeline.jsonl")
    for place in range(segments):
        writer.start(phase="send", unit="rows", limit=300.0, done_before=0, total=None)
        for second in range(seconds):
            throttled = 1 if second % 5000 == 17 else 0
            writer.sample(Sample(second, 1.0, 290, 290, 289, {"bad_phone": 1}, 0, throttled, 290.0, 20.0, 80.0))
        if place < segments - 1:
            continue  # killed
        writer.end("complete", HOSTILE)
    summary = {
        "job": HOSTILE,
        "status": "complete",
        "message": HOSTILE,
        "counts": {"created": 10, "rejected": 1, "rejected:bad_phone": 1, "total_rows": 11},
        "files": {"rejected": HOSTILE},
        "accounted_for": True,
        "timeline": {},
    }
    (state / "summary.json").write_text(json.dumps(summary))
    return state


def test_a_day_long_run_is_drawn_in_a_small_page(tmp_path):
    state = _state(tmp_path, 28_800, segments=3)  # three runs of eight hours
    html = write_report(state).read_text(encoding="utf-8")
    assert len(html.encode()) < 2_000_000
    points = [
        int(part.split('"')[0]) for part in html.split("<polyline ")[1:] for part in part.split('data-points="')[1:2]
    ]
    assert max(points) <= MAX_POINTS + 3 and min(points) > 0
    assert html.count('data-status="killed"') == 2 and html.count('data-status="complete"') == 1
    assert "× 429" in html  # the 429s survive the down-sampling as marks


def test_every_text_from_the_data_is_escaped(tmp_path):
    html = write_report(_state(tmp_path, 5)).read_text(encoding="utf-8")
    assert "<script" not in html and "&lt;script&gt;" in html
    assert html.count("</svg>") == html.count("<svg ")


def test_a_job_that_never_ran_gets_a_message(tmp_path):
    with pytest.raises(UsageError, match="no run of this job is recorded"):
        write_report(tmp_path / "never")


def test_an_unwritable_output_is_a_message(tmp_path):
    with pytest.raises(UsageError, match="cannot write the report"):
        write_report(_state(tmp_path, 2), tmp_path / "missing-folder" / "report.html")


def test_seconds_are_bucketed_and_a_short_last_second_joins_the_one_before(tmp_path):
    path = tmp_path / "timeline.jsonl"
    writer = TimelineWriter(path)
    writer.start(phase="send", unit="rows", limit=10.0, done_before=0, total=None)
    for second in range(3):
        writer.sample(Sample(second, requests=10))
    writer.sample(Sample(3, seconds=0.1, requests=1))  # the run ended 0.1 s into its fourth second
    writer.end("complete", "")
    axis = run_axis(read_segments(path))
    assert [bucket.per_second(lambda sample: sample.requests) for bucket in axis.buckets] == [10, 10, 11 / 1.1]
    long = run_axis(read_segments(path), max_points=2)
    assert axis.bucket_seconds == 1 and long.bucket_seconds == 2 and len(long.buckets) == 2


def test_axes_use_round_numbers():
    assert nice_ceiling(287) == 500 and nice_ceiling(4.1) == 5 and nice_ceiling(0) == 1
    assert time_ticks(86_400) == [0.0, 21_600.0, 43_200.0, 64_800.0, 86_400.0]
    assert time_ticks(7) == [0.0, 2.0, 4.0, 6.0]
    assert clock(45) == "45 s" and clock(185) == "3:05" and clock(7385) == "2:03:05"
