"""The shared rate budget against a real redis-server: pacers on one key split one schedule, a pause or a
lowered ceiling told by one reaches the others, the key is a hash, and a lost store stops sending."""

from __future__ import annotations

import asyncio
import bisect
import json
import subprocess
import sys
import time

import pytest
import redis.asyncio

from bulkcontacts.engine.pacing import RAMP_SECONDS, PacerUnavailable
from bulkcontacts.engine.shared_pacing import KEY_PREFIX, SharedPacer, budget_key
from tests.services import redis_server


@pytest.fixture
def store():
    with redis_server() as server:
        yield server


def _pacer(url: str, key: str, rate: float, **options) -> SharedPacer:
    return SharedPacer(redis.asyncio.Redis.from_url(url), key, rate, **options)


async def _turns(pacer: SharedPacer, count: int, stamps: list[float]) -> None:
    for _ in range(count):
        await pacer.wait_turn()
        pacer.written()
        stamps.append(time.monotonic())


def test_pacers_on_one_key_share_one_schedule(store):
    async def main() -> list[float]:
        key = budget_key("api.example.com", "secret-key")
        pacers = [_pacer(store.url, key, 200.0, headroom=0.02) for _ in range(3)]  # as a run's [run] has it
        stamps: list[float] = []
        await asyncio.gather(*(_turns(pacer, 100, stamps) for pacer in pacers))
        for pacer in pacers:
            await pacer.aclose()
        return sorted(stamps)

    stamps = asyncio.run(main())
    busiest = max(sum(1 for other in stamps if start <= other < start + 1.0) for start in stamps)
    assert busiest <= 200  # three pacers, one budget of 200/s: never more in any second
    assert stamps[-1] - stamps[0] >= 299 / 196 * 0.98  # the one schedule: 196/s, whatever the number of pacers


def test_a_pause_and_a_lower_ceiling_reach_every_pacer(store):
    async def main() -> tuple[float, float]:
        key = budget_key("api.example.com", "secret-key")
        first, second = _pacer(store.url, key, 100.0), _pacer(store.url, key, 100.0)
        await first.wait_turn()
        first.pause(1.0)  # a 429 with Retry-After: 1 seen by the first
        first._shrunk_at = 0.0
        first.throttled()  # ... and the shared ceiling drops
        await asyncio.sleep(0.1)  # the budget is told in the background
        began = time.monotonic()
        await second.wait_turn()  # the second waits out the pause it never saw
        waited = time.monotonic() - began
        ceiling = second.ceiling
        await first.aclose()
        await second.aclose()
        return waited, ceiling

    waited, ceiling = asyncio.run(main())
    assert waited >= 0.8
    assert ceiling == pytest.approx(100 * 0.98)  # one shrink of the shared ceiling


def test_the_key_is_a_hash_never_the_credential(store):
    async def main() -> None:
        pacer = _pacer(store.url, budget_key("api.example.com", "secret-key"), 50.0)
        await pacer.wait_turn()
        await pacer.aclose()

    asyncio.run(main())
    keys = [key.decode() for key in store.client().keys("*")]
    assert len(keys) == 1 and keys[0].startswith(KEY_PREFIX) and "secret" not in keys[0]
    assert budget_key("api.example.com", "a") != budget_key("api.example.com", "b")
    assert budget_key("API.example.com", "a") == budget_key("api.example.com", "a")


def test_a_lost_store_stops_sending_with_a_reason(monkeypatch):
    monkeypatch.setattr("bulkcontacts.engine.shared_pacing.UNREACHABLE_SECONDS", 1.0)

    async def main() -> None:
        pacer = _pacer("redis://127.0.0.1:9/0", "bulkcontacts:budget:x", 50.0)
        try:
            await pacer.wait_turn()
        finally:
            await pacer.aclose()

    with pytest.raises(PacerUnavailable, match="rate store stopped answering"):
        asyncio.run(main())


PACER_PROCESS = """
import asyncio, json, sys, time
import redis.asyncio
from bulkcontacts.engine.shared_pacing import SharedPacer

url, key, rate, seconds, pauses, start_at = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), \\
    sys.argv[5] == "1", float(sys.argv[6])


async def main():
    pacer = SharedPacer(redis.asyncio.Redis.from_url(url), key, rate, headroom=0.02)
    while time.time() < start_at:
        await asyncio.sleep(0.002)
    stamps, paused_at = [], None
    while time.time() < start_at + seconds:
        await pacer.wait_turn()
        pacer.written()
        stamps.append(time.time())
        if pauses and paused_at is None and time.time() > start_at + seconds * 0.35:
            paused_at = time.time()
            pacer.pause(0.25)  # a 429 with Retry-After: 0.25 seen by this process only
    await pacer.aclose()
    print(json.dumps({"stamps": stamps, "paused_at": paused_at, "forfeited": pacer.forfeited}))


asyncio.run(main())
"""


@pytest.mark.parametrize("processes", [8, pytest.param(16, marks=pytest.mark.slow)])  # 16 on 2 cores: 10 s
def test_many_processes_on_one_budget_never_overfill_a_second_and_all_hold_for_one_pause(store, processes):
    """Separate processes (as a cluster's workers are), one budget: the busiest second holds no more than the
    rate, from the very first, and a pause one of them takes holds every other at once, and only as long as
    it lasts."""
    rate, seconds = 400.0, 4.0
    key = budget_key("api.example.com", f"key-{processes}")
    start_at = time.time() + 2.0 + processes * 0.1  # every process imported and waiting
    command = [sys.executable, "-c", PACER_PROCESS, store.url, key, str(rate), str(seconds)]
    running = [
        subprocess.Popen([*command, "1" if index == 0 else "0", str(start_at)], stdout=subprocess.PIPE, text=True)
        for index in range(processes)
    ]
    reports = [json.loads(process.communicate(timeout=60)[0]) for process in running]
    stamps = sorted(stamp for report in reports for stamp in report["stamps"])
    busiest = max(bisect.bisect_left(stamps, stamp + 1.0) - place for place, stamp in enumerate(stamps))
    assert busiest <= rate, busiest
    paused_at = reports[0]["paused_at"]
    assert paused_at is not None
    inside = [stamp for stamp in stamps if paused_at + 0.01 < stamp < paused_at + 0.25]
    assert inside == [], f"{len(inside)} turns inside the pause"
    # The schedule restarts at the pause's end: the slots granted before it (up to 60 ms of the rate a process
    # ahead, 0.48 s for 8) are void, not waited out.
    assert paused_at + 0.5 < stamps[-1], "the pause came too late to see the schedule restart"
    resumed = [stamp for stamp in stamps if paused_at + 0.3 <= stamp < paused_at + 0.5]
    assert len(resumed) >= 0.8 * rate * 0.98 * 0.2, f"{len(resumed)} turns in the 0.2 s after the pause"
    # The budget is used, not only never overfilled: between the start's ramp and the pause, the turns taken
    # (and the slots a late wake-up forfeited: a busy 2-core machine's, not the schedule's) fill the rate.
    forfeited = sum(report["forfeited"] for report in reports)
    settled = stamps[0] + RAMP_SECONDS + 0.25  # the ramp, and the processes' first grants spread over ~0.2 s
    steady = [stamp for stamp in stamps if settled <= stamp < paused_at]
    assert len(steady) + forfeited >= 0.9 * rate * 0.98 * (paused_at - settled)
