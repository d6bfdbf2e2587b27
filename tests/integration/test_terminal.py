"""The README's commands as a person runs them: in a pseudo-terminal (80 and 120 columns), with progress bars,
Ctrl-C in the middle of an export and of a migration, then the same command again.

Each walk runs in a copy of ``jobs/`` and ``samples/``; the only change to the jobs is faster rates (the
emulator has no limit under ``--emulate``), so the walk takes seconds, not minutes. Both widths run at
once: the commands mostly wait on their pacing. The wider walk is the part drawn to the terminal's width.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pexpect

from bulkcontacts.jobs import EXIT_INTERRUPTED, EXIT_OK, EXIT_REJECTIONS
from tests.helpers import ENV, EXPORT_ENV, read_csv

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_CREATED = 1_182  # samples/contacts.csv: 1,200 rows, 18 rejected on purpose
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# Smartflo's fetch only doubled, so that Ctrl-C lands mid-fetch (10 pages); "10/s" is Tether's fetch_rate too.
FASTER = {'"200/s"': '"2000/s"', '"50/s"': '"2000/s"', '"10/s"': '"200/s"', '"60/min"': '"200/s"', '"3/s"': '"6/s"'}


@dataclass
class Walk:
    """One person at one terminal width, in a folder of their own."""

    folder: Path
    columns: int
    transcript: list[str] = field(default_factory=list)

    def environment(self) -> dict[str, str]:
        env = {
            name: value
            for name, value in os.environ.items()
            if name not in ENV and name not in EXPORT_ENV and name not in ("COLUMNS", "LINES")
        }
        return {**env, "TERM": "xterm-256color"}

    def spawn(self, *args: str, python: tuple[str, ...] = ()) -> pexpect.spawn:
        child = pexpect.spawn(
            sys.executable,
            [*python, "-m", "bulkcontacts", *args],
            cwd=str(self.folder),
            env=self.environment(),
            dimensions=(40, self.columns),
            encoding="utf-8",
            codec_errors="replace",
            timeout=180,
        )
        return child

    def finish(self, child: pexpect.spawn, command: str) -> tuple[int, str]:
        child.expect(pexpect.EOF)
        child.close()
        output = ANSI.sub("", child.before or "")
        self.transcript.append(f"$ {command}\n{output}")
        assert "Traceback" not in output, f"{command} at {self.columns} columns:\n{output}"
        return child.exitstatus, output

    def run(self, *args: str) -> tuple[int, str]:
        return self.finish(self.spawn(*args), " ".join(args))

    def interrupt(self, *args: str, after: str) -> str:
        """Start the command, press Ctrl-C once ``after`` is on the screen, and expect exit 3."""
        child = self.spawn(*args)
        child.expect(after)
        child.sendcontrol("c")
        code, output = self.finish(child, " ".join(args) + "   (Ctrl-C)")
        assert code == EXIT_INTERRUPTED, output
        assert "run the same command again to resume" in output
        return output


def expect(walk: Walk, code: int, *args: str) -> str:
    actual, output = walk.run(*args)
    assert actual == code, f"{' '.join(args)} at {walk.columns} columns exited {actual}, not {code}:\n{output[-3000:]}"
    return output


def prepare(folder: Path) -> None:
    folder.mkdir()
    shutil.copytree(ROOT / "samples", folder / "samples")
    (folder / "jobs").mkdir()
    for spec in (ROOT / "jobs").glob("*.toml"):
        text = spec.read_text(encoding="utf-8")
        for slow, fast in FASTER.items():
            text = text.replace(slow, fast)
        (folder / "jobs" / spec.name).write_text(text, encoding="utf-8")


def created_count(folder: Path, job: str) -> int:
    return len(read_csv(folder / "jobs" / ".bulkcontacts" / job / "created.csv"))


def walk_readme(walk: Walk) -> None:
    """The whole README at 80 columns; at a wider terminal, what is drawn to its width (the progress of an
    import, of an export and of a sharded run, Ctrl-C, the summaries): the rest prints the same."""
    prepare(walk.folder)
    if walk.columns != 80:
        expect(walk, EXIT_REJECTIONS, "run", "jobs/import-contacts.toml", "--emulate")
        assert created_count(walk.folder, "import-contacts") == SAMPLE_CREATED
        assert "finished" in expect(walk, EXIT_OK, "status", "jobs/import-contacts.toml")
        walk.interrupt("run", "jobs/export-smartflo.toml", "--emulate", after=r"[1-9]\d* pages")
        assert "1,000 records written" in expect(walk, EXIT_OK, "run", "jobs/export-smartflo.toml", "--emulate")
        sharded = expect(
            walk, EXIT_REJECTIONS, "run", "jobs/import-contacts.toml", "--emulate", "--workers", "2", "--restart"
        )
        assert "2 shards merged" in sharded and created_count(walk.folder, "import-contacts") == SAMPLE_CREATED
        return
    # The quick start: 18 sample rows are rejected on purpose, so it exits 1; twice with --restart, the same.
    expect(walk, EXIT_REJECTIONS, "run", "jobs/import-contacts.toml", "--emulate")
    assert created_count(walk.folder, "import-contacts") == SAMPLE_CREATED
    expect(walk, EXIT_REJECTIONS, "run", "jobs/import-contacts.toml", "--emulate", "--restart")
    assert created_count(walk.folder, "import-contacts") == SAMPLE_CREATED
    summary = json.loads((walk.folder / "jobs/.bulkcontacts/import-contacts/summary.json").read_text())
    assert summary["counts"]["created"] == SAMPLE_CREATED and "rejected:http_400" not in summary["counts"]
    expect(walk, EXIT_REJECTIONS, "run", "jobs/import-contacts.toml", "--emulate")  # already complete
    expect(walk, EXIT_REJECTIONS, "run", "jobs/import-contacts.toml", "--retry-rejected", "--emulate")
    expect(walk, EXIT_OK, "validate", "jobs/import-contacts.toml", "--emulate")
    status = expect(walk, EXIT_OK, "status", "jobs/import-contacts.toml")
    drawn = expect(walk, EXIT_OK, "report", "jobs/import-contacts.toml")
    assert "report.html" in drawn and (walk.folder / "jobs/.bulkcontacts/import-contacts/report.html").exists()
    sharded = expect(
        walk, EXIT_REJECTIONS, "run", "jobs/import-contacts.toml", "--emulate", "--workers", "2", "--restart"
    )
    assert "2 shards merged" in sharded and created_count(walk.folder, "import-contacts") == SAMPLE_CREATED
    assert "shard 0001" in expect(walk, EXIT_OK, "status", "jobs/import-contacts.toml")
    assert "finished" in status and "jobs/.bulkcontacts/import-contacts" in status

    for provider in ("rampwin", "tether", "kore"):
        expect(walk, EXIT_OK, "run", f"jobs/export-{provider}.toml", "--emulate")
    walk.interrupt("run", "jobs/export-smartflo.toml", "--emulate", after=r"[1-9]\d* pages")
    resumed = expect(walk, EXIT_OK, "run", "jobs/export-smartflo.toml", "--emulate")
    assert "1,000 records written" in resumed
    expect(walk, EXIT_OK, "run", "jobs/export-smartflo.toml", "--emulate")  # already complete

    smartflo = "jobs/migrate-smartflo-to-rampwin.toml"
    dry = expect(walk, EXIT_OK, "run", smartflo, "--dry-run", "--emulate")
    assert re.search(r"records fetched\s*│?\s*1,000", dry), dry[-3000:]
    sent = expect(walk, EXIT_OK, "run", smartflo, "--emulate")  # follows its dry run: the fetch was kept
    assert "pages ·" not in sent  # no page was fetched again
    assert created_count(walk.folder, "migrate-smartflo-to-rampwin") == 1_000
    walk.interrupt("run", smartflo, "--emulate", "--restart", after=r"[1-9]\d* pages")  # Ctrl-C mid-fetch
    expect(walk, EXIT_OK, "run", smartflo, "--emulate")
    assert created_count(walk.folder, "migrate-smartflo-to-rampwin") == 1_000
    expect(walk, EXIT_OK, "verify", smartflo, "--emulate")
    expect(walk, EXIT_OK, "status", smartflo)

    tether = "jobs/migrate-tether-to-rampwin.toml"
    expect(walk, EXIT_OK, "run", tether, "--dry-run", "--emulate")
    expect(walk, EXIT_OK, "run", tether, "--emulate")
    assert created_count(walk.folder, "migrate-tether-to-rampwin") == 1_000  # its own channel: no collisions
    expect(walk, EXIT_OK, "verify", tether, "--emulate")
    expect(walk, EXIT_OK, "validate", tether, "--emulate")


def test_readme_commands_in_a_terminal_at_80_and_120_columns(tmp_path: Path) -> None:
    walks = [Walk(tmp_path / f"cols{columns}", columns) for columns in (80, 120)]
    failures: dict[int, BaseException] = {}

    def walk_and_catch(walk: Walk) -> None:
        try:
            walk_readme(walk)
        except BaseException as error:  # reported below, with the transcript
            failures[walk.columns] = error

    threads = [threading.Thread(target=walk_and_catch, args=(walk,)) for walk in walks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for walk in walks:
        (tmp_path / f"transcript-{walk.columns}.txt").write_text("\n".join(walk.transcript), encoding="utf-8")
    assert not failures, "; ".join(f"{columns} columns: {error}" for columns, error in failures.items())


def test_ctrl_c_while_the_tool_is_still_starting_is_an_interrupted_run(tmp_path: Path) -> None:
    """Ctrl-C before the run's own handling is in place (its modules still importing, click still reading the
    arguments): one line and exit 3, never a traceback, nor click's "Aborted!" and exit 1 (rows rejected).
    Counted from the moment the tool's first module has loaded (Python's import log says when): before it,
    the interpreter itself is starting (40-60 ms, longer on a busy machine), which no code of ours can catch."""
    import time

    walk = Walk(tmp_path / "early", 80)
    prepare(walk.folder)
    for delay in (0.0, 0.15, 0.35, 0.55):
        child = walk.spawn("run", "jobs/import-contacts.toml", "--emulate", python=("-X", "importtime"))
        child.expect(r"\|\s+bulkcontacts\.errors\r\n")  # the entry point's one import: main() runs next
        time.sleep(delay)
        child.sendcontrol("c")
        code, output = walk.finish(child, f"run (Ctrl-C {delay} s after the tool's code began)")  # no "Traceback"
        assert code == EXIT_INTERRUPTED, output
        assert "interrupted" in output and "run the same command again" in output and "Aborted" not in output


def test_the_command_starts_at_an_entry_point_that_imports_nothing_heavy() -> None:
    import tomllib

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts["bulkcontacts"] == "bulkcontacts.__main__:main"
    imported = subprocess.run(
        [sys.executable, "-c", "import sys, bulkcontacts.__main__; print(sorted(sys.modules))"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "'bulkcontacts.cli'" not in imported and "'polars'" not in imported  # light until Ctrl-C is caught
