"""The run report of real runs against the emulator: an import killed twice and resumed, a completed import, an
export, a migration with its verify. Checked on the parsed HTML (numbers equal to ``summary.json``), and in a
real headless Chromium: no console errors, nothing fetched, the charts and their points there."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bulkcontacts.jobs import EXIT_OK, EXIT_REJECTIONS
from bulkcontacts.report.series import run_axis
from bulkcontacts.state.timeline import job_segments
from bulkcontacts_emulator.app import EmulatorThread, RunningEmulator
from tests.browser import start_browser, stop_browser
from tests.helpers import INTEGRATION, contact_rows, run_cli, start_cli, wait_for, write_csv, write_spec

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 300


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""


class Parsed(HTMLParser):
    """Every element of a page with its attributes and direct text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[Element] = []
        self._open: list[Element] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.elements.append(element)
        if tag not in ("br", "meta", "line", "rect", "path", "i"):
            self._open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(Element(tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        while self._open and self._open.pop().tag != tag:
            pass

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1].text += data

    def find(self, tag: str, **attrs: str) -> list[Element]:
        return [
            element
            for element in self.elements
            if element.tag == tag
            and all(element.attrs.get(name.replace("_", "-")) == value for name, value in attrs.items())
        ]


@dataclass
class Ran:
    state: Path
    job: Path
    summary: dict[str, Any]
    report: Path

    def parsed(self) -> Parsed:
        return Parsed(self.report.read_text(encoding="utf-8"))


def _report(job: Path, state: Path, tmp: Path) -> Ran:
    written = run_cli("report", str(job), "--state-dir", str(state), cwd=tmp)
    assert written.returncode == 0, written.stdout + written.stderr
    summary = json.loads((state / "summary.json").read_text(encoding="utf-8"))
    return Ran(state, job, summary, state / "report.html")


def _killed_twice(tmp: Path, emulator: RunningEmulator) -> Ran:
    rows = contact_rows(1500)
    rows[7]["phone"], rows[700]["name"], rows[1200]["phone"] = "12345", "", rows[3]["phone"]
    source = write_csv(tmp / "in.csv", rows)
    run = f'rate = "{LIMIT}/s"\nconcurrency = 8\ncheckpoint_every = 0.2'
    job = write_spec(tmp / "job.toml", source, emulator.base_url("rampwin"), run=run)
    state = tmp / "state"

    def stored() -> int:
        return len(emulator.state.store.all("rampwin", INTEGRATION))

    for kill_at in (300, 800):
        process = start_cli("run", str(job), "-q", "--state-dir", str(state), cwd=tmp)
        assert wait_for(lambda kill_at=kill_at: stored() >= kill_at, timeout=60)
        process.send_signal(signal.SIGKILL)
        process.wait()
    finished = run_cli("run", str(job), "-q", "--state-dir", str(state), cwd=tmp)
    assert finished.returncode == EXIT_REJECTIONS, finished.stdout + finished.stderr
    assert "report: `bulkcontacts report" in finished.stdout
    return _report(job, state, tmp)


def _sample_import(tmp: Path) -> Ran:
    state = tmp / "state"
    done = run_cli(
        "run", str(ROOT / "jobs" / "import-contacts.toml"), "--emulate", "-q", "--state-dir", str(state), "--report"
    )
    assert done.returncode == EXIT_REJECTIONS, done.stdout + done.stderr
    assert "report: " in done.stdout and (state / "report.html").exists()
    return _report(ROOT / "jobs" / "import-contacts.toml", state, tmp)


def _export(tmp: Path) -> Ran:
    job = tmp / "export.toml"
    text = (ROOT / "jobs" / "export-tether.toml").read_text(encoding="utf-8")
    job.write_text(text.replace('path = "../exports/', f'path = "{tmp}/').replace('rate = "10/s"', 'rate = "40/s"'))
    done = run_cli("run", str(job), "--emulate", "-q", "--state-dir", str(tmp / "state"), cwd=tmp)
    assert done.returncode == EXIT_OK, done.stdout + done.stderr
    return _report(job, tmp / "state", tmp)


def _migration(tmp: Path) -> Ran:
    job = tmp / "migrate.toml"
    text = (ROOT / "jobs" / "migrate-smartflo-to-rampwin.toml").read_text(encoding="utf-8")
    job.write_text(text.replace('rate = "50/s"', 'rate = "400/s"').replace('fetch_rate = "3/s"', 'fetch_rate = "20/s"'))
    state = tmp / "state"
    done = run_cli("run", str(job), "--emulate", "-q", "--state-dir", str(state), cwd=tmp)
    assert done.returncode == EXIT_OK, done.stdout + done.stderr
    verified = run_cli("verify", str(job), "--emulate", "-q", "--state-dir", str(state), cwd=tmp)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    return _report(job, state, tmp)


def _sharded(tmp: Path) -> Ran:
    state = tmp / "state"
    job = ROOT / "jobs" / "import-contacts.toml"
    done = run_cli("run", str(job), "--emulate", "-q", "--state-dir", str(state), "--workers", "2", cwd=tmp)
    assert done.returncode == EXIT_REJECTIONS, done.stdout + done.stderr
    return _report(job, state, tmp)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Ran]]:
    """The five runs at once (each waits on its pacing and its own processes, not on this one's CPU)."""
    with EmulatorThread() as emulator, concurrent.futures.ThreadPoolExecutor(max_workers=5) as pool:
        futures = {
            "killed": pool.submit(_killed_twice, tmp_path_factory.mktemp("killed"), emulator),
            "import": pool.submit(_sample_import, tmp_path_factory.mktemp("import")),
            "export": pool.submit(_export, tmp_path_factory.mktemp("export")),
            "migration": pool.submit(_migration, tmp_path_factory.mktemp("migration")),
            "sharded": pool.submit(_sharded, tmp_path_factory.mktemp("sharded")),
        }
        yield {name: future.result() for name, future in futures.items()}


