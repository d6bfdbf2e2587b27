"""One rate budget shared by every worker of every job on the same API key and host, kept in Redis.

The schedule is a GCRA kept server-side: the hash holds the theoretical arrival time (``tat``) of the next
request, and a Lua script, run atomically with EVALSHA and timed by the server's own ``TIME``, hands out the
next ``n`` send times one interval apart and moves ``tat`` past them. A worker asks for a few slots at a time
(60 ms of the whole rate) so that a round trip is paid per batch, not per request; slots are converted from
the server's clock to the worker's by the midpoint of the round trip, so machines need no synchronised
clocks. A 429's pause (``Retry-After``), a lower ceiling learned from a 429, an adaptive rate and a breaker's
hold all live in the same hash, so every worker obeys them at its next batch (within workers x 60 ms); a pause is
also published, and every worker holds the moment it hears it, dropping the slots it was granted before: the
schedule restarts at the pause's end (a batch granted before the pause but answered after is dropped too).
After a second or more without a grant (a run's start, a long pause) the schedule ramps, half the rate for
half a second: the requests that bunch up while connections open never fill a strict window.

The hash's key is a hash of the API key and host (``budget_key``), never the key itself, and expires after
an hour without use.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import math
import time
from typing import Any

from redis.exceptions import RedisError

from bulkcontacts.engine.pacing import FLOOR, RAMP_AFTER_IDLE, RAMP_SECONDS, RAMP_SLOWDOWN, Pacer, PacerUnavailable

# A 429 under a shared budget: no worker sees the others' writes, so the overshoot cannot be measured as the
# in-process pacer does; the shared ceiling drops by a fixed 2% (once a second, never under the floor).
SHARED_SHRINK = 0.98
UNREACHABLE_SECONDS = 30.0  # how long a lost store is waited for (nothing is sent meanwhile)
# What one round trip reserves: 60 ms of the whole budget, however many workers share it (15 slots at
# 250/s, 120 at 2,000/s). The budget's schedule advances at its rate, so it pays about 17 round trips a
# second in all whatever the number of workers (each worker's batch lasts it workers x 60 ms): 17 round trips
# per 1,000 rows at 1,000/s, 8.5 at 2,000/s. A batch's slots are spaced as single ones are, so its size never
# lets a window hold more (a 429 seen with 60 ms came from the test's emulator stalling, not from the batch).
BATCH_SECONDS = 0.06
MOST_SLOTS = 1_000
OFFSET_REFRESH_SECONDS = 60.0  # a clock reading is trusted this long, then replaced by the next one
CLOCK_READINGS = 3  # round trips that only read the clock before a process's first grant
# A granted slot is used at most this late: a process whose loop stalled would otherwise send its batch at
# once, bunched with the slots other processes use on time (a strict window counts the bunch).
LATE_SLOT_SECONDS = 0.02
KEY_PREFIX = "bulkcontacts:budget:"
PAUSE_CHANNEL = ":pause"  # the budget's key and this: where a pause is published as it is stored
LISTEN_SECONDS = 0.5  # the subscription's longest read: how soon a closing pacer's listener notices

GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local key, op, rate = KEYS[1], ARGV[1], tonumber(ARGV[2])
local h = redis.call('HMGET', key, 'tat', 'paused', 'ceiling', 'shrunk', 'current', 'ramp', 'since')
local tat, paused, ramp, since = tonumber(h[1]) or 0, tonumber(h[2]) or 0, tonumber(h[6]) or 0, tonumber(h[7]) or 0
local ceiling = math.min(rate, tonumber(h[3]) or rate)
local current = ceiling
if ARGV[4] == '1' then current = math.min(ceiling, tonumber(h[5]) or tonumber(ARGV[5])) end
local first, spacing = 0, 1 / current
if op == 'grant' then
  first = math.max(tat, now, paused)
  if first - tat >= tonumber(ARGV[7]) then
    ramp = first + tonumber(ARGV[8])
    redis.call('HSET', key, 'ramp', tostring(ramp))
  end
  if first < ramp then spacing = spacing * tonumber(ARGV[9]) end
  redis.call('HSET', key, 'tat', tostring(first + tonumber(ARGV[3]) * spacing))
elseif op == 'pause' then
  if now + tonumber(ARGV[3]) > paused then
    paused, since = now + tonumber(ARGV[3]), now
    -- every worker drops the slots granted before the pause ('since'): the schedule restarts at its end
    redis.call('HSET', key, 'paused', tostring(paused), 'since', tostring(since), 'tat', tostring(math.min(tat, now)))
    redis.call('PUBLISH', key .. ':pause', tostring(since) .. ' ' .. tostring(paused))
  end
elseif op == 'shrink' then
  if now - (tonumber(h[4]) or 0) >= 1 then
    ceiling = math.max(tonumber(ARGV[6]), ceiling * tonumber(ARGV[3]))
    current = math.min(current, ceiling)
    redis.call('HSET', key, 'ceiling', tostring(ceiling), 'shrunk', tostring(now))
  end
elseif op == 'current' then
  current = math.min(ceiling, tonumber(ARGV[3]))
  redis.call('HSET', key, 'current', tostring(current))
end
redis.call('EXPIRE', key, 3600)
return {tostring(now), tostring(first), tostring(current), tostring(ceiling), tostring(paused), tostring(spacing),
  tostring(since)}
"""


