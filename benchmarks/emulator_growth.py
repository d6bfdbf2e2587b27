"""``emulator-growth``: the emulator's own speed as its store grows, so that benchmarks and ETAs measure the
client. One emulator process per store kind (a file, as ``--emulate`` runs it, and ``:memory:``, as the
benchmarks do): Rampwin creates from a bare aiohttp loop at concurrency 32, the first ``ROWS`` into an empty
store, then the store filled to ``FILL`` at once (``POST /_emulator/seed``) and ``ROWS`` more; then list pages
(as an export asks for them) at the start and at the end of the 500,000.

``python -m benchmarks.emulator_growth`` prints the figures without touching RESULTS.md."""

from __future__ import annotations

import asyncio
import itertools
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.common import API_KEY, emulator_process

ROWS, FILL, CONCURRENCY, PAGE_SIZE, SAMPLES = 20_000, 500_000, 32, 100, 40
SCOPE = "growth"
TARGET = 0.8


async def _creates(url: str, first: int, count: int) -> float:
    """Rows/s of ``count`` creates (phones ``first``…) at concurrency 32; every one must be a 200."""
    numbers = iter(range(first, first + count))
    failed: list[int] = []

    async def worker(session: aiohttp.ClientSession) -> None:
        for number in numbers:
            body = {"integration_id": SCOPE, "phone_number": 447_000_000_000 + number, "full_name": f"Row {number}"}
            async with session.post(
                f"{url}/rampwin/api/contacts", params={"integration_id": SCOPE}, data=json.dumps(body)
            ) as answer:
                await answer.read()
                if answer.status != 200:
                    failed.append(answer.status)

    headers = {"x-api-key": API_KEY, "content-type": "application/json"}
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(headers=headers, connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(CONCURRENCY)))
        seconds = time.perf_counter() - started
    if failed:
        raise RuntimeError(f"{len(failed)} creates failed, e.g. {failed[0]}")
    return count / seconds


async def _page_seconds(url: str, pages: dict[str, dict[str, Any]]) -> dict[str, float]:
    """Median latency of each page (asked for one at a time, in turn), as an export asks: with totalPages."""
    seen: dict[str, list[float]] = {name: [] for name in pages}
    async with aiohttp.ClientSession(headers={"Authorization": "Bearer bench-token"}) as session:
        for _, (name, extra) in itertools.product(range(SAMPLES), pages.items()):
            body = {"integrationId": SCOPE, "pageSize": PAGE_SIZE, "pageCountRequired": "yes", **extra}
            started = time.perf_counter()
            async with session.post(f"{url}/rampwin/api/contacts/v3/page", json=body) as answer:
                found = (await answer.json())["data"]["contacts"]
            seen[name].append(time.perf_counter() - started)
            if len(found) != PAGE_SIZE:
                raise RuntimeError(f"page {name}: {len(found)} contacts, not {PAGE_SIZE}")
    return {name: statistics.median(values) for name, values in seen.items()}


async def _seed(url: str, count: int, start: int) -> None:
    wanted = {"provider": "rampwin", "scope": SCOPE, "count": count, "start": start}
    async with aiohttp.ClientSession() as session, session.post(f"{url}/_emulator/seed", json=wanted) as answer:
        answer.raise_for_status()


async def _measure(url: str) -> dict[str, float]:
    empty = await _creates(url, 0, ROWS)
    small = await _page_seconds(url, {"first": {"page": 1}})
    await _seed(url, FILL - ROWS, start=0)
    full = await _creates(url, ROWS, ROWS)
    deep = FILL // PAGE_SIZE
    sorted_by = {"sortFilter": [{"field": "updatedAt", "order": "asc"}]}
    latency = await _page_seconds(
        url, {"first": {"page": 1}, "deep": {"page": deep}, "sorted deep": {"page": deep, **sorted_by}}
    )
    return {"empty": empty, "full": full, "small first": small["first"], **latency}


def measure(store: str) -> dict[str, float]:
    """The figures for one store kind: ``"file"`` or ``":memory:"``."""
    with tempfile.TemporaryDirectory() as folder:
        db = str(Path(folder) / "store.sqlite") if store == "file" else ":memory:"
        with emulator_process("--db", db) as emulator:
            return asyncio.run(_measure(emulator.url))


def emulator_growth() -> list[Any]:
    from benchmarks.cases import Figure

    figures = []
    for store in ("file", ":memory:"):
        got = measure(store)
        ratio, deep = got["full"] / got["empty"], got["first"] / got["deep"]
        ordered = got["first"] / got["sorted deep"]
        rates = f"{got['empty']:,.0f} rows/s empty, {got['full']:,.0f} at {FILL:,}; {ROWS:,} creates each"
        pages = (
            f"page 1 {got['first'] * 1000:.1f} ms ({got['small first'] * 1000:.1f} ms at {ROWS:,}), page "
            f"{FILL // PAGE_SIZE:,} {got['deep'] * 1000:.1f} ms, sorted by updatedAt {got['sorted deep'] * 1000:.1f} ms"
        )
        figures += [
            Figure("emulator-growth", f"rows/s at {FILL:,} ÷ empty ({store})", ratio, "≥ 0.8", ratio >= TARGET, rates),
            Figure("emulator-growth", f"page 1 ÷ deep page latency ({store})", deep, "≥ 0.8", deep >= TARGET, pages),
            Figure("emulator-growth", f"page 1 ÷ sorted deep page ({store})", ordered, "≥ 0.8", ordered >= TARGET),
        ]
    return figures


if __name__ == "__main__":
    for figure in emulator_growth():
        print(f"{figure.name}: {figure.value:.3f} (target {figure.target}) {'met' if figure.met else 'NOT MET'} "
              f"{figure.note}")  # fmt: skip
