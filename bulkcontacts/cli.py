"""The ``bulkcontacts`` command: parsing and printing only; the work is in ``jobs/``."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import Callable, Coroutine, Iterator
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from bulkcontacts import __version__
from bulkcontacts.config.spec import FileSource, JobSpec, load_spec
from bulkcontacts.contacts.mapping import ContactMapper, DuplicatePhones, Rejection
from bulkcontacts.errors import (
    BulkContactsError,
    FatalRemoteError,
    Interrupted,
    UsageError,
)
from bulkcontacts.io.readers import FileReader
from bulkcontacts.jobs import (
    EXIT_INTERRUPTED,
    EXIT_REFUSED,
    EXIT_USAGE,
    DryRunReport,
    RunResult,
    VerifyReport,
    dry_run_import,
    dry_run_migrate,
    run_export,
    run_import,
    run_migrate,
    run_verify,
)
from bulkcontacts.jobs.emulate import emulated
from bulkcontacts.jobs.migrate import FETCH_DIR
from bulkcontacts.providers.migration import DEFAULT_MAPPINGS
from bulkcontacts.state.checkpoint import StateDir
from bulkcontacts.ui.display import Display, make_display, preview, shown_path
from bulkcontacts.ui.text import shorten

Outcome = TypeVar("Outcome")
out = Console(highlight=False)
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
    except UsageError as error:
        code = _fail("error", "red", str(error), EXIT_USAGE)
    except FatalRemoteError as error:
        code = _fail("refused", "red", str(error), EXIT_REFUSED)
    except Interrupted as error:
        code = _fail("interrupted", "yellow", str(error), EXIT_INTERRUPTED)
    except BulkContactsError as error:
        code = _fail("error", "red", str(error), 1)
    except KeyboardInterrupt:
        code = _fail("interrupted", "yellow", "run the same command again to resume", EXIT_INTERRUPTED)
    sys.exit(code)


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
def run(
    job: Path, emulate: bool, state_dir: Path | None, restart: bool, quiet: bool, dry_run: bool, retry_rejected: bool
) -> None:
    """Run (or resume) the job described by the spec file JOB."""

    def action() -> int:
        if retry_rejected and (restart or dry_run):
            raise UsageError(
                "--retry-rejected goes on from the last run: it cannot be combined with "
                f"{'--restart' if restart else '--dry-run'}"
            )
        spec = load_spec(job, emulate=emulate or dry_run)
        if spec.kind == "migrate" and dry_run and not emulate:
            spec = load_spec(job)  # a migration's dry run reads the provider: it needs the real credentials
        if spec.kind == "export" and (dry_run or retry_rejected):
            raise UsageError(
                f"{'--dry-run' if dry_run else '--retry-rejected'} is about rows sent to Rampwin: "
                "it applies to import and migrate jobs; an export is checked page by page as it runs"
            )
        state_path = spec.state_dir(state_dir)
        display = make_display(quiet)
        display.note(f"state: {shown_path(state_path)}")
        if dry_run:
            if spec.kind == "import":  # an import's dry run sends nothing anywhere: no emulator
                report = asyncio.run(dry_run_import(spec))
            else:
                report = _run_job(
                    emulate,
                    restart,
                    display,
                    state_path,
                    spec,
                    partial(dry_run_migrate, state_path=state_path, display=display),
                )
            display.flush()
            _print_dry_run(spec, report)
            return 0
        options: dict[str, Any] = {"state_path": state_path, "restart": restart, "display": display}
        if spec.kind == "export":
            job_run: Callable[[JobSpec], Coroutine[Any, Any, RunResult]] = partial(run_export, **options)
        else:
            job_run = partial(
                run_import if spec.kind == "import" else run_migrate, retry_rejected=retry_rejected, **options
            )
        result = _run_job(emulate, restart, display, state_path, spec, job_run)
        display.flush()
        _print_result(result)
        return result.exit_code

    _guarded(action)


def _run_job(
    emulate: bool,
    restart: bool,
    display: Display,
    state_path: Path,
    spec: JobSpec,
    job: Callable[[JobSpec], Coroutine[Any, Any, Outcome]],
) -> Outcome:
    """Run ``job`` on a fresh event loop, pointed at this job's emulator when asked."""
    if not emulate:
        return asyncio.run(job(spec))
    with emulated(spec, state_path, display, restart=restart) as pointed:
        return asyncio.run(job(pointed))


