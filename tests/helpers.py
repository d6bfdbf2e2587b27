"""Test helpers and fakes, in one place."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path
from typing import Any

from bulkcontacts_emulator.app import RunningEmulator

API_KEY = "test-api-key-5f1c9a"
INTEGRATION = "chan-test"
ENV = {"RAMPWIN_API_KEY": API_KEY, "RAMPWIN_INTEGRATION_ID": INTEGRATION}


def write_csv(path: Path, rows: list[dict[str, Any]], columns: list[str] | None = None) -> Path:
    columns = columns or list(rows[0])
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def contact_rows(count: int, start: int = 0) -> list[dict[str, str]]:
    """Valid, distinct Indian mobile numbers with names, tags and an attribute."""
    return [
        {
            "phone": f"+91 98{(start + index):08d}",
            "name": f"Contact {start + index}",
            "plan": ["gold", "silver"][index % 2],
            "tags": "a;b" if index % 3 == 0 else "",
        }
        for index in range(count)
    ]


def write_spec(
    path: Path,
    source: Path,
    base_url: str,
    *,
    name: str = "test-job",
    run: str = "",
    mapping: str = "",
    sink_extra: str = "",
) -> Path:
    path.write_text(
        textwrap.dedent(f"""\
        [job]
        name = "{name}"

        [source]
        type = "file"
        path = "{source}"

        [sink]
        type = "rampwin"
        base_url = "{base_url}"
        api_key = "${{RAMPWIN_API_KEY}}"
        integration_id = "${{RAMPWIN_INTEGRATION_ID}}"
        {sink_extra}

        [mapping]
        tags = {{ column = "tags", separator = ";" }}
        {mapping}

        [run]
        {run or 'rate = "1000/s"'}
        """),
        encoding="utf-8",
    )
    return path


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bulkcontacts", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **ENV, **EXPORT_ENV, **(env or {})},
        cwd=cwd,
        timeout=timeout,
    )


def start_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bulkcontacts", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **ENV, **EXPORT_ENV, **(env or {})},
        cwd=cwd,
    )


def killed_when(ready: Any, *args: str, cwd: Path, timeout: float = 60) -> None:
    """``bulkcontacts ARGS`` started, then ``kill -9`` as soon as ``ready()`` holds (asserted to come)."""
    import signal

    process = start_cli(*args, cwd=cwd)
    try:
        assert wait_for(ready, timeout=timeout), f"{' '.join(args)}: not ready in {timeout} s"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def emulator_stats(emulator: RunningEmulator) -> dict[str, Any]:
    with urllib.request.urlopen(f"{emulator.url}/_emulator/stats") as response:
        return json.load(response)


def set_emulator(emulator: RunningEmulator, **settings: Any) -> None:
    request = urllib.request.Request(
        f"{emulator.url}/_emulator/settings",
        data=json.dumps(settings).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        response.read()


def wait_for(predicate: Any, timeout: float = 30.0, every: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


def assert_exactly_once(state_dir: Path, total_rows: int) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Every source row is in created.csv or rejected.csv, exactly once."""
    created = read_csv(state_dir / "created.csv")
    rejected = read_csv(state_dir / "rejected.csv")
    rows = [int(line["row"]) for line in created] + [int(line["row"]) for line in rejected]
    assert len(rows) == len(set(rows)), "a row appears twice in the outcome files"
    assert sorted(rows) == list(range(total_rows)), "a row is missing from the outcome files"
    return created, rejected


