import asyncio
import time

import pytest

from bulkcontacts.engine.attempts import Fatal, Refused, Retry, Succeeded, Work
from bulkcontacts.engine.pacing import Pacer
from bulkcontacts.engine.pool import PoolSettings, WorkerPool
from bulkcontacts.engine.retry import RetryPolicy


async def items(count):
    for index in range(count):
        yield [Work(index)]


def make_pool(attempt, **settings):
    reported = {}
    concurrency = settings.pop("concurrency", 4)
    options = dict(max_attempts=3, backoff_base=0.001, backoff_max=0.01, give_up_after=0.5)
    options.update(settings)
    pool = WorkerPool(
        attempt,
        Pacer(10_000),
        PoolSettings(concurrency, RetryPolicy(**options)),
        lambda item, outcome: reported.__setitem__(item, outcome),
    )
    return pool, reported


async def test_every_item_is_reported_once_and_retries_recover():
    calls = {}

    async def attempt(work):
        calls[work.item] = calls.get(work.item, 0) + 1
        return Retry("HTTP 503", 503) if calls[work.item] == 1 and work.item % 2 else Succeeded(work.item * 10)

    pool, reported = make_pool(attempt)
    await pool.run(items(50))
    assert reported == {index: Succeeded(index * 10) for index in range(50)}
    assert pool.stats.retries == 25 and pool.stop_reason is None


async def test_an_item_that_keeps_failing_is_refused_after_max_attempts():
    async def attempt(work):
        return Retry("HTTP 500", 500, maybe_applied=False) if work.item == 7 else Succeeded()

    pool, reported = make_pool(attempt, breaker_window=1000)
    await pool.run(items(40))
    assert reported[7] == Refused("gave up after 3 attempts: HTTP 500", 500)
    assert len(reported) == 40


async def test_fatal_answer_stops_the_pool_and_leaves_the_rest_unreported():
    async def attempt(work):
        return Fatal("HTTP 401", 401) if work.item == 5 else Succeeded()

    pool, reported = make_pool(attempt, concurrency=1)
    await pool.run(items(100))
    assert pool.fatal and "401" in pool.stop_reason
    assert set(reported) == set(range(5))


async def test_outage_opens_the_breaker_and_gives_up_without_refusing_items():
    async def attempt(work):
        await asyncio.sleep(0.001)
        return Retry("HTTP 503", 503)

    pool, reported = make_pool(attempt, give_up_after=0.3)
    started = time.monotonic()
    await pool.run(items(1000))
    assert reported == {} and "kept failing" in pool.stop_reason
    assert pool.stats.breaker_openings >= 1 and time.monotonic() - started < 5


async def test_breaker_closes_when_the_server_comes_back():
    back_at = time.monotonic() + 0.4

    async def attempt(work):
        return Succeeded() if time.monotonic() > back_at else Retry("HTTP 503", 503)

    pool, reported = make_pool(attempt, give_up_after=5, max_attempts=2)
    await pool.run(items(60))
    assert reported == {index: Succeeded() for index in range(60)}
    assert pool.stats.breaker_openings >= 1 and pool.stop_reason is None


async def test_429_pauses_every_worker_for_retry_after():
    starts = []
    throttled = {"done": False}

    async def attempt(work):
        starts.append(time.monotonic())
        if not throttled["done"] and len(starts) == 3:
            throttled["done"] = True
            return Retry("HTTP 429", 429, retry_after=0.3, throttled=True)
        return Succeeded()

    pool, reported = make_pool(attempt, concurrency=4)
    began = time.monotonic()
    await pool.run(items(20))
    assert len(reported) == 20 and pool.stats.throttled == 1
    assert starts[3] - began >= 0.29  # nobody started during the pause


async def test_stop_leaves_unfinished_items_unreported():
    async def attempt(work):
        await asyncio.sleep(0.01)
        return Succeeded()

    pool, reported = make_pool(attempt, concurrency=2)

    async def stop_soon():
        await asyncio.sleep(0.05)
        pool.stop("user")

    await asyncio.gather(pool.run(items(1000)), stop_soon())
    assert 0 < len(reported) < 1000 and pool.stop_reason == "user"


async def test_pacer_never_lets_a_second_hold_much_more_than_the_rate():
    pacer = Pacer(200)
    stamps = []

    async def worker():
        for _ in range(40):
            await pacer.wait_turn()
            stamps.append(time.monotonic())

    await asyncio.gather(*(worker() for _ in range(8)))
    spread = stamps[-1] - stamps[0]
    assert spread >= (len(stamps) - 1) / 200 * 0.98  # 320 starts cannot take less than 1.6 s at 200/s


