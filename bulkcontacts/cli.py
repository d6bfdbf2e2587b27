"""The ``bulkcontacts`` command: parsing and printing only; the work is in ``jobs/``."""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.text import Text

from bulkcontacts import __version__
from bulkcontacts.api import exit_code, holding
from bulkcontacts.config.jobs import ImportJob, MigrateJob
from bulkcontacts.config.load import load_spec
from bulkcontacts.errors import EXIT_INTERRUPTED, EXIT_REFUSED, EXIT_USAGE, BulkContactsError, UsageError
from bulkcontacts.jobs.run import RunOptions, dry_run_job, load_for_run, run_job, verify_job
from bulkcontacts.jobs.status import job_status
from bulkcontacts.jobs.validate import check_job
from bulkcontacts.scale.options import ScaleOptions
from bulkcontacts.ui.display import make_display, shown_path
from bulkcontacts.ui.summaries import (
    line,
    print_check,
    print_dry_run,
    print_init,
    print_result,
    print_status,
    print_verify,
)

err = Console(stderr=True, highlight=False)

JOB_ARGUMENT = click.argument("job", type=click.Path(path_type=Path, dir_okay=False))
STATE_DIR_OPTION = click.option(
    "--state-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where the checkpoint and outcome files live (default .bulkcontacts/<job name>).",
)


def _guarded(action: Callable[[], int]) -> None:
    """Run a command; every expected failure is one line on stderr and its exit code."""
    try:
        code = action()
    except (BulkContactsError, KeyboardInterrupt, OSError) as error:
        code = _failed(error)
    sys.exit(code)


def _failed(error: BaseException) -> int:
    """The error's one line on stderr; its exit code."""
    code = exit_code(error)
    label, style = FAILURES[code]
    return _fail(label, style, _said(error), code)


FAILURES = {  # exit code → the label of its one line
    1: ("error", "red"),
    EXIT_USAGE: ("error", "red"),
    EXIT_REFUSED: ("refused", "red"),
    EXIT_INTERRUPTED: ("interrupted", "yellow"),
}


def _said(error: BaseException) -> str:
    if isinstance(error, KeyboardInterrupt):
        return "run the same command again to resume"
    if isinstance(error, OSError) and not isinstance(error, BulkContactsError):
        # a file the run needed could not be written or read, outside the state's commits
        where = f"{error.filename}: " if error.filename else ""
        return f"{where}{error.strerror or error}; fix that, then run the same command again to resume"
    return str(error)


def _fail(label: str, style: str, message: str, code: int) -> int:
    """One line on stderr, never wrapped, never read as markup."""
    err.print(Text.assemble((f"{label}: ", style), message), soft_wrap=True)
    return code


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bulkcontacts")
def cli() -> None:
    """Move contacts in bulk between files and contact APIs: rate-limited, resumable, nothing lost.

    Exit codes: 0 done, 1 done with rejected rows, 2 usage error (bad spec, file or option; nothing
    sent), 3 interrupted (run the same command again to resume), 4 refused by the API (fix credentials,
    then resume).
    """


@cli.command()
@JOB_ARGUMENT
@click.option(
    "--emulate",
    is_flag=True,
    help="Run against the built-in emulator on loopback, with this job's own store (no account needed).",
)
@STATE_DIR_OPTION
@click.option("--restart", is_flag=True, help="Forget earlier progress (and, with --emulate, the job's store).")
@click.option("--quiet", "-q", is_flag=True, help="No progress output, only the summary.")
@click.option(
    "--dry-run", is_flag=True, help="Read and validate every row, send nothing; print counts and an estimate."
)
@click.option(
    "--retry-rejected",
    is_flag=True,
    help="Send again the rows the last run rejected (after fixing the data or the mapping).",
)
@click.option("--report", "with_report", is_flag=True, help="Write the HTML run report at the end (report.html).")
@click.option(
    "--workers", type=click.IntRange(1, 4096), help="Split the rows into N shards run by a local Dask cluster."
)
@click.option("--cluster", metavar="tcp://HOST:8786", help="Run the shards on an existing Dask scheduler.")
@click.option("--static-split", is_flag=True, help="With --cluster and no rate store: pace each shard at rate ÷ N.")
def run(  # noqa: PLR0913 (one parameter per option)
    job: Path,
    emulate: bool,
    state_dir: Path | None,
    restart: bool,
    quiet: bool,
    dry_run: bool,
    retry_rejected: bool,
    with_report: bool,
    workers: int | None,
    cluster: str | None,
    static_split: bool,
) -> None:
    """Run (or resume) the job described by the spec file JOB."""
    options = RunOptions(emulate, state_dir, restart, dry_run, retry_rejected)
    scale = ScaleOptions(workers, cluster, static_split) if workers or cluster else None

    def action() -> int:
        spec = load_for_run(job, options)
        display = make_display(quiet)
        state_path = spec.state_dir(state_dir)
        display.note(f"state: {shown_path(state_path)}")
        if options.dry_run and isinstance(spec, ImportJob):  # reads the file only: no state to hold
            return _dry_run(spec, options, display)
        with holding(spec, options, _command_line()):
            if options.dry_run and isinstance(spec, MigrateJob):
                return _dry_run(spec, options, display)
            if scale is None:
                result = run_job(spec, options, display)
            else:
                result = _run_sharded(job, spec, options, scale, display)
            display.flush()
            print_result(result)
            _point_at_report(job, state_dir, state_path, with_report)
            return result.exit_code

    _guarded(action)


def _dry_run(spec: ImportJob | MigrateJob, options: RunOptions, display: Any) -> int:
    report = dry_run_job(spec, options, display)
    display.flush()
    print_dry_run(spec, report)
    return 0


