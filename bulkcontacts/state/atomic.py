"""The one way state and output files are written: whole or not at all, private (0600), durable on request.

A killed process never leaves half a file under a final name: content goes to a temporary name beside the
target and is renamed over it only once complete.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bulkcontacts.errors import Interrupted

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


class StateUnwritable(Interrupted):
    """The state directory cannot take a write (a full disk, a read-only or vanished folder): the run stops
    as interrupted, with what was committed before kept, and resumes once it can be written again."""

    def __init__(self, directory: Path, error: OSError) -> None:
        self.directory = directory
        try:
            free = f"{_size(shutil.disk_usage(directory).free)} free there"
        except OSError:
            free = "its free space unknown"
        cause = error.strerror or type(error).__name__
        super().__init__(
            f"cannot write the job's state in {directory} ({cause}; {free}); what was committed before is kept: "
            "free some space (or make the folder writable), then run the same command again to resume"
        )


def _size(count: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= scale:
            return f"{count / scale:,.1f} {unit}"
    return f"{count:,} bytes"


@contextlib.contextmanager
def replaced_on_success(target: Path, *, durable: bool = True) -> Iterator[Path]:
    """A private temporary path beside ``target`` to write to; renamed over ``target`` when the block ends
    without an error (after an fsync of the file and its folder when ``durable``), removed otherwise."""
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(handle)
    temporary = Path(name)
    try:
        os.chmod(temporary, PRIVATE_FILE)
        yield temporary
        if durable:
            sync_files([temporary], target.parent)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    if durable:
        sync_files([], target.parent)


def write_atomic(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` so that ``path`` holds either the old or the new content, never a mix (0600).
    ``durable=False`` skips the fsyncs (still atomic against a killed process); the caller then calls
    ``sync_files`` before relying on it surviving a power cut."""
    with replaced_on_success(path, durable=durable) as temporary:
        temporary.write_bytes(data)


def sync_files(paths: list[Path], directory: Path) -> None:
    """fsync each file, then the directory that holds them (their names)."""
    for path in paths:
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def open_private(path: Path, mode: str = "a") -> Any:
    """Open a state file for text writing, created 0600."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else 0), PRIVATE_FILE)
    return os.fdopen(descriptor, mode, encoding="utf-8", newline="")