def test_an_import_killed_twice_shows_three_segments_the_limit_and_its_rejections(runs):
    ran = runs["killed"]
    page = ran.parsed()
    statuses = [rect.attrs["data-status"] for rect in page.find("rect") if "data-status" in rect.attrs]
    assert statuses == ["killed", "killed", "complete"]
    assert ran.summary["timeline"]["ended"] == statuses
    assert len(page.find("line", data_rule="resume")) == 2 * 2  # two resume points, on throughput and latency
    limit = page.find("polyline", data_series="limit")
    assert limit and limit[0].attrs["data-points"] == "6"  # a step per segment
    codes = {row.attrs["data-value"] for row in page.find("rect") if "bar-bad" in row.attrs.get("class", "")}
    counts = {
        key.partition(":")[2]: value for key, value in ran.summary["counts"].items() if key.startswith("rejected:")
    }
    assert codes == {str(value) for value in counts.values()} and sum(counts.values()) == 3
    table = next(element for element in page.elements if element.attrs.get("id") == "rejections-table")
    assert table is not None
    html = ran.report.read_text(encoding="utf-8")
    for code, count in counts.items():
        assert f'<td>{code}</td><td class="n">{count:,}</td>' in html
    assert "row 7: &#x27;12345&#x27; is not a valid phone number" in html  # each reason's first row, as an example
    assert "row 1,200: phone number 919800000003 appears earlier in the file" in html


def test_report_opens_the_page_in_the_browser_the_environment_names(runs, tmp_path):
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" > {opened}\n')
    browser.chmod(0o755)
    ran = runs["export"]
    output = tmp_path / "elsewhere.html"
    args = ("report", str(ran.job), "--state-dir", str(ran.state), "--output", str(output), "--open")
    done = run_cli(*args, env={"BROWSER": str(browser)})
    assert done.returncode == 0, done.stderr
    assert wait_for(opened.exists, timeout=10)
    assert opened.read_text().strip() == output.resolve().as_uri() and output.stat().st_size > 10_000


def test_report_of_a_job_that_never_ran_says_what_to_do(tmp_path):
    job = write_spec(tmp_path / "job.toml", write_csv(tmp_path / "in.csv", contact_rows(3)), "http://127.0.0.1:9")
    done = run_cli("report", str(job), cwd=tmp_path)
    assert done.returncode == 2 and "no run of this job is recorded" in done.stderr and "Traceback" not in done.stderr


def test_the_headline_equals_summary_json(runs):
    for ran in runs.values():
        html = ran.report.read_text(encoding="utf-8")
        counts = ran.summary["counts"]
        figures = ran.summary["timeline"]
        if "total_rows" in counts:
            for name in ("created", "rejected"):
                assert f">{counts[name]:,}</b>{name}</li>" in html
        assert f"{figures['rate_ratio'] or 0:.0%}</b>of the {figures['limit']:,.0f}/s limit" in html
        assert f">{figures['throttled']:,}</b>429s</li>" in html
        accounted = "yes" if ran.summary["accounted_for"] else "no"
        assert f">{accounted}</b>" in html and ran.summary["accounted_for"]


