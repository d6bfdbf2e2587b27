"""Crash-safe progress: a small JSON checkpoint replaced atomically, in a private state directory.

``Progress`` says which units (rows of an import, pages of an export) are done: every unit below
``low_water`` plus the set ``done_above``. Units finish out of order, but only a window of about the pool's
size is ever above the low-water mark, so the checkpoint stays small at any file size.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypedDict

from bulkcontacts.errors import UsageError
from bulkcontacts.state.atomic import PRIVATE_DIR, write_atomic
from bulkcontacts.state.layout import LOCK, SHARDS_DIR, WATERMARK
from bulkcontacts.state.timeline import TIMELINE, TimelineWriter

CHECKPOINT_VERSION = 1


class Example(TypedDict):
    """The first row rejected with a code: its number, its reason and its first values."""

    row: int
    reason: str
    values: dict[str, str]


class Marks(TypedDict, total=False):
    """What a job keeps in its checkpoint besides the units done; each key is typed, the whole is JSON."""

    # exports
    since: str | None  # the incremental high-water mark this export started from (fixed for its resumes)
    total_pages: int | None  # what the pages said about the whole (the page plan)
    total_records: int | None
    last_page: int | None
    signatures: dict[str, list[Any]]  # pages near the frontier: size, first and last id (loop detection)
    after: dict[str, str]  # a sequential list: the frontier page's next cursor or link (never a secret)
    fetch_seconds: float
    # imports
    send_seconds: float
    retry: int  # a retry of rejected rows is under way: the number of rows in its list
    span: list[int]  # a shard: its rows [start, end)
    examples: dict[str, Example]  # by count key (``rejected:<code>``): the first row rejected so, for the report
    # every job
    learned_ceiling: float  # requests/s a 429 taught this job not to exceed (kept for its resumes)


@dataclass
class Progress:
    """What a job has durably done."""

    kind: str
    source_fingerprint: str
    shape_fingerprint: str
    low_water: int = 0
    done_above: set[int] = field(default_factory=set)
    sent_upto: int = 0  # every unit below this may have been sent (its answer may be lost)
    counts: dict[str, int] = field(default_factory=dict)
    offsets: dict[str, int] = field(default_factory=dict)  # committed byte length of each outcome file
    extra: Marks = field(default_factory=lambda: Marks())  # job-specific durable state
    total: int | None = None
    finished: bool = False
    against_emulator: bool = False  # made by a run with --emulate: it cannot go on against the real API
    started_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)

    def is_done(self, unit: int) -> bool:
        return unit < self.low_water or unit in self.done_above

    def begin_at(self, first: int) -> None:
        """A shard's checkpoint counts the whole job's units from its own first one: those before it are
        not its own (done as far as it is concerned). Only a checkpoint with nothing done yet moves."""
        if self.done_count == 0 and self.low_water < first:
            self.low_water = self.sent_upto = first

    def mark_done(self, unit: int) -> None:
        self.mark_all_done((unit,))

    def mark_all_done(self, units: Iterable[int]) -> None:
        """Mark these units done (a commit's at once), the low-water mark moved past every run of them."""
        low, done = self.low_water, self.done_above
        done.update(unit for unit in units if unit >= low)
        while low in done:
            done.remove(low)
            low += 1
        self.low_water = low

    @property
    def done_count(self) -> int:
        return self.low_water + len(self.done_above)

    def to_json(self) -> str:
        data = asdict(self)
        data["done_above"] = sorted(self.done_above)
        data["version"] = CHECKPOINT_VERSION
        return json.dumps(data, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Progress:
        data = json.loads(text)
        if data.pop("version", None) != CHECKPOINT_VERSION:
            raise ValueError("checkpoint version differs")
        data["done_above"] = set(data["done_above"])
        return cls(**data)

    def copy(self) -> Progress:
        return Progress.from_json(self.to_json())


class StateDir:
    """A job's private directory: checkpoint, outcome files, summary. Created 0700, files 0600."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.checkpoint_path = path / "checkpoint.json"
        self.timeline = TimelineWriter(path / TIMELINE)  # this run's segment of the job's time series

    def create(self) -> None:
        if self.path.exists() and not self.path.is_dir():
            raise UsageError(
                f"the state directory {self.path} is a file; point [run] state_dir (or --state-dir) at a folder"
            )
        try:
            self.path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
        except OSError as error:
            raise UsageError(f"cannot create the state directory {self.path}: {error.strerror}") from None
        os.chmod(self.path, PRIVATE_DIR)

    def file(self, name: str) -> Path:
        if "/" in name or name.startswith("."):
            raise ValueError(f"not a state file name: {name!r}")
        return self.path / name

    def load(self) -> Progress | None:
        try:
            text = self.checkpoint_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            return Progress.from_json(text)
        except (ValueError, KeyError, TypeError) as error:
            raise UsageError(
                f"the checkpoint {self.checkpoint_path} is unreadable ({error}); run again with --restart to start over"
            ) from None

    def save(self, progress: Progress) -> None:
        progress.updated_at = time.time()
        write_atomic(self.checkpoint_path, progress.to_json().encode())

    def forget(self) -> None:
        """``--restart``: forget everything the job owns (checkpoint, outcome files, fetched records, shards,
        parts, verify's listing, its emulator store), whatever the run's other flags; only the lock held by
        this run and the incremental high-water mark stay."""
        if not self.path.is_dir():
            return
        for child in self.path.iterdir():
            if child.name in (LOCK, WATERMARK):
                continue
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()

    def clear(self, keep: tuple[str, ...] = (WATERMARK,)) -> None:
        """Forget all progress (``--restart``): checkpoint and outcome files go; ``keep`` and the lock stay."""
        if self.path.is_dir():
            for child in self.path.iterdir():
                if child.is_file() and child.name not in keep and child.name != LOCK:
                    child.unlink()
            shutil.rmtree(self.path / SHARDS_DIR, ignore_errors=True)  # a sharded run's shards
