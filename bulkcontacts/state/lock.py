"""One writer per job: an exclusive lock on the state directory, held across a whole run.

The lock is ``flock`` on the file ``lock`` inside the directory, so the kernel releases it when the
holder exits or dies: a stale lock never needs a manual delete. The holder writes who it is (pid, host,
command, since when) into the file, for the message a second copy prints before it exits. Readers
(``status``, ``report``) never take it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bulkcontacts.errors import UsageError
from bulkcontacts.state.atomic import PRIVATE_FILE
from bulkcontacts.state.checkpoint import StateDir
from bulkcontacts.state.layout import LOCK

HOLDER_WRITTEN_WITHIN = 1.0  # seconds a second copy waits to read who holds the lock


@contextlib.contextmanager
def job_lock(path: Path, command: str) -> Iterator[None]:
    """Hold the state directory ``path`` for this process while the block runs; raise ``UsageError`` at once,
    naming the holder, when another process holds it."""
    StateDir(path).create()
    try:
        descriptor = os.open(path / LOCK, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
    except OSError as error:
        raise UsageError(f"cannot use the state directory {path}: {error.strerror}") from None
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(_held_by_another(path, descriptor)) from None
        os.ftruncate(descriptor, 0)
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "command": command, "since": time.time()}
        os.pwrite(descriptor, json.dumps(holder).encode(), 0)
        yield
    finally:
        os.close(descriptor)  # releases the lock


def _held_by_another(path: Path, descriptor: int) -> str:
    holder = _holder(descriptor)
    if holder is None:
        who = "another process (it has not said which yet)"
        stop = "stop it"
    else:
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(holder["since"]))
        who = f"process {holder['pid']} on {holder['host']} (`{holder['command']}`, since {since})"
        stop = f"stop it (Ctrl-C in its terminal, or `kill {holder['pid']}` on {holder['host']})"
    return (
        f"this job is already running: its state directory {path} is held by {who}; wait for it to finish, "
        f"or {stop} and run the same command again (a process that died holds nothing)"
    )


def _holder(descriptor: int) -> dict[str, Any] | None:
    """Who holds the lock, as it wrote it (it may be a moment late)."""
    deadline = time.monotonic() + HOLDER_WRITTEN_WITHIN
    while True:
        with contextlib.suppress(ValueError):
            found = json.loads(os.pread(descriptor, 4096, 0) or b"null")
            if isinstance(found, dict) and {"pid", "host", "command", "since"} <= found.keys():
                return found
        if time.monotonic() > deadline:
            return None
        time.sleep(0.05)