EXPORT_SOURCES = {
    "rampwin": 'token = "${RAMPWIN_TOKEN}"\nintegration_id = "demo"',
    "tether": 'email = "ops@example.com"\npassword = "${TETHER_PASSWORD}"',
    "kore": (
        'stream_id = "st-1"\ncontact_list_id = "demo"\naccount_id = "acc-1"\niid = "app-1"\n'
        'client_id = "app-1"\nclient_secret = "${KORE_CLIENT_SECRET}"'
    ),
    "smartflo": 'email = "ops@example.com"\npassword = "${SMARTFLO_PASSWORD}"',
    "rest": (  # the emulator's HubSpot-shaped list (bulkcontacts_emulator/rest.py)
        'path = "/v1/contacts/cursor"\nparams = { limit = 100 }\ndata_selector = "results"\n'
        'paginator = { type = "cursor", cursor_path = "paging.next.after", cursor_param = "after" }\n'
        'auth = { type = "bearer", token = "${CRM_TOKEN}" }'
    ),
}
EXPORT_ENV = {
    "RAMPWIN_TOKEN": "rw-jwt-7d1e",
    "TETHER_PASSWORD": "tether-pw-3c2a",
    "KORE_CLIENT_SECRET": "kore-secret-91ab",
    "SMARTFLO_PASSWORD": "smartflo-pw-55e0",
    "CRM_TOKEN": "crm-token-0c4d",  # a [source] type = "rest"
    "CRM_KEY": "crm-key-7f3b",
}


def write_export_spec(
    path: Path,
    provider: str,
    base_url: str,
    output: Path,
    *,
    name: str = "export-job",
    source_extra: str = "",
    sink_extra: str = "",
    run: str = 'rate = "1000/s"\nconcurrency = 8',
) -> Path:
    path.write_text(
        f"""
[job]
name = "{name}"

[source]
type = "{provider}"
base_url = "{base_url}"
{EXPORT_SOURCES[provider]}
{source_extra}

[sink]
type = "file"
path = "{output}"
{sink_extra}

[run]
{run}
""",
        encoding="utf-8",
    )
    return path


def exported_ids(path: Path, id_field: str) -> list[str]:
    """The provider ids in an export file, in file order, whatever its format."""
    import polars as pl

    if path.suffix == ".parquet":
        frame = pl.read_parquet(path)
    elif path.suffix == ".csv":
        frame = pl.read_csv(path, infer_schema=False)
    else:
        frame = pl.read_ndjson(path)
    return [str(value) for value in frame[id_field].to_list()]


def write_migrate_spec(
    path: Path,
    provider: str,
    emulator: RunningEmulator,
    *,
    name: str = "migrate-job",
    sink_extra: str = "",
    mapping: str = "",
    run: str = 'rate = "3000/s"\nconcurrency = 32',
) -> Path:
    """A migration from the emulator's ``provider`` (scope "demo") into the channel ``INTEGRATION``."""
    path.write_text(
        f"""
[job]
name = "{name}"

[source]
type = "{provider}"
base_url = "{emulator.base_url(provider)}"
page_size = 100
{EXPORT_SOURCES[provider]}

[sink]
type = "rampwin"
base_url = "{emulator.base_url("rampwin")}"
api_key = "${{RAMPWIN_API_KEY}}"
integration_id = "${{RAMPWIN_INTEGRATION_ID}}"
token = "${{RAMPWIN_TOKEN}}"
{sink_extra}

[mapping]
{mapping}

[run]
{run}
""",
        encoding="utf-8",
    )
    return path


class ServerThread:
    """Any aiohttp app on loopback, on its own loop in a thread: an independent mock of a provider, for the
    answers the emulator does not give (a 422 for a filter, a list that repeats its pages)."""

    def __init__(self, app: Any) -> None:
        import asyncio
        import threading

        self.app = app
        self.loop = asyncio.new_event_loop()
        self.url = ""
        self._runner: Any = None
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    async def _start(self) -> str:
        from aiohttp import web

        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        return f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]

    def __enter__(self) -> ServerThread:
        import asyncio

        self._thread.start()
        self.url = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(timeout=10)
        return self

    def __exit__(self, *_: object) -> None:
        import asyncio

        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)


def shards_share_of_limit(state: Path, shards: int, limit: float) -> float:
    """Requests per second across a sharded run's shards while they all sent, ÷ the limit: their timelines
    summed second by second on the wall clock, the first and last (partial) seconds left out."""
    from collections import Counter

    from bulkcontacts.state.timeline import read_segments

    per_second: Counter[int] = Counter()
    for index in range(shards):
        for segment in read_segments(state / "shards" / f"{index:04d}" / "timeline.jsonl"):
            for sample in segment.samples:
                per_second[int(segment.started_at + sample.t)] += sample.requests
    inner = sorted(per_second)[1:-1]
    return sum(per_second[second] for second in inner) / len(inner) / limit
