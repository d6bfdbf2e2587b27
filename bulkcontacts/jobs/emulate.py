"""``--emulate``: a job pointed at the built-in emulator, with a store of its own.

Each job's emulator store lives in its state directory (``<state>/emulator/store.sqlite``), so jobs never
see each other's contacts, an interrupted run resumes against the same data, ``verify`` sees what ``run``
created, and ``--restart`` starts from a clean store. The emulator is a package of its own, never imported
here: it runs as a child process (its SQLite and its handlers never share the job's event loop or its core),
in a session of its own so that Ctrl-C reaches only the job, and it stops when the job's end of its standard
input closes, even after a ``kill -9`` of the job.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bulkcontacts.config.jobs import JobSpec
from bulkcontacts.config.sinks import RampwinSink, RestSink
from bulkcontacts.config.sources import ProviderSource
from bulkcontacts.errors import Interrupted
from bulkcontacts.providers.registry import provider_of
from bulkcontacts.state.checkpoint import StateDir
from bulkcontacts.ui.display import Display, shown_path

EMULATE_SEED_CONTACTS = 1_000
EMULATOR_DIR = "emulator"
DEFAULT_SCOPE = "demo"  # the emulator's scope for providers whose spec names none
START_SECONDS = 60.0


def emulator_store(state_path: Path) -> Path:
    return state_path / EMULATOR_DIR / "store.sqlite"


@contextlib.contextmanager
def emulated(spec: JobSpec, state_path: Path, display: Display) -> Iterator[JobSpec]:
    """The spec with its remote ends on a running emulator (its provider seeded if empty). ``--restart`` has
    removed the store already, with everything else the job owns (``StateDir.forget``)."""
    StateDir(state_path).create()
    folder = state_path / EMULATOR_DIR
    folder.mkdir(mode=0o700, exist_ok=True)
    options = ["--port", "0", "--db", str(emulator_store(state_path)), "--exit-with-stdin"]
    if isinstance(spec.source, ProviderSource):
        scope = provider_of(spec.source).emulator_scope(spec.source) or DEFAULT_SCOPE
        options += ["--seed", f"{spec.source.type}:{scope}:{EMULATE_SEED_CONTACTS}"]
    log = folder / "emulator.log"  # its own complaints, never in the job's output
    with open(log, "w", encoding="utf-8") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "bulkcontacts_emulator", *options],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            start_new_session=True,
        )
    try:
        url = _wait_until_listening(process, display, log)
        display.note(f"emulator: {url} (this job's store: {shown_path(emulator_store(state_path))})")
        yield pointed_at(spec, url)
    finally:
        _stop(process)


def _wait_until_listening(process: subprocess.Popen[str], display: Display, log: Path) -> str:
    """The emulator's base URL, once it says it listens (it seeds first); its other lines become notes."""
    lines: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.strip())
            if " listening on " in line:
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(START_SECONDS)
    if not lines or " listening on " not in lines[-1]:
        _stop(process)
        problem = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:]
        raise Interrupted(f"the built-in emulator did not start ({'; '.join(problem) or 'no answer'}; see {log})")
    for line in lines[:-1]:
        display.note(f"emulator: {line}")
    return lines[-1].rsplit(" ", 1)[-1]


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def pointed_at(spec: JobSpec, url: str) -> JobSpec:
    updates: dict[str, Any] = {}
    if isinstance(spec.sink, RampwinSink | RestSink):
        updates["sink"] = spec.sink.model_copy(update={"base_url": f"{url}/{spec.sink.type}"})
    if isinstance(spec.source, ProviderSource):
        updates["source"] = spec.source.model_copy(update={"base_url": f"{url}/{spec.source.type}"})
    return spec.on_emulator(updates)