def _print_dry_run(spec: JobSpec, report: DryRunReport) -> None:
    out.print(f"{spec.job.name}: dry run (nothing sent)", markup=False)
    table = Table(show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    if report.rejected:
        table.add_column(overflow="fold")
    if report.fetched is not None:
        table.add_row("records fetched", f"{report.fetched:,}", *_blank(report))
    table.add_row("rows read", f"{report.rows:,}", *_blank(report))
    table.add_row("would send", f"{report.to_send:,}", *_blank(report))
    for code, count in sorted(report.rejected.items(), key=lambda item: -item[1]):
        table.add_row(f"rejected: {code}", f"{count:,}", Text(f"e.g. {shorten(report.examples[code])}"))
    out.print(table)
    if spec.run.adaptive:
        pace = "an adaptive rate: as fast as the server allows, so no estimate"
    else:
        pace = f"{spec.run.rate:g}/s ≈ {_duration(report.estimate_seconds)}"
    out.print(
        f"{report.to_send:,} requests at {pace} (read and checked in {report.elapsed:,.1f} s)",
        markup=False,
        soft_wrap=True,
    )
    if report.fetched is not None:
        out.print(
            f"the fetch took {_duration(report.fetch_seconds)}; its records are kept, so the run starts "
            "sending at once",
            markup=False,
            soft_wrap=True,
        )


def _blank(report: DryRunReport) -> tuple[str, ...]:
    return ("",) if report.rejected else ()


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [(days, "d"), (hours, "h"), (minutes, "min"), (secs, "s")]
    shown = [f"{value} {unit}" for value, unit in parts if value][:2]
    return " ".join(shown) or "0 s"


def _print_result(result: RunResult) -> None:
    colour = {"complete": "green", "interrupted": "yellow", "refused": "red"}[result.status]
    table = Table(title=f"{result.job}: [{colour}]{result.status}[/]", show_header=False, title_justify="left")
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for key, value in result.counts.items():
        table.add_row(key, f"{value:,}")
    rate = result.done_this_run / result.elapsed if result.elapsed else 0.0
    table.add_row("this run", f"{result.done_this_run:,} {result.unit} in {result.elapsed:,.1f} s ({rate:,.1f}/s)")
    table.add_row("retries / 429s", f"{result.stats.get('retries', 0):,} / {result.stats.get('throttled', 0):,}")
    out.print(table)
    for name, path in result.files.items():
        out.print(f"{name} file: {shown_path(path)}", markup=False, soft_wrap=True)
    if result.last_error is not None:
        out.print(
            f"last error: {shorten(result.last_error)} (×{result.last_error_count:,} in a row)",
            markup=False,
            soft_wrap=True,
        )
    out.print(result.message, markup=False, soft_wrap=True)
    if result.advice:
        out.print(
            result.advice,
            style={"refused": "red", "interrupted": "yellow"}.get(result.status),
            markup=False,
            soft_wrap=True,
        )


@cli.command()
@JOB_ARGUMENT
@click.option("--rows", default=5, show_default=True, type=click.IntRange(0, 1000), help="How many payloads to show.")
@click.option("--emulate", is_flag=True, help="Accept unset ${ENV} secrets, as --emulate runs do.")
def validate(job: Path, rows: int, emulate: bool) -> None:
    """Check the spec and the source's columns; print the first payloads. Sends nothing."""

    def action() -> int:
        spec = load_spec(job, emulate=emulate)
        if not isinstance(spec.source, FileSource):
            how = (
                "`run --dry-run` fetches the records and checks every one"
                if spec.kind == "migrate"
                else "`run` fetches the pages and checks each as it comes"
            )
            out.print(
                f"[green]spec ok[/]: {shown_path(job)} ({spec.kind} from {spec.source.type}); {how}", soft_wrap=True
            )
            if spec.kind == "migrate":
                mapping = {
                    **DEFAULT_MAPPINGS[spec.source.type],
                    **spec.mapping.model_dump(mode="json", include=spec.mapping.model_fields_set),
                }
                out.print(
                    f"mapping (the provider's defaults, then [mapping]): {shorten(json.dumps(mapping), 2000)}",
                    markup=False,
                    soft_wrap=True,
                )
            return 0
        source, sink = spec.import_ends
        with FileReader(source) as reader:
            columns = reader.columns()
            mapper = ContactMapper(spec.mapping, columns, sink.integration_id)
            duplicates = DuplicatePhones()
            out.print(
                f"spec ok: {shown_path(job)} → {spec.sink.type} ({spec.source.file_format} source, "
                f"{reader.count_rows():,} rows, {len(columns):,} columns: {shorten(', '.join(columns), 400)})",
                markup=False,
                soft_wrap=True,
            )
            attributes = ", ".join(name for _, name, _ in mapper.attributes) or "(none)"
            out.print(
                f"core fields: {json.dumps(mapper.core_columns)}; custom attributes: {shorten(attributes, 400)}",
                markup=False,
                soft_wrap=True,
            )
            for row, mapped in _first_rows(reader, mapper, duplicates, rows):
                shown = f"rejected — {mapped.reason}" if isinstance(mapped, Rejection) else preview(mapped)
                out.print(f"row {row}: {shown}", markup=False, soft_wrap=True)
        return 0

    _guarded(action)


def _first_rows(
    reader: FileReader, mapper: ContactMapper, duplicates: DuplicatePhones, limit: int
) -> Iterator[tuple[int, dict[str, Any] | Rejection]]:
    shown = 0
    for first, batch in reader.batches():
        for offset, row in enumerate(batch):
            if shown >= limit:
                return
            yield first + offset, duplicates.check(mapper.map(row))
            shown += 1


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
        state_path = spec.state_dir(state_dir)
        display = make_display(quiet)
        display.note(f"state: {shown_path(state_path)}")
        report = _run_job(
            emulate, False, display, state_path, spec, partial(run_verify, state_path=state_path, display=display)
        )
        display.flush()
        if report.listing is not None:
            _print_result(report.listing)
            return report.listing.exit_code or EXIT_INTERRUPTED
        _print_verify(spec, report)
        return 0 if report.ok else 1

    _guarded(action)


def _print_verify(spec: JobSpec, report: VerifyReport) -> None:
    verdict = "[green]nothing missing[/]" if report.ok else "[red]contacts missing or different[/]"
    table = Table(title=f"{spec.job.name}: verify — {verdict}", show_header=False, title_justify="left")
    table.add_column(style="bold", no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    table.add_column(overflow="fold")
    notes = {
        "created": "in the channel as sent",
        "missing": "valid in the source, not in the channel",
        "mismatched": "in the channel, a field differs",
        "extra": "in the channel, not from this source",
        "invalid": "rejected by the mapping: never expected",
    }
    for key, count in report.counts.items():
        table.add_row(key, f"{count:,}", notes[key])
    out.print(table)
    for name, path in report.files.items():
        out.print(f"{name} file: {shown_path(path)}", markup=False, soft_wrap=True)
    out.print(f"fields compared: {', '.join(report.fields_checked) or '(none)'}", markup=False, soft_wrap=True)
    if report.not_verifiable:
        fields = ", ".join(f"{name} ({count:,} rows)" for name, count in report.not_verifiable.items())
        out.print(
            f"not verifiable (the channel's listing does not carry them): {shorten(fields, 600)}",
            markup=False,
            soft_wrap=True,
        )
    out.print(f"reconciled in {report.elapsed:,.1f} s", markup=False)


@cli.command()
@JOB_ARGUMENT
@STATE_DIR_OPTION
def status(job: Path, state_dir: Path | None) -> None:
    """Print a job's progress from its checkpoint."""

    def action() -> int:
        spec = load_spec(job, emulate=True)
        path = spec.state_dir(state_dir)
        out.print(f"state: {shown_path(path)}", markup=False, soft_wrap=True)
        phases = [("fetch", path / FETCH_DIR), ("send", path)] if spec.kind == "migrate" else [("", path)]
        for phase, where in phases:
            label = f"{spec.job.name}{f' ({phase})' if phase else ''}"
            progress = StateDir(where).load()
            if progress is None:
                out.print(f"{label}: not started (no checkpoint in {shown_path(where)})", markup=False, soft_wrap=True)
                continue
            total = f" of {progress.total:,}" if progress.total is not None else ""
            condition = "finished" if progress.finished else "in progress or interrupted (run it again to resume)"
            if progress.kind == "export":
                done, unit = progress.done_count, "pages"
            else:  # a retry's checkpoint counts places in its list: the outcome files count rows
                done, unit = progress.counts.get("created", 0) + progress.counts.get("rejected", 0), "rows"
            out.print(
                f"{label}: {condition}; {done:,}{total} {unit} done; last saved "
                f"{time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(progress.updated_at))}",
                markup=False,
                soft_wrap=True,
            )
            for key, value in sorted(progress.counts.items()):
                out.print(f"  {key}: {value:,}", markup=False)
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
    return cli()
