"""The shared rate budget against a real redis-server: pacers on one key split one schedule, a pause or a
lowered ceiling told by one reaches the others, the key is a hash, and a lost store stops sending."""

from __future__ import annotations

import asyncio
import time

import pytest
import redis.asyncio

from bulkcontacts.engine.pacing import PacerUnavailable
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
