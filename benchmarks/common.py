"""What every benchmark case needs: an emulator process, generated data, jobs run as child processes."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from tests import services
from tests.helpers import EXPORT_ENV, EXPORT_SOURCES

WORK = Path(__file__).resolve().parent / ".work"
API_KEY = "bench-key"
ENV = {**os.environ, "RAMPWIN_API_KEY": API_KEY, "RAMPWIN_TOKEN": "bench-token", "PYTHONUNBUFFERED": "1"}


def emulator_process(*options: str) -> contextlib.AbstractContextManager[services.EmulatorProcess]:
    """The emulator in its own process (its own core), on a free loopback port, with the benchmarks' keys."""
    return services.emulator_process(*options, env=ENV)


def contacts_csv(rows: int) -> Path:
    """A CSV of ``rows`` distinct valid Indian mobiles with names, email, attributes and tags (cached).
    Written by a child process: a big parent would inflate the peak RSS that wait4 reports for every
    later child (Linux carries the pre-exec size of a forked child into its maxrss)."""
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"contacts-{rows}.csv"
    if not path.exists():
        subprocess.run([sys.executable, "-m", "benchmarks.common", str(rows), str(path)], check=True, env=ENV)
    return path


def _write_contacts_csv(rows: int, path: Path) -> None:
    index = pl.int_range(0, rows, eager=True)
    pl.DataFrame(
        {
            "phone": "+91 9" + index.cast(pl.String).str.zfill(9),
            "name": "Contact " + index.cast(pl.String),
            "email": "c" + index.cast(pl.String) + "@example.com",
            "city": pl.Series(["Mumbai", "Pune", "Kochi", "Jaipur"] * (rows // 4 + 1))[:rows],
            "plan": pl.Series(["gold", "silver"] * (rows // 2 + 1))[:rows],
            "tags": pl.Series(["a;b", "", "vip"] * (rows // 3 + 1))[:rows],
        }
    ).write_csv(path)
    return path


def _spec(name: str, tables: str, *, rate: str, concurrency: int, extra_run: str = "") -> Path:
    """A job spec in the work folder, its state there too."""
    WORK.mkdir(parents=True, exist_ok=True)
    spec = WORK / f"{name}.toml"
    spec.write_text(
        f"""[job]
name = "{name}"
{tables}
[run]
rate = "{rate}"
concurrency = {concurrency}
state_dir = "{WORK / "state" / name}"
{extra_run}
""",
        encoding="utf-8",
    )
    return spec


def import_job(
    name: str,
    source: Path,
    base_url: str,
    *,
    rate: str,
    concurrency: int,
    integration: str | None = None,
    extra_run: str = "",
) -> Path:
    return _spec(
        name,
        f"""[source]
type = "file"
path = "{source}"
[sink]
type = "rampwin"
base_url = "{base_url}"
api_key = "${{RAMPWIN_API_KEY}}"
integration_id = "{integration or name}"
[mapping]
tags = {{ column = "tags", separator = ";" }}""",
        rate=rate,
        concurrency=concurrency,
        extra_run=extra_run,
    )


ENV.update(EXPORT_ENV)


def migrate_job(name: str, provider: str, emulator_urls: tuple[str, str], *, rate: str, concurrency: int) -> Path:
    """``provider`` (scope "demo") → the Rampwin channel ``name``, upsert mode, ``verify``-able."""
    source_url, rampwin_url = emulator_urls
    return _spec(
        name,
        f"""[source]
type = "{provider}"
base_url = "{source_url}"
page_size = 100
{EXPORT_SOURCES[provider]}
[sink]
type = "rampwin"
base_url = "{rampwin_url}"
api_key = "${{RAMPWIN_API_KEY}}"
integration_id = "{name}"
token = "${{RAMPWIN_TOKEN}}"
""",
        rate=rate,
        concurrency=concurrency,
        extra_run="checkpoint_every = 0.2",
    )


def export_job(
    name: str, provider: str, base_url: str, output: Path, *, page_size: int, concurrency: int, rate: str = "10000/s"
) -> Path:
    return _spec(
        name,
        f"""[source]
type = "{provider}"
base_url = "{base_url}"
page_size = {page_size}
{EXPORT_SOURCES[provider]}
[sink]
type = "file"
path = "{output}"
""",
        rate=rate,
        concurrency=concurrency,
    )


@dataclass
class JobRun:
    returncode: int
    seconds: float
    peak_rss_mb: float
    stdout: str


def run_job(spec: Path, *args: str, kill_after: float | None = None, command: str = "run") -> JobRun:
    """Run ``bulkcontacts run`` (or ``command``) as a child; its own peak RSS comes from wait4."""
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "bulkcontacts", command, str(spec), "-q", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=ENV,
    )
    if kill_after is not None:
        time.sleep(kill_after)
        os.kill(process.pid, 9)  # not Popen.kill(): its poll() could reap the child before wait4 sees it
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return JobRun(process.returncode, time.monotonic() - started, usage.ru_maxrss / 1024, output)


def summary(spec_name: str) -> dict[str, Any]:
    return json.loads((WORK / "state" / spec_name / "summary.json").read_text())


if __name__ == "__main__":
    _write_contacts_csv(int(sys.argv[1]), Path(sys.argv[2]))