def _command_line() -> str:
    """This command as typed, for the lock's holder (arguments are paths and flags: never a secret)."""
    program = ["python", "-m", "bulkcontacts"] if sys.argv[0].endswith("__main__.py") else ["bulkcontacts"]
    return shlex.join([*program, *sys.argv[1:]])


def _run_sharded(job: Path, spec: Any, options: RunOptions, scale: ScaleOptions, display: Any) -> Any:
    """A job in shards on a Dask cluster (imported only then: Dask takes a second to load)."""
    from bulkcontacts.scale.driver import run_sharded

    return run_sharded(job, spec, options, scale, display)


def _point_at_report(job: Path, state_dir: Path | None, state_path: Path, write: bool) -> None:
    """The report's path once written (``--report``), else the command that writes it."""
    if not write:
        where = f" --state-dir {shown_path(state_dir)}" if state_dir is not None else ""
        target = shown_path(state_path / "report.html")
        line(f"report: `bulkcontacts report {shown_path(job)}{where}` draws this run ({target})")
        return
    from bulkcontacts.report.page import write_report  # the charts' code: only when a report is drawn

    try:
        line(f"report: {shown_path(write_report(state_path))}")
    except UsageError as error:  # the run's own outcome stands; only the report could not be written
        _fail("report not written", "yellow", str(error), 0)


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Where to write the spec (default: jobs/<file stem>.toml).",
)
@click.option("--name", help="The job's name (default: the file's stem).")
@click.option("--force", is_flag=True, help="Overwrite the spec if it exists.")
def init(file: Path, output: Path | None, name: str | None, force: bool) -> None:
    """Inspect the contacts file FILE (every row) and write a commented import spec for it."""

    def action() -> int:
        from bulkcontacts.jobs.init import init_job

        print_init(init_job(file, output, name, force))
        return 0

    _guarded(action)


@cli.command()
@JOB_ARGUMENT
@click.option("--rows", default=5, show_default=True, type=click.IntRange(0, 1000), help="How many payloads to show.")
@click.option("--emulate", is_flag=True, help="Accept unset ${ENV} secrets, as --emulate runs do.")
def validate(job: Path, rows: int, emulate: bool) -> None:
    """Check the spec and the source's columns; print the first payloads. Sends nothing."""

    def action() -> int:
        spec = load_spec(job, emulate=emulate)
        print_check(spec, shown_path(job), check_job(spec, rows))
        return 0

    _guarded(action)


@cli.command()
@JOB_ARGUMENT
@click.option("--emulate", is_flag=True, help="Check this job's emulator channel (the one `run --emulate` filled).")
@STATE_DIR_OPTION
@click.option("--quiet", "-q", is_flag=True, help="No progress output, only the summary.")
def verify(job: Path, emulate: bool, state_dir: Path | None, quiet: bool) -> None:
    """List the job's Rampwin channel and reconcile it with the job's source: created, missing, mismatched,
    extra. Exit 0 when nothing valid is missing or different, 1 when something is, 3 if the listing stopped."""

    def action() -> int:
        spec = load_spec(job, emulate=emulate)
        display = make_display(quiet)
        display.note(f"state: {shown_path(spec.state_dir(state_dir))}")
        options = RunOptions(emulate=emulate, state_dir=state_dir)
        with holding(spec, options, _command_line()):
            report = verify_job(spec, options, display)
        display.flush()
        if report.listing is not None:
            print_result(report.listing)
            return report.listing.exit_code or EXIT_INTERRUPTED
        print_verify(spec, report)
        return 0 if report.ok else 1

    _guarded(action)


@cli.command()
@JOB_ARGUMENT
@STATE_DIR_OPTION
def status(job: Path, state_dir: Path | None) -> None:
    """Print a job's progress from its checkpoint."""

    def action() -> int:
        spec = load_spec(job, emulate=True)
        path = spec.state_dir(state_dir)
        line(f"state: {shown_path(path)}")
        print_status(spec.job.name, job_status(spec, path))
        return 0

    _guarded(action)


@cli.command()
@JOB_ARGUMENT
@STATE_DIR_OPTION
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Where to write it (default: report.html in the state directory).",
)
@click.option("--open", "open_it", is_flag=True, help="Open it in the default browser.")
def report(job: Path, state_dir: Path | None, output: Path | None, open_it: bool) -> None:
    """Write a job's run report: one self-contained HTML page with charts (throughput against the limit,
    latency, rejections by reason, the run segments, verify's reconciliation)."""

    import webbrowser

    from bulkcontacts.report.page import write_report

    def action() -> int:
        spec = load_spec(job, emulate=True)
        path = write_report(spec.state_dir(state_dir), output)
        line(f"report: {shown_path(path)}")
        if open_it and not webbrowser.open(path.resolve().as_uri()):
            line("no browser found on this machine: open the file above in one")
        return 0

    _guarded(action)


@cli.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []},
    add_help_option=False,
)
@click.argument("options", nargs=-1, type=click.UNPROCESSED)
def emulator(options: tuple[str, ...]) -> None:
    """Serve the providers' endpoints on loopback, faithfully, with limits and faults
    (`bulkcontacts emulator --help` for its options)."""
    # The emulator is its own package, never imported here: this process becomes it.
    os.execv(sys.executable, [sys.executable, "-m", "bulkcontacts_emulator", *options])


def main() -> Any:
    """The command line. Ctrl-C while click still reads the arguments, before a command's own handling, ends
    as any interrupted run: exit 3, not click's "Aborted!" and 1 (which says rows were rejected)."""
    try:
        code = cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        code = _failed(KeyboardInterrupt())
    except click.ClickException as error:  # what click's standalone mode does with them
        error.show()
        code = error.exit_code
    sys.exit(code if isinstance(code, int) else 0)