def budget_key(host: str, secret: str) -> str:
    """The budget's Redis key: a hash of the host and the credential, never the credential itself."""
    digest = hashlib.sha256(f"{host.lower()}\n{secret}".encode()).hexdigest()[:32]
    return KEY_PREFIX + digest


def batch_size(per_second: float) -> int:
    """How many slots one round trip asks for at this rate: ``BATCH_SECONDS`` of the whole rate (at least one,
    at most ``MOST_SLOTS``, and never more than one second of the rate)."""
    return max(1, min(MOST_SLOTS, int(per_second), round(per_second * BATCH_SECONDS)))


def _forget(task: asyncio.Task[tuple[float, float]]) -> None:
    """A told budget that could not hear: the next grant tries again, and fails the run if it must."""
    if not task.cancelled():
        task.exception()


class SharedPacer(Pacer):
    """A ``Pacer`` whose schedule, pauses and ceiling are shared through Redis (``redis.asyncio`` client)."""

    def __init__(self, client: Any, key: str, per_second: float, **options: Any) -> None:
        super().__init__(per_second, **options)
        self.late_after = LATE_SLOT_SECONDS
        self.client, self.key = client, key
        self.script = client.register_script(GCRA)
        self.round_trips = 0
        self._slots: collections.deque[float] = collections.deque()
        self._refill: asyncio.Lock = asyncio.Lock()
        self._started = self.current  # where an adaptive rate starts when the budget has none yet
        self._background: set[asyncio.Task[tuple[float, float]]] = set()
        self._clock = (float("inf"), 0.0, 0.0)  # (round trip, offset, when): the best clock reading so far
        self._calibrated = False
        self._listener: asyncio.Task[None] | None = None  # the subscription to the budget's pauses
        self._closing = False
        self._spacing = 1.0  # seconds between the slots of the last batch (wider while the budget ramps)
        self._granted_at = 0.0  # when the store granted the slots held (its time); see ``_voided_before``

    async def _call(self, op: str, value: float = 0.0) -> tuple[float, float]:
        """Run the script; adopt the budget's rate, ceiling and pause; return the first slot (local time) and
        when the store ran the script (its own time)."""
        arguments = [op, self.ceiling, value, int(self.adaptive), self._started, self.limit * FLOOR]
        arguments += [RAMP_AFTER_IDLE, RAMP_SECONDS, RAMP_SLOWDOWN]
        lost_since = None
        while True:
            sent = time.monotonic()
            try:
                reply = await self.script(keys=[self.key], args=arguments)
                break
            except (OSError, RedisError) as error:
                lost_since = lost_since or sent
                if sent - lost_since > UNREACHABLE_SECONDS:
                    raise PacerUnavailable(f"the rate store stopped answering ({error})") from None
                await asyncio.sleep(0.5)
        now, first, current, ceiling, paused, self._spacing, since = (float(value) for value in reply)
        offset = self._offset(sent, time.monotonic(), now)
        self.round_trips += 1
        self.current, self.ceiling = current, min(self.ceiling, ceiling)
        self._heard_pause(since, paused + offset)
        return first + offset, now

    def _offset(self, sent: float, received: float, server_now: float) -> float:
        """Our clock minus the server's, from the round trip that came back fastest in the last minute: a
        reply read late (a busy event loop) would shift a whole batch of slots and bunch it with the next."""
        round_trip = received - sent
        best_rtt, _, measured_at = self._clock
        if round_trip <= best_rtt or received - measured_at > OFFSET_REFRESH_SECONDS:
            self._clock = (round_trip, (sent + received) / 2 - server_now, received)
        return self._clock[1]

    async def _listen_for_pauses(self) -> None:
        """Hold this process the moment another one pauses the budget (a 429's ``Retry-After``): the pause is
        published, not only stored, so no worker sends on slots it was granted before it (a batch is 60 ms
        of the whole rate). A lost subscription is opened again; meanwhile the stored pause still reaches this
        process at its next batch."""
        while not self._closing:
            try:
                async with self.client.pubsub() as channel:
                    await channel.subscribe(self.key + PAUSE_CHANNEL)
                    while not self._closing:
                        message = await channel.get_message(ignore_subscribe_messages=True, timeout=LISTEN_SECONDS)
                        if message is not None:
                            since, until = (float(value) for value in message["data"].split())
                            self._heard_pause(since, until + self._clock[1])
            except (OSError, RedisError, ValueError):
                await asyncio.sleep(0.5)

    def _heard_pause(self, since: float, until: float) -> None:
        """The budget's last pause, from ``since`` (store time) to ``until`` (local time): no turn before its end,
        and none on a slot granted before its start (told by any reply, and published as it is stored)."""
        self._paused_until = max(self._paused_until, until)
        if since > self._voided_before:
            self._voided_before = since
            if self._granted_at < since:
                self._slots.clear()

    async def _calibrate(self) -> None:
        """Read the store's clock a few times before the first grant: the first call also loads the script
        and opens the connection, and a slow round trip would shift this process's first slots by half of
        it, bunching them with another worker's at the start of a run."""
        for _ in range(CLOCK_READINGS):
            await self._call("clock")
        self._calibrated = True
        self._listener = asyncio.ensure_future(self._listen_for_pauses())

    async def _next_slot_time(self) -> tuple[float, float]:
        """The next slot the budget granted this process (a new batch from Redis when none is left)."""
        async with self._refill:
            if not self._calibrated:
                await self._calibrate()
            while not self._slots:
                count = batch_size(self.current)
                first, self._granted_at = await self._call("grant", count)
                if self._granted_at >= self._voided_before:  # else granted before a pause heard of meanwhile
                    self._slots.extend(first + place * self._spacing for place in range(count))
            return self._slots.popleft(), self._granted_at

    def _share(self, op: str, value: float) -> None:
        """Tell the budget, without holding up the caller (it runs in the pool's answer path)."""
        task = asyncio.ensure_future(self._call(op, value))
        self._background.add(task)
        task.add_done_callback(_forget)

    def pause(self, seconds: float) -> None:
        super().pause(seconds)
        # The slots granted so far are void (those held, and those waited on): the budget grants the time after
        # the pause again. A batch granted before the store stores the pause is voided when its reply tells it.
        self._voided_before = max(self._voided_before, math.nextafter(self._granted_at, math.inf))
        self._slots.clear()
        self._share("pause", seconds)

    def throttled(self) -> None:
        if self.adaptive:
            self._decrease(0.85)
            self._share("current", self.current)
            return
        now = time.monotonic()
        if now - self._shrunk_at >= 1.0:
            self._shrunk_at = now
            self._share("shrink", SHARED_SHRINK)

    def succeeded(self) -> None:
        before = self.current
        super().succeeded()
        if self.current != before:
            self._share("current", self.current)

    def near_limit(self) -> None:
        before = self.current
        super().near_limit()
        if self.adaptive and self.current != before:
            self._share("current", self.current)

    async def aclose(self) -> None:
        """Wait for what was told to the budget, stop listening, then close the connection."""
        pending = [task for task in self._background if not task.done()]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        self._closing = True
        if self._listener is not None:
            # redis-py may swallow a cancellation inside a read: the flag ends the loop at its next read, and
            # the wait is bounded either way.
            self._listener.cancel()
            await asyncio.wait({self._listener}, timeout=LISTEN_SECONDS * 2)
        await self.client.aclose()
