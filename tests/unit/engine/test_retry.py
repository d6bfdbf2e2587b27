"""The retry policy's decisions, and the pool carrying them out: a server's hint only lengthens a wait."""

import asyncio
import time

from bulkcontacts.engine.attempts import Refused, Retry, RetryNow, Succeeded, Work
from bulkcontacts.engine.pacing import Pacer
from bulkcontacts.engine.pool import PoolSettings, WorkerPool
from bulkcontacts.engine.retry import (
    Again,
    CircuitBreaker,
    FailurePolicy,
    GiveUp,
    Interrupt,
    PauseAll,
    PoolStats,
    RetryPolicy,
)

OUTAGE = Retry("HTTP 503: maintenance", 503, retry_after=0.0)


def policy(**numbers):
    return FailurePolicy(RetryPolicy(**numbers), PoolStats())


def attempted(work, times=1):
    work.attempts += times
    return work


def test_the_breaker_opens_at_its_named_numbers_and_closes_on_a_success():
    numbers = RetryPolicy(breaker_window=10, breaker_min_attempts=5, breaker_failure_ratio=0.6)
    breaker = CircuitBreaker(numbers)
    assert [breaker.record(failed=True) for _ in range(5)] == [False, False, False, False, True]
    assert breaker.is_open
    breaker.record(failed=False)
    assert not breaker.is_open and breaker.probe_wait == numbers.probe_wait_first
    assert [breaker.record(failed=failed) for failed in [True, False, True, False, False, True]] == [False] * 6
    assert not breaker.is_open  # 3 failures of 6: below the ratio
    assert not breaker.record(failed=True)  # 4 of 7: 0.57
    assert breaker.record(failed=True) and breaker.is_open  # 5 of 8: 0.625


def test_backoff_doubles_to_its_ceiling_with_jitter_inside_named_bounds():
    numbers = RetryPolicy(backoff_base=1.0, backoff_max=5.0, backoff_jitter=0.5)
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 5.0), (9, 5.0)]:
        waits = [numbers.backoff(attempt) for _ in range(200)]
        assert ceiling * 0.5 <= min(waits) and max(waits) <= ceiling


def test_a_servers_retry_after_zero_never_skips_the_backoff_or_the_breaker():
    deciding = policy(backoff_base=0.5)
    work = attempted(Work("row"))
    first = deciding.decide(work, OUTAGE)
    assert isinstance(first, Again) and first.seconds >= 0.25  # the backoff, not the server's 0
    decisions = [deciding.decide(attempted(Work(n)), OUTAGE) for n in range(20)]
    assert deciding.breaker.is_open and deciding.stats.breaker_openings == 1
    assert any(isinstance(decision, PauseAll) and not decision.throttled for decision in decisions)
    assert not any(isinstance(decision, GiveUp) for decision in decisions)


def test_a_hint_only_lengthens_a_wait():
    deciding = policy(backoff_base=0.5, breaker_min_attempts=100)
    longer = deciding.decide(attempted(Work(1)), Retry("HTTP 503", 503, retry_after=7.0))
    assert longer == Again(7.0)
    shorter = deciding.decide(attempted(Work(2), 3), Retry("HTTP 503", 503, retry_after=0.01))
    assert isinstance(shorter, Again) and shorter.seconds >= 1.0  # backoff of attempt 3 is 1-2 s


def test_a_429_pauses_everyone_for_at_least_its_hint_and_a_zero_hint_still_backs_off():
    deciding = policy(backoff_base=0.5)
    assert deciding.decide(attempted(Work(1)), Retry("HTTP 429", 429, 3.0, throttled=True)) == PauseAll(3.0, True)
    zero = deciding.decide(attempted(Work(2)), Retry("HTTP 429", 429, 0.0, throttled=True))
    assert isinstance(zero, PauseAll) and zero.throttled and zero.seconds >= 0.5  # the second 429 in a row


def test_a_hint_beyond_give_up_after_interrupts_the_run_naming_when_to_come_back():
    deciding = policy(give_up_after=300)
    decision = deciding.decide(attempted(Work(1)), Retry("HTTP 503: down", 503, retry_after=3600.0))
    assert isinstance(decision, Interrupt)
    assert "called again in 3600 s (at " in decision.reason and "give_up_after = 300 s" in decision.reason
    assert "UTC" in decision.reason and "run the same command again" in decision.reason


def test_retry_now_is_within_the_items_attempts_and_not_an_outage():
    deciding = policy(max_attempts=3)
    work = Work("row")
    renewed = RetryNow("token expired; logged in again", 401)
    assert deciding.decide(attempted(work), renewed) == Again(0.0)
    assert deciding.decide(attempted(work), renewed) == Again(0.0)
    assert deciding.decide(attempted(work), renewed) == GiveUp(
        Refused("gave up after 3 attempts: token expired; logged in again", 401)
    )
    assert not deciding.breaker.recent  # never shown to the breaker


def test_an_item_failing_while_others_succeed_is_refused_but_alone_it_is_an_outage():
    deciding = policy(max_attempts=2, breaker_min_attempts=100)
    lonely = attempted(Work(1))
    deciding.decide(lonely, Retry("HTTP 500", 500, maybe_applied=False))
    assert deciding.decide(attempted(lonely), Retry("HTTP 500", 500, maybe_applied=False)) == Again(0.0)
    assert deciding.breaker.is_open  # nothing succeeded since it began failing
    deciding.succeeded()
    bad = attempted(Work(2))
    deciding.decide(bad, Retry("HTTP 500", 500, maybe_applied=False))
    deciding.succeeded()  # other items go through meanwhile
    decision = deciding.decide(attempted(bad), Retry("HTTP 500", 500, maybe_applied=False))
    assert decision == GiveUp(Refused("gave up after 2 attempts: HTTP 500", 500))


async def test_an_outage_answered_503_retry_after_0_loses_no_item_and_holds_off():
    """The held-out finding: a gateway in maintenance answering every request 503 + Retry-After: 0."""
    down_until = time.monotonic() + 0.6
    sent_while_down = []

    async def attempt(work):
        await asyncio.sleep(0.001)
        if time.monotonic() < down_until:
            sent_while_down.append(work.item)
            return Retry("HTTP 503: <html>maintenance</html>", 503, retry_after=0.0)
        return Succeeded(work.item)

    reported = {}
    numbers = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_max=0.05, probe_wait_first=0.05)
    pool = WorkerPool(attempt, Pacer(10_000), PoolSettings(8, numbers), reported.__setitem__)
    await pool.run(aiter_items(200))
    assert reported == {n: Succeeded(n) for n in range(200)}  # every item created, none refused
    assert pool.stop_reason is None and pool.stats.breaker_openings >= 1
    assert len(sent_while_down) < 60  # the breaker held the pool off: probes, not the full rate


async def test_a_retry_after_longer_than_give_up_after_stops_the_pool_as_interrupted():
    async def attempt(work):
        return Retry("HTTP 503: back tomorrow", 503, retry_after=86_400.0)

    reported = {}
    pool = WorkerPool(attempt, Pacer(10_000), PoolSettings(2, RetryPolicy(give_up_after=60)), reported.__setitem__)
    started = time.monotonic()
    await pool.run(aiter_items(10))
    assert reported == {} and not pool.fatal and time.monotonic() - started < 2
    assert "called again in 86400 s" in pool.stop_reason


async def aiter_items(count):
    for index in range(count):
        yield [Work(index)]
