"""The shared budget's batch size (issue 23 item 5): one round trip reserves 60 ms of the whole rate, whatever
the number of workers, and a batch never lets a second hold more than the rate. The pacers run against a fake
store that does what the Lua script does for a grant (the real redis-server is in
tests/integration/test_shared_budget.py)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from bulkcontacts.engine.shared_pacing import BATCH_SECONDS, MOST_SLOTS, SharedPacer, batch_size


class FakeBudget:
    """The GCRA's grant, in process: the next ``n`` slots one interval apart from ``max(tat, now)``; the store's
    clock is ours (offset 0). Counts the grants (the round trips that carry slots)."""

    def __init__(self) -> None:
        self.tat = 0.0
        self.grants: list[int] = []

    def register_script(self, _: str) -> Any:
        async def script(keys: list[str], args: list[Any]) -> list[str]:
            op, rate, value = args[0], float(args[1]), float(args[2])
            now, first = time.monotonic(), 0.0
            if op == "grant":
                first = max(self.tat, now)
                self.tat = first + value / rate
                self.grants.append(int(value))
            return [str(now), str(first), str(rate), str(rate), "0", str(1 / rate), "0"]

        return script

    def pubsub(self) -> Any:
        raise OSError("no pauses here")  # the pacer's listener tries again every half second until closed

    async def aclose(self) -> None:
        return None


@pytest.mark.parametrize(
    ("per_second", "slots"),
    [(245.0, 15), (250.0, 15), (294.0, 18), (980.0, 59), (1960.0, 118), (2000.0, 120), (10.0, 1), (0.2, 1)],
)
def test_a_batch_is_60_ms_of_the_whole_rate(per_second, slots):
    assert BATCH_SECONDS == 0.06
    assert batch_size(per_second) == slots


def test_a_batch_holds_at_least_one_slot_at_most_the_cap_and_never_more_than_a_second_of_the_rate():
    for per_second in (0.01, 0.5, 1.0, 3.0, 8.0, 17.0, 100.0, 1_000.0, 10_000.0, 50_000.0):
        size = batch_size(per_second)
        assert 1 <= size <= MOST_SLOTS and size <= max(1.0, per_second)
    assert batch_size(1e6) == MOST_SLOTS


@pytest.mark.parametrize("limit", [1_000, 1_500, 2_000, 5_000])
def test_at_1000_per_second_and_more_a_thousand_rows_cost_at_most_20_round_trips(limit):
    paced = limit * 0.98  # a run's [run] leaves 2% headroom
    assert 1_000 / batch_size(paced) <= 20


def _busiest_second(stamps: list[float]) -> int:
    stamps = sorted(stamps)
    return max(sum(1 for other in stamps if start <= other < start + 1.0) for start in stamps)


async def _workers_share_a_budget(workers: int, rate: float, turns: int) -> tuple[FakeBudget, list[float]]:
    budget = FakeBudget()
    pacers = [SharedPacer(budget, "bulkcontacts:budget:test", rate, headroom=0.02) for _ in range(workers)]
    stamps: list[float] = []

    async def worker(pacer: SharedPacer) -> None:
        async def one() -> None:
            await pacer.wait_turn()
            pacer.written()
            stamps.append(time.monotonic())

        for _ in range(turns // (workers * 4)):
            await asyncio.gather(*(one() for _ in range(4)))  # a few requests in flight, as a pool has

    await asyncio.gather(*(worker(pacer) for pacer in pacers))
    for pacer in pacers:
        await pacer.aclose()
    return budget, stamps


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_every_round_trip_grants_a_whole_batch_whatever_the_number_of_workers(workers):
    budget, stamps = asyncio.run(_workers_share_a_budget(workers, 400.0, 480))
    assert len(stamps) == 480
    assert set(budget.grants) == {batch_size(400.0 * 0.98)} == {24}  # 60 ms of the whole rate, each worker
    assert len(budget.grants) <= 480 / 24 + workers  # a worker's last batch may go partly unused
    assert _busiest_second(stamps) <= 400  # slots one interval apart: no second holds more than the rate


async def test_a_slot_waited_on_when_a_pause_is_heard_is_given_up_for_a_new_grant():
    """The budget gives the time after a pause out again: a slot granted before it is void, even one a worker
    already waits on (it would double a slot the budget grants anew)."""
    budget = FakeBudget()
    pacer = SharedPacer(budget, "key", 100.0)
    budget.tat = time.monotonic() + 0.2  # the next slots are 0.2 s away
    waiting = asyncio.ensure_future(pacer.wait_turn())
    await asyncio.sleep(0.05)
    assert len(budget.grants) == 1 and not waiting.done()  # it waits on its slot
    now = time.monotonic()
    pacer._heard_pause(since=now, until=now)  # another process's pause (the fake store's clock is ours)
    await asyncio.wait_for(waiting, 2)
    assert len(budget.grants) == 2  # the slot waited on was given up; a new grant gave the turn
    await pacer.aclose()
