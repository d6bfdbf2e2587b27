"""The public Python API, for an orchestrator (Airflow, Dagster, Prefect) or a script: a job run from Python
has the CLI's guarantees (one writer per job, resume, exactly once), its records (the state directory, the
outcome files, ``summary.json``) and its exit meanings (``RunResult.exit_code``, ``exit_code(error)``). The
CLI's ``run`` is a client of it. Everything not re-exported by ``bulkcontacts/__init__.py`` is private.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from bulkcontacts.config.jobs import ImportJob, JobSpec, MigrateJob
from bulkcontacts.config.load import load_spec
from bulkcontacts.engine.loop import run as run_loop
from bulkcontacts.errors import EXIT_INTERRUPTED, EXIT_REFUSED, EXIT_USAGE, FatalRemoteError, Interrupted, UsageError
from bulkcontacts.jobs import run
from bulkcontacts.jobs.dry_run import DryRunReport
from bulkcontacts.jobs.results import RunResult
from bulkcontacts.jobs.status import PhaseStatus
from bulkcontacts.jobs.status import job_status as _phases
from bulkcontacts.state.checkpoint import StateDir
from bulkcontacts.state.lock import job_lock
from bulkcontacts.ui.display import Display, make_display

JobOrPath = JobSpec | str | os.PathLike[str]


def load_job(path: str | os.PathLike[str], *, emulate: bool = False) -> JobSpec:
    """The job spec at ``path``, checked; ``${ENV}`` secrets read now (``emulate``: unset ones are
    placeholders the emulator accepts). Raises ``UsageError`` naming the key and the fix."""
    return load_spec(Path(path), emulate=emulate)


def run_job(  # noqa: PLR0913 (one keyword per option of ``bulkcontacts run``)
    job: JobOrPath,
    *,
    state_dir: str | os.PathLike[str] | None = None,
    restart: bool = False,
    retry_rejected: bool = False,
    emulate: bool = False,
    display: Display | None = None,
    workers: int | None = None,
    cluster: str | None = None,
    static_split: bool = False,
) -> RunResult:
    """Run (or resume) a job in this thread, as ``bulkcontacts run`` does: under the job's lock, ``restart``
    forgetting its state first. Returns the result (``status``, ``counts``, ``files``, ``exit_code``); raises
    a ``BulkContactsError`` where the CLI would exit without one (``exit_code(error)`` says which code).
    ``workers`` / ``cluster`` / ``static_split``: in shards, as ``--workers`` / ``--cluster`` /
    ``--static-split`` (the job given by its spec file: each worker reads it)."""
    if workers is None and cluster is None:
        one = run_job_async(
            job, state_dir=state_dir, restart=restart, retry_rejected=retry_rejected, emulate=emulate, display=display
        )
        return run_loop(one)
    if isinstance(job, JobSpec):
        raise UsageError("a run in shards needs the job's spec file, not a JobSpec: each worker reads the file")
    from bulkcontacts.scale.driver import run_sharded  # Dask takes a second to load: only for shards
    from bulkcontacts.scale.options import ScaleOptions

    spec, options = _prepared(job, state_dir, restart, retry_rejected, emulate)
    with holding(spec, options):
        scale = ScaleOptions(workers, cluster, static_split)
        return run_sharded(Path(job), spec, options, scale, display or make_display(quiet=True))


async def run_job_async(  # noqa: PLR0913 (as run_job)
    job: JobOrPath,
    *,
    state_dir: str | os.PathLike[str] | None = None,
    restart: bool = False,
    retry_rejected: bool = False,
    emulate: bool = False,
    display: Display | None = None,
) -> RunResult:
    """``run_job`` on the running event loop (the spec read, and a restart's forgetting, in a thread).
    A run in shards waits on its cluster, not on a loop: call ``run_job`` (in a thread) for one."""
    spec, options = await asyncio.to_thread(_prepared, job, state_dir, restart, retry_rejected, emulate)
    with holding(spec, options, forget=False):
        if restart:
            await asyncio.to_thread(StateDir(spec.state_dir(options.state_dir)).forget)
        return await run.run_job_async(spec, options, display or make_display(quiet=True))


def dry_run(
    job: JobOrPath,
    *,
    state_dir: str | os.PathLike[str] | None = None,
    emulate: bool = False,
    display: Display | None = None,
) -> DryRunReport:
    """What a run would send and reject, sending nothing, as ``bulkcontacts run --dry-run``: an import reads
    its file only; a migration fetches (under the job's lock) and keeps what it fetched for the run that
    follows. An export has none (``UsageError``)."""
    spec, options = _prepared(job, state_dir, False, False, emulate, dry=True)
    if not isinstance(spec, ImportJob | MigrateJob):
        raise UsageError("a dry run is about rows to send: it applies to import and migrate jobs, not an export")
    shown = display or make_display(quiet=True)
    if isinstance(spec, ImportJob):  # reads the file only: no state to hold
        return run.dry_run_job(spec, options, shown)
    with holding(spec, options):
        return run.dry_run_job(spec, options, shown)


def job_status(job: JobOrPath, *, state_dir: str | os.PathLike[str] | None = None) -> list[PhaseStatus]:
    """Each phase's progress from its checkpoint (``progress`` None: not started); runs nothing."""
    spec = job if isinstance(job, JobSpec) else load_job(job, emulate=True)
    return _phases(spec, spec.state_dir(Path(state_dir) if state_dir is not None else None))


def exit_code(error: BaseException) -> int:
    """The CLI's exit code for an error: 2 change the spec, options or file; 3 run again to resume; 4 fix
    the credentials or what the API refused, then run again; 1 anything else of ours."""
    if isinstance(error, UsageError):
        return EXIT_USAGE
    if isinstance(error, FatalRemoteError):
        return EXIT_REFUSED
    if isinstance(error, Interrupted | KeyboardInterrupt | OSError):
        return EXIT_INTERRUPTED
    return 1


@contextlib.contextmanager
def holding(
    spec: JobSpec, options: run.RunOptions, command: str | None = None, *, forget: bool = True
) -> Iterator[None]:
    """The job's state directory held by this process (another holder: ``UsageError`` at once, naming it and
    its ``command``); with ``restart`` (and ``forget``), everything the job owns forgotten first."""
    state_path = spec.state_dir(options.state_dir)
    with job_lock(state_path, command or _command()):
        if options.restart and forget:
            StateDir(state_path).forget()
        yield


def _prepared(  # noqa: PLR0913 (the options of one call)
    job: JobOrPath,
    state_dir: str | os.PathLike[str] | None,
    restart: bool,
    retry_rejected: bool,
    emulate: bool,
    *,
    dry: bool = False,
) -> tuple[JobSpec, run.RunOptions]:
    options = run.RunOptions(emulate, Path(state_dir) if state_dir is not None else None, restart, dry, retry_rejected)
    if isinstance(job, JobSpec):
        if retry_rejected and restart:
            raise UsageError("retry_rejected goes on from the last run: it cannot be combined with restart")
        return job, options
    return run.load_for_run(Path(job), options), options


def _command() -> str:
    """What holds the lock, as its holder shows to another copy (paths and flags only: never a secret)."""
    program = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"
    return " ".join([program, *sys.argv[1:]])[:200]
