"""``--emulate``: a job pointed at the built-in emulator, with a store of its own.

Each job's emulator store lives in its state directory (``<state>/emulator/store.sqlite``), so jobs never
see each other's contacts, an interrupted run resumes against the same data, ``verify`` sees what ``run``
created, and ``--restart`` starts from a clean store. The emulator runs on its own event loop in a
background thread: its SQLite calls never hold up the job's loop.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bulkcontacts.checkpoint import StateDir
from bulkcontacts.display import Display, shown_path
from bulkcontacts.emulator.app import EmulatorThread, RunningEmulator
from bulkcontacts.emulator.seed import DEFAULT_SCOPE, seed
from bulkcontacts.emulator.state import EmulatorSettings
from bulkcontacts.spec import FileSource, JobSpec, RampwinSink

EMULATE_SEED_CONTACTS = 1_000
EMULATOR_DIR = "emulator"


def emulator_store(state_path: Path) -> Path:
    return state_path / EMULATOR_DIR / "store.sqlite"


@contextlib.contextmanager
def emulated(spec: JobSpec, state_path: Path, display: Display, *, restart: bool = False) -> Iterator[JobSpec]:
    """The spec with its remote ends on a running emulator (its provider seeded if empty)."""
    StateDir(state_path).create()
    folder = state_path / EMULATOR_DIR
    if restart:
        shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(mode=0o700, exist_ok=True)
    with EmulatorThread(EmulatorSettings(), db=emulator_store(state_path)) as emulator:
        display.note(f"emulator: {emulator.url} (this job's store: {shown_path(emulator_store(state_path))})")
        yield _pointed_at(spec, emulator, display)


def _pointed_at(spec: JobSpec, emulator: RunningEmulator, display: Display) -> JobSpec:
    updates: dict[str, Any] = {}
    if isinstance(spec.sink, RampwinSink):
        updates["sink"] = spec.sink.model_copy(update={"base_url": emulator.base_url("rampwin")})
    source = spec.source
    if not isinstance(source, FileSource):
        scope = getattr(source, "integration_id", None) or getattr(source, "contact_list_id", None) or DEFAULT_SCOPE
        if emulator.state.store.count(source.type, scope) == 0:
            seed(emulator.state.store, source.type, EMULATE_SEED_CONTACTS, scope)
            display.note(f"emulator: seeded {EMULATE_SEED_CONTACTS:,} {source.type} contacts")
        updates["source"] = source.model_copy(update={"base_url": emulator.base_url(source.type)})
    return spec.model_copy(update=updates)
