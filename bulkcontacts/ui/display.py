"""What a person sees while a job runs: a progress bar on a terminal, periodic log lines otherwise.

Every value shown may be unknown yet (an export learns its total from its first page), the terminal may be
narrow, and a run may have several phases (a migration fetches, then sends): each phase's bar is started
and stopped once, and a stopped display never draws again.
"""

from __future__ import annotations

import collections
import contextlib
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console, ConsoleOptions, RenderResult
from rich.live import Live
from rich.text import Text

from bulkcontacts.text import shorten

RECENT_SECONDS = 10.0  # the progress line's rate and time left follow this much of the run


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

    def describe(self, compact: bool = False) -> str:
        """The counts, the retries and 429s, and the last error; ``compact`` leaves out what is zero."""
        parts = [f"{name} {value:,}" for name, value in self.counts.items()]
        for name, value in (("retries", self.retries), ("429s", self.throttled)):
            if value or not compact:
                parts.append(f"{name} {value:,}")
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


class ProgressLine:
    """The live line: ``label bar done/total unit · rate/s · time left · counts``. Always one line, at most the
    terminal's width less two columns (the echo of ^C never wraps it), measured at every refresh, so that a
    resized terminal gets a line that fits it. What must stay stays: the amount, the rate and the time left
    first, the counts next (cut, never wrapped); the label and the bar shrink or go first. The rate and the
    time left follow the last ``RECENT_SECONDS``, not the run's first seconds."""

    def __init__(self, label: str, snapshot: Snapshot) -> None:
        self.label, self.snapshot = label, snapshot
        self.notice: str | None = None  # a stop under way: its own line above
        self.recent: collections.deque[tuple[float, int]] = collections.deque([(time.monotonic(), snapshot.done)])

    def advance(self, snapshot: Snapshot) -> None:
        now = time.monotonic()
        self.snapshot = snapshot
        self.recent.append((now, snapshot.done))
        while len(self.recent) > 2 and self.recent[1][0] < now - RECENT_SECONDS:
            self.recent.popleft()

    def rate(self) -> float:
        (began, first), (now, last) = self.recent[0], self.recent[-1]
        return (last - first) / (now - began) if now - began >= 1.0 else self.snapshot.rate

    def time_left(self) -> str:
        total, rate = self.snapshot.total, self.rate()
        if total is None or rate <= 0:
            return "-:--"
        seconds = int(max(0, total - self.snapshot.done) / rate)
        hours, minutes = divmod(seconds // 60, 60)
        return f"{hours}:{minutes:02d}:{seconds % 60:02d}" if hours else f"{minutes}:{seconds % 60:02d}"

    def text(self, width: int) -> Text:
        snapshot = self.snapshot
        essential = f"{snapshot.amount()} · {self.rate():,.1f}/s · {self.time_left()} left"
        if len(essential) > width:  # a very narrow terminal: cut, never wrapped
            essential = essential[: width - 1] + "…"
        counts = snapshot.describe(compact=True)
        room = width - len(essential)
        tail = f" · {counts}" if counts else ""
        if len(tail) > room:
            tail = tail[: room - 1] + "…" if room > 4 else ""
        room -= len(tail)
        line = Text(no_wrap=True, overflow="crop")
        if room >= 12:  # decoration, in what is left: the label, then the bar
            label = self.label if len(self.label) <= room // 2 else self.label[: room // 2 - 1] + "…"
            line.append(label + " ", style="bold")
            bar = room - len(label) - 2
            if bar >= 4 and snapshot.total:
                filled = round(bar * min(1.0, snapshot.done / snapshot.total))
                line.append("━" * filled, style="magenta")
                line.append("━" * (bar - filled), style="grey37")
                line.append(" ")
        line.append(essential)
        line.append(tail, style="dim")
        return line

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = max(20, options.max_width - 2)
        if self.notice:
            notice = self.notice if len(self.notice) <= width else self.notice[: width - 1] + "…"
            yield Text(notice, style="yellow", no_wrap=True, overflow="crop")
        yield self.text(width)


class BarDisplay(Display):
    """A live progress line on a terminal (``ProgressLine``), redrawn four times a second."""

    def __init__(self, console: Console) -> None:
        super().__init__(console)
        self.live: Live | None = None
        self.line: ProgressLine | None = None

    def start(self, label: str, snapshot: Snapshot) -> None:
        self.stop()  # a phase's line is replaced, never drawn twice
        self.flush()
        self.line = ProgressLine(label, snapshot)
        self.live = Live(self.line, console=self.console, refresh_per_second=4, transient=False)
        self.live.start()

    def notice(self, message: str) -> None:
        """Shown with the line while one is drawn: a line printed under a live one would leave a copy of it."""
        if self.line is None:
            super().notice(message)
            return
        self.line.notice = message

    def update(self, snapshot: Snapshot) -> None:
        if self.line is not None:
            self.line.advance(snapshot)

    def stop(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live, self.line = None, None


def make_display(quiet: bool = False) -> Display:
    console = Console(stderr=True, highlight=False)
    if quiet:
        return QuietDisplay(console)
    if sys.stderr.isatty():
        return BarDisplay(console)
    return Display(console)
