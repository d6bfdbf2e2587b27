"""What a person sees while a job runs: a progress bar on a terminal, periodic log lines otherwise."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)


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

    def describe(self) -> str:
        parts = [f"{name} {value:,}" for name, value in self.counts.items()]
        return ", ".join(parts + [f"retries {self.retries:,}", f"429s {self.throttled:,}"])


class Display:
    """Plain log lines (not a terminal): one every ``every`` seconds, on stderr."""

    def __init__(self, console: Console, every: float = 5.0) -> None:
        self.console = console
        self.every = every
        self._last = 0.0

    def start(self, label: str, snapshot: Snapshot) -> None:
        total = f"{snapshot.total:,} {snapshot.unit}" if snapshot.total is not None else snapshot.unit
        resumed = f", resuming after {snapshot.done:,} done" if snapshot.done else ""
        self.console.print(f"{label}: {total}{resumed}", highlight=False, markup=False)

    def update(self, snapshot: Snapshot) -> None:
        now = time.monotonic()
        if now - self._last < self.every:
            return
        self._last = now
        total = f"/{snapshot.total:,}" if snapshot.total is not None else ""
        self.console.print(f"{snapshot.done:,}{total} {snapshot.unit} · {snapshot.rate:,.1f}/s · "
                           f"{snapshot.describe()}", highlight=False, markup=False)

    def stop(self) -> None:
        pass


class BarDisplay(Display):
    """A live progress bar with rate, counts and ETA (on a terminal)."""

    def __init__(self, console: Console) -> None:
        super().__init__(console)
        self.bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), TaskProgressColumn(),
                            TextColumn("{task.completed:,.0f}/{task.total:,.0f} · {task.fields[rate]:,.1f}/s"),
                            TimeRemainingColumn(), TextColumn("{task.fields[counts]}"),
                            console=console, transient=False)
        self.task = None

    def start(self, label: str, snapshot: Snapshot) -> None:
        self.bar.start()
        self.task = self.bar.add_task(label, total=snapshot.total, completed=snapshot.done, rate=0.0,
                                      counts=snapshot.describe())

    def update(self, snapshot: Snapshot) -> None:
        if self.task is not None:
            self.bar.update(self.task, completed=snapshot.done, total=snapshot.total, rate=snapshot.rate,
                            counts=snapshot.describe())

    def stop(self) -> None:
        self.bar.stop()


def make_display(quiet: bool = False) -> Display:
    console = Console(stderr=True)
    if not quiet and sys.stderr.isatty():
        return BarDisplay(console)
    return Display(console, every=5.0 if not quiet else float("inf"))
