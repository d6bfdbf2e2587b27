"""Where a run starts: the checkpoint to continue from, or a fresh one, refused over a changed source or spec
or across the emulator and the real API."""

from __future__ import annotations

from pathlib import Path

from bulkcontacts.errors import UsageError
from bulkcontacts.state.checkpoint import Progress, StateDir


def open_progress(
    state: StateDir,
    kind: str,
    source_fingerprint: str,
    shape_fingerprint: str,
    restart: bool,
    *,
    against_emulator: bool,
    again_when_finished: bool = False,
    accept_changes: bool = False,
) -> Progress:
    """The checkpoint to continue from, or a fresh one; refuses a resume over a changed source or spec
    (``accept_changes``: takes the changes instead, as a retry of fixed rows does), or one that would carry
    progress made against the emulator over to the real API (or back)."""
    state.create()
    if restart:
        state.clear()
    previous = state.load()
    if previous is not None and previous.finished and again_when_finished:
        state.clear()  # a job meant to run again and again (an incremental export) starts a new round
        previous = None
    if previous is None:
        return Progress(kind, source_fingerprint, shape_fingerprint, against_emulator=against_emulator)
    _check_resumable(previous, state.path, kind, against_emulator)
    if accept_changes:
        previous.source_fingerprint, previous.shape_fingerprint = source_fingerprint, shape_fingerprint
        return previous
    if previous.source_fingerprint != source_fingerprint:
        raise UsageError(
            f"the source changed since the last run (checkpoint in {state.path}); "
            "restore it, or run again with --restart to start over"
        )
    if previous.shape_fingerprint != shape_fingerprint:
        raise UsageError(
            f"the [mapping] (or the integration, delimiter, encoding) changed since the last run "
            f"(checkpoint in {state.path}); undo the change, or run again with --restart"
        )
    return previous


def _check_resumable(previous: Progress, path: Path, kind: str, against_emulator: bool) -> None:
    """The same kind of job, against the same end (the emulator, or the real API)."""
    if previous.kind != kind:
        raise UsageError(f"{path} holds a {previous.kind} job's state; use another --state-dir or --restart")
    if previous.against_emulator != against_emulator:
        raise UsageError(made_elsewhere(path, previous.against_emulator))


def made_elsewhere(path: Path, by_emulator: bool) -> str:
    if by_emulator:
        return (
            f"the progress in {path} was made against the emulator (a run with --emulate), not the real API: "
            "to send to the real API, run again with --restart (it forgets the emulator's run and its store); "
            "to go on in the emulator, add --emulate"
        )
    return (
        f"the progress in {path} was made against the real API: drop --emulate to resume it there, or give "
        "the emulated run a state directory of its own (--state-dir)"
    )
