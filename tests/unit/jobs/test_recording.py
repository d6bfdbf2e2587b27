"""The recorder: one sample a second of what the pool and the job's counts did in that second."""

from __future__ import annotations

import asyncio

from bulkcontacts.engine.attempts import Refused, Retry, Succeeded, Work
from bulkcontacts.engine.pacing import Pacer
from bulkcontacts.engine.pool import PoolSettings, WorkerPool
from bulkcontacts.jobs.recording import Counts, Recorder, percentile
from bulkcontacts.state.timeline import TimelineWriter, read_segments


def test_percentile_is_nearest_rank():
    values = [float(value) for value in range(1, 101)]
    assert percentile(values, 0.5) == 50 and percentile(values, 0.95) == 95 and percentile([], 0.5) == 0


async def _run(tmp_path):
    done: dict[str, int] = {"created": 0, "bad": 0}
    calls = {"n": 0}

    async def attempt(work: Work[int]):
        calls["n"] += 1
        await asyncio.sleep(0.005)
        if work.item % 10 == 0 and work.attempts == 1:
            return Retry("HTTP 503", 503, retry_after=0.01)
        return Refused("bad", 400) if work.item % 7 == 0 else Succeeded(work.item)

    def report(item: int, outcome) -> None:
        done["created" if isinstance(outcome, Succeeded) else "bad"] += 1

    pool: WorkerPool[int] = WorkerPool(attempt, Pacer(100.0), PoolSettings(concurrency=4), report)
    writer = TimelineWriter(tmp_path / "timeline.jsonl")
    recorder = Recorder(
        writer, pool, lambda: Counts(done["created"] + done["bad"], done["created"], {"http_400": done["bad"]})
    )
    recorder.start(phase="send", unit="rows", total=150, window=1.0)

    async def works():
        for item in range(1, 151):
            yield [Work(item)]

    sampling = asyncio.ensure_future(recorder.run())
    await pool.run(works())
    sampling.cancel()
    recorder.sample()
    writer.end("complete", "done")
    return calls["n"], done


def test_samples_add_up_to_the_run(tmp_path):
    calls, done = asyncio.run(_run(tmp_path))
    (segment,) = read_segments(tmp_path / "timeline.jsonl")
    samples = segment.samples
    assert len(samples) >= 2 and segment.status == "complete"
    assert sum(sample.requests for sample in samples) == calls
    assert sum(sample.done for sample in samples) == 150
    assert sum(sample.created for sample in samples) == done["created"]
    assert sum(sample.rejected.get("http_400", 0) for sample in samples) == done["bad"]
    assert sum(sample.retries for sample in samples) == 15
    assert all(sample.rate == 100.0 and 0 < sample.p50_ms <= sample.p95_ms for sample in samples if sample.requests)
    assert max(sample.in_flight for sample in samples) <= 4
