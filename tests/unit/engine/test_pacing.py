"""The pacer: even spacing shared by all workers, a window that never holds more than the rate, a fixed rate
that learns from a 429, and an adaptive rate that backs off and recovers."""

import asyncio
import time

from bulkcontacts.engine.pacing import FLOOR, Pacer


async def turns(pacer: Pacer, workers: int, each: int) -> list[float]:
    stamps: list[float] = []

    async def worker() -> None:
        for _ in range(each):
            await pacer.wait_turn()
            pacer.written()
            stamps.append(time.monotonic())
            pacer.release()

    await asyncio.gather(*(worker() for _ in range(workers)))
    return sorted(stamps)


def test_turns_are_spaced_evenly_across_all_workers():
    stamps = asyncio.run(turns(Pacer(100.0), workers=8, each=5))
    gaps = [later - earlier for earlier, later in zip(stamps, stamps[1:], strict=False)]
    assert len(stamps) == 40
    assert stamps[-1] - stamps[0] >= 39 / 100 * 0.95  # never faster than the rate, however many workers
    assert min(gaps) >= 0.005  # no two turns together: spaced, not bunched (1/100 s apart, less jitter)


def test_no_second_holds_more_writes_than_the_rate():
    pacer = Pacer(20.0)
    stamps = asyncio.run(turns(pacer, workers=16, each=3))
    most = max(sum(1 for other in stamps if stamp <= other < stamp + 1.0) for stamp in stamps)
    assert most <= 20


def test_headroom_paces_under_the_limit():
    assert Pacer(100.0, headroom=0.02).per_second == 98.0


def test_a_429_at_a_fixed_rate_lowers_the_ceiling_once_per_second_and_never_under_the_floor():
    pacer = Pacer(100.0)
    pacer.throttled()
    lowered = pacer.ceiling
    pacer.throttled()  # the same burst's other 429s do not count again
    assert 100.0 * 0.9 <= lowered < 100.0 and pacer.ceiling == lowered
    pacer.lower_ceiling(1.0)
    assert pacer.ceiling == 100.0 * FLOOR


def test_an_adaptive_rate_starts_low_backs_off_on_a_429_and_speeds_up_on_success():
    pacer = Pacer(1000.0, adaptive=True, start=50.0)
    assert pacer.per_second == 50.0
    for _ in range(100):
        pacer.succeeded()
    faster = pacer.per_second
    assert faster > 50.0
    pacer.throttled()
    assert pacer.per_second < faster


def test_a_pause_holds_every_worker():
    pacer = Pacer(1000.0)
    pacer.pause(0.2)
    started = time.monotonic()
    asyncio.run(turns(pacer, workers=2, each=1))
    assert time.monotonic() - started >= 0.19