def test_auto_rate_is_adaptive_and_follows_the_server():
    from bulkcontacts.config.run import RunSpec
    from bulkcontacts.jobs.budget import local_pacer

    pacer = local_pacer(RunSpec.model_validate({"rate": "auto"}))
    assert pacer.adaptive and pacer.per_second == 50.0
    for _ in range(200):
        pacer.succeeded()
    ramped = pacer.per_second
    assert ramped > 100  # slow start: it ramps quickly while the server says nothing
    pacer.near_limit()
    assert pacer.per_second < ramped
    eased = pacer.per_second
    for _ in range(200):
        pacer.succeeded()
    assert pacer.per_second == eased  # held after a push-back
    pacer.throttled()
    assert pacer.per_second < eased


async def test_a_429_at_a_fixed_rate_takes_the_implied_overshoot_off_the_ceiling_once_per_second():
    from bulkcontacts.config.run import RunSpec
    from bulkcontacts.jobs.budget import local_pacer

    fixed = local_pacer(RunSpec.model_validate({"rate": "100/s"}))
    fixed._recent_writes.extend([time.monotonic()] * 97)  # 97 written in the last second, and still the
    fixed.throttled()  # server counted more than 100
    assert fixed.ceiling == pytest.approx(98 * 97 / 101)
    fixed.throttled()  # the same burst's other 429s change nothing
    assert fixed.ceiling == pytest.approx(98 * 97 / 101)
    for _ in range(100):
        fixed._shrunk_at = 0.0
        fixed.throttled()
    assert fixed.ceiling == 50  # never under half the configured rate
    remembered = local_pacer(RunSpec.model_validate({"rate": "100/s"}), learned=80.0)
    assert remembered.per_second == 80.0  # a resume keeps what the last run learned


def test_the_window_counts_writes_and_turns_not_yet_written():
    pacer = Pacer(5)
    assert pacer._window_has_room()
    pacer._unwritten.update(object() for _ in range(5))  # granted, none written yet: each still counts
    assert not pacer._window_has_room()
    pacer._unwritten.clear()
    pacer._recent_writes.extend([time.monotonic()] * 4)
    assert pacer._window_has_room()
    pacer._recent_writes.append(time.monotonic())
    assert not pacer._window_has_room()
    pacer._recent_writes.clear()
    pacer._recent_writes.extend([time.monotonic() - 1.5] * 5)  # a second ago: out of the window
    assert pacer._window_has_room()


async def test_a_turn_given_back_unwritten_frees_its_place():
    pacer = Pacer(2)

    async def turn_without_a_write():
        await pacer.wait_turn()
        pacer.release()

    await asyncio.gather(turn_without_a_write(), turn_without_a_write())
    assert not pacer._unwritten and pacer.sent_last_second() == 0


@pytest.mark.parametrize("chunk", [1, 5])
async def test_the_feeder_stays_at_most_a_chunk_and_a_worker_each_ahead_of_the_workers(chunk):
    """Backpressure: the next chunk is taken once fewer works than workers wait; every work is attempted once.
    (Not necessarily in the order handed over: a worker whose turn is due goes ahead of one a busy loop has
    not woken yet from waiting for an earlier slot.)"""
    taken, ahead = [], []

    async def source(count):
        for first in range(0, count, chunk):
            ahead.append(first + chunk - len(taken))
            yield [Work(index) for index in range(first, min(count, first + chunk))]

    async def attempt(work):
        taken.append(work.item)
        await asyncio.sleep(0)
        return Succeeded()

    pool, reported = make_pool(attempt, concurrency=3)
    await pool.run(source(500))
    assert len(reported) == 500 and sorted(taken) == list(range(500))
    assert max(ahead) <= chunk + 3 + 3  # the chunk, fewer than a worker each waiting, one in each worker's hands


async def test_a_stop_wakes_a_feeder_waiting_for_room():
    release = asyncio.Event()

    async def attempt(work):
        await release.wait()
        return Succeeded()

    pool, reported = make_pool(attempt, concurrency=2)
    read = []

    async def source():
        for index in range(1000):
            read.append(index)
            yield [Work(index)]

    running = asyncio.ensure_future(pool.run(source()))
    await asyncio.sleep(0.05)  # the queue is full, the feeder waits for room
    pool.stop("user")
    release.set()
    await asyncio.wait_for(running, 2)
    assert len(read) <= 2 * 2 + 2 + 1 and len(reported) <= 2  # only what was in the workers' hands
    assert pool.stop_reason == "user"


async def test_a_handler_that_raises_in_every_worker_does_not_leave_the_feeder_waiting():
    async def attempt(work):
        raise OSError("state unwritable")

    pool, _ = make_pool(attempt, concurrency=2)
    with pytest.raises(OSError):
        await asyncio.wait_for(pool.run(items(1000)), 2)
    assert pool.stop_reason == "state unwritable"
