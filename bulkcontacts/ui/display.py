"""What a person sees while a job runs: a progress bar on a terminal, periodic log lines otherwise.

Every value shown may be unknown yet (an export learns its total from its first page), the terminal may be
narrow, and a run may have several phases (a migration fetches, then sends): each phase's bar is started
and stopped once, and a stopped display never draws again.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Column
from rich.text import Text

from bulkcontacts.text import shorten


def shown_path(path: Path | str) -> str:
    """A path as a person would type it: relative to the current directory when under it, else absolute."""
    resolved = Path(path).resolve()
    with contextlib.suppress(ValueError):
        return str(resolved.relative_to(Path.cwd()))
    return str(resolved)


PREVIEW_FIELDS = 25
PREVIEW_VALUE_CHARS = 60


def preview(payload: dict[str, Any]) -> str:
    """A payload as JSON for a person: each value cut to a readable length, at most ``PREVIEW_FIELDS`` fields,
    with a count of what was left out (one huge cell or thousands of columns never flood the terminal)."""
    shown: dict[str, Any] = {}
    for key, value in list(payload.items())[:PREVIEW_FIELDS]:
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
        cut = shorten(text, PREVIEW_VALUE_CHARS) if len(text) > PREVIEW_VALUE_CHARS else None
        shown[shorten(key, PREVIEW_VALUE_CHARS)] = cut if cut is not None else value
    more = len(payload) - len(shown)
    return json.dumps(shown, ensure_ascii=False, default=str) + (f" … ({more:,} more fields)" if more else "")


@dataclass
class Snapshot:
    """Progress of a run, as counted so far (this run and the runs it resumes)."""

    done: int = 0
    total: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    throttled: int = 0
    rate: float = 0.0  # units finished per second in this run
    unit: str = "rows"
    last_error: str | None = None  # the latest retryable failure, once retries have started
    last_error_count: int = 0  # how many times in a row it was seen

    def describe(self) -> str:
        parts = [f"{name} {value:,}" for name, value in self.counts.items()]
        parts += [f"retries {self.retries:,}", f"429s {self.throttled:,}"]
        if self.retries and self.last_error:
            parts.append(f"last error: {shorten(self.last_error, 80)} (×{self.last_error_count:,})")
        return ", ".join(parts)

    def amount(self) -> str:
        total = f"/{self.total:,}" if self.total is not None else ""
        return f"{self.done:,}{total} {self.unit}"


class Display:
    """Plain log lines (not a terminal): one every ``every`` seconds, on stderr."""

    def __init__(self, console: Console, every: float = 5.0) -> None:
        self.console = console
        self.every = every
        self._last = 0.0
        self._notes: list[str] = []

    def note(self, message: str) -> None:
        """A line of context (the state directory, the emulator): printed once the run gets going, so a
        spec or file refused at the start is answered by its error alone."""
        self._notes.append(message)

    def flush(self) -> None:
        for message in self._notes:
            self.console.print(message, highlight=False, markup=False, soft_wrap=True)
        self._notes.clear()

    def notice(self, message: str) -> None:
        """Something the person must know now (a stop under way), shown even with ``-q``."""
        self.console.print(message, style="yellow", highlight=False, markup=False, soft_wrap=True)

    def start(self, label: str, snapshot: Snapshot) -> None:
        self.flush()
        total = f"{snapshot.total:,} {snapshot.unit}" if snapshot.total is not None else snapshot.unit
        resumed = f", resuming after {snapshot.done:,} done" if snapshot.done else ""
        self.console.print(f"{label}: {total}{resumed}", highlight=False, markup=False, soft_wrap=True)

    def update(self, snapshot: Snapshot) -> None:
        now = time.monotonic()
        if now - self._last < self.every:
            return
        self._last = now
        self.console.print(
            f"{snapshot.amount()} · {snapshot.rate:,.1f}/s · {snapshot.describe()}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )

    def stop(self) -> None:
        pass


class QuietDisplay(Display):
    """``-q``: nothing while the run goes; the summary is printed by the command."""

    def flush(self) -> None:
        self._notes.clear()

    def start(self, label: str, snapshot: Snapshot) -> None:
        pass

    def update(self, snapshot: Snapshot) -> None:
        pass


class AmountColumn(ProgressColumn):
    """``done/total unit · rate/s``; just ``done unit`` while the total is unknown."""

    def render(self, task: Task) -> Text:
        snapshot: Snapshot = task.fields["snapshot"]
        return Text(f"{snapshot.amount()} · {snapshot.rate:,.1f}/s", no_wrap=True)


class BarDisplay(Display):
    """A live progress bar with rate, counts and ETA (on a terminal); counts and the last error are cut to
    the terminal's width rather than wrapped."""

    def __init__(self, console: Console) -> None:
        super().__init__(console)
        self.bar: Progress | None = None
        self.task: TaskID | None = None

    def start(self, label: str, snapshot: Snapshot) -> None:
        self.stop()  # a phase's bar is replaced, never drawn twice
        self.flush()
        narrow = self.console.width < 100
        columns: list[ProgressColumn | str] = [
            TextColumn(
                "[bold]{task.description}",
                table_column=Column(
                    no_wrap=True, overflow="ellipsis", max_width=max(12, self.console.width // 3) if narrow else None
                ),
            ),
            BarColumn(bar_width=None if not narrow else 12),
            AmountColumn(),
        ]
        if not narrow:
            columns.append(TimeRemainingColumn())
        columns.append(
            TextColumn(
                "{task.fields[counts]}", markup=False, table_column=Column(ratio=1, no_wrap=True, overflow="ellipsis")
            )
        )
        # Two columns short of the terminal: a bar that fills the line leaves the cursor at its end, where the
        # terminal's echo of ^C wraps to a new line and the next refresh draws a second bar under the first.
        bar_console = Console(
            file=self.console.file,
            width=max(20, self.console.width - 2),
            highlight=False,
            force_terminal=self.console.is_terminal,
        )
        self.bar = Progress(*columns, console=bar_console, transient=False, expand=True)
        self.bar.start()
        self.task = self.bar.add_task(
            label, total=snapshot.total, completed=snapshot.done, snapshot=snapshot, counts=snapshot.describe()
        )

    def notice(self, message: str) -> None:
        """Shown in the bar itself while one is drawn: a line printed under a live bar would leave a
        second copy of the bar behind."""
        if self.bar is None or self.task is None:
            super().notice(message)
            return
        self.bar.update(self.task, description=f"[yellow]{escape(message)}[/]")

    def update(self, snapshot: Snapshot) -> None:
        if self.bar is not None and self.task is not None:
            self.bar.update(
                self.task, completed=snapshot.done, total=snapshot.total, snapshot=snapshot, counts=snapshot.describe()
            )

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar, self.task = None, None


def make_display(quiet: bool = False) -> Display:
    console = Console(stderr=True, highlight=False)
    if quiet:
        return QuietDisplay(console)
    if sys.stderr.isatty():
        return BarDisplay(console)
    return Display(console)
