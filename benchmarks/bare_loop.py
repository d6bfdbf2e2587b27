"""The yardstick for import overhead: a hand-written aiohttp loop POSTing the same contacts, N at a time.

``python -m benchmarks.bare_loop CSV BASE_URL INTEGRATION CONCURRENCY [uvloop]`` prints rows per second (on
uvloop's event loop when asked)."""

from __future__ import annotations

import asyncio
import csv
import re
import sys
import time

import aiohttp


def read_payloads(path: str, integration: str) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return [
            {
                "phone_number": int(re.sub(r"\D", "", row["phone"])),
                "full_name": row["name"],
                "integration_id": integration,
                "email": row["email"],
                "city": row["city"],
                "plan": row["plan"],
            }
            for row in csv.DictReader(handle)
        ]


async def post_all(path: str, base_url: str, integration: str, concurrency: int) -> float:
    payloads = read_payloads(path, integration)  # before the clock starts, as ours is  # noqa: ASYNC230
    queue: asyncio.Queue[dict] = asyncio.Queue()
    for payload in payloads:
        queue.put_nowait(payload)
    headers = {"x-api-key": "bench-key", "content-type": "application/json;charset=UTF-8"}
    started = time.monotonic()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

        async def worker() -> None:
            while not queue.empty():
                payload = queue.get_nowait()
                async with session.post(
                    f"{base_url}/api/contacts", params={"integration_id": integration}, json=payload, headers=headers
                ) as response:
                    await response.read()

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(payloads) / (time.monotonic() - started)


if __name__ == "__main__":
    factory = None
    if sys.argv[5:] == ["uvloop"]:
        import uvloop

        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        print(runner.run(post_all(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))))