def test_each_chart_has_a_point_per_recorded_second(runs):
    for ran in runs.values():
        page = ran.parsed()
        for phase_dir, phase in ((ran.state / "fetch", "fetch"), (ran.state, "send"), (ran.state, "fetch")):
            segments = [segment for segment in job_segments(phase_dir) if segment.phase == phase]
            if not segments:
                continue
            expected = len(run_axis(segments).buckets)
            chart = [element for element in page.elements if element.attrs.get("id") == f"throughput-{phase}"]
            assert chart, f"{ran.job.name}: no {phase} chart"
            requests = page.find("polyline", data_series="requests")
            assert any(line.attrs["data-points"] == str(expected) for line in requests)


def test_reports_are_small_self_contained_and_labelled(runs):
    for ran in runs.values():
        html = ran.report.read_text(encoding="utf-8")
        assert len(html.encode()) < 2_000_000
        assert "<script" not in html and "src=" not in html and "href=" not in html
        page = Parsed(html)
        for svg in page.find("svg"):
            assert svg.attrs["role"] == "img" and svg.attrs["aria-labelledby"]
        assert len(page.find("title")) >= len(page.find("svg")) + 1
        assert "prefers-color-scheme: dark" in html


def test_the_migration_report_shows_both_phases_and_verify(runs):
    page = runs["migration"].parsed()
    ids = {element.attrs.get("id") for element in page.elements}
    assert {"throughput-fetch", "throughput-send", "fan-out", "verify", "segments"} <= ids
    verify = json.loads((runs["migration"].state / "verify.json").read_text(encoding="utf-8"))
    bars = {
        rect.attrs["data-value"] for rect in page.find("rect") if rect.attrs.get("class", "").startswith("bar bar-")
    }
    assert str(verify["counts"]["created"]) in bars


def test_a_sharded_run_is_drawn_as_one_run_with_its_shards(runs):
    ran = runs["sharded"]
    page = ran.parsed()
    assert [rect.attrs["data-status"] for rect in page.find("rect") if "data-status" in rect.attrs] == ["complete"]
    table = ran.report.read_text(encoding="utf-8").split('id="shards-table"')[1]
    assert table.count("<tr><td>000") == 2 and "0–599" in table and "600–1,199" in table
    for shard in ran.summary["shards"]:
        assert f'<td class="n">{shard["counts"]["created"]:,}</td>' in table
    assert ran.summary["timeline"]["requests"] == ran.summary["counts"]["created"]  # every shard's requests
    assert "row 37: &#x27;12345&#x27; is not a valid phone number" in ran.report.read_text(encoding="utf-8")


def test_the_export_report_shows_pages_and_duplicates(runs):
    html = runs["export"].report.read_text(encoding="utf-8")
    counts = runs["export"].summary["counts"]
    assert f">{counts['pages']:,}</b>pages</li>" in html
    assert f">{counts.get('duplicates_dropped', 0):,}</b>duplicates dropped</li>" in html


async def _look(runs: dict[str, Ran]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    async with aiohttp.ClientSession() as session:
        browser = await start_browser(session)
        try:
            for name, ran in runs.items():
                for dark in (False, True):
                    url = ran.report.resolve().as_uri()
                    load = await browser.load(url, dark=dark)
                    shape = await browser.evaluate(
                        "JSON.stringify({svgs: document.querySelectorAll('svg').length,"
                        " points: [...document.querySelectorAll('polyline[data-series=requests]')]"
                        ".map(p => p.points.numberOfItems),"
                        " background: getComputedStyle(document.body).backgroundColor})"
                    )
                    screenshot = ran.state / f"report-{'dark' if dark else 'light'}.png"
                    await browser.screenshot(screenshot)
                    seen[f"{name}-{'dark' if dark else 'light'}"] = (load, json.loads(shape), screenshot, url)
        finally:
            await stop_browser(browser)
    return seen


def test_reports_render_in_headless_chromium_without_errors_or_network(runs):
    seen = asyncio.run(_look(runs))
    for name, (load, shape, screenshot, url) in seen.items():
        assert load.errors == [], name
        assert load.requests == [url], f"{name} asked for more than itself: {load.requests}"
        assert shape["svgs"] >= 3 and screenshot.stat().st_size > 10_000
        page = runs[name.rsplit("-", 1)[0]].parsed()
        assert shape["points"] == [
            int(line.attrs["data-points"]) for line in page.find("polyline", data_series="requests")
        ]
    assert seen["import-light"][1]["background"] != seen["import-dark"][1]["background"]
