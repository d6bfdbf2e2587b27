"""What a person reads at the end of a command: the run's summary, a dry run's counts, verify's verdict,
``validate``'s check and ``status``. Printed to standard output; never wrapped into a mess, never markup."""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:  # for the signatures only: printing a summary loads no runner
    from bulkcontacts.config.jobs import JobSpec
    from bulkcontacts.jobs.dry_run import DryRunReport
    from bulkcontacts.jobs.init import InitResult
    from bulkcontacts.jobs.results import RunResult
    from bulkcontacts.jobs.status import PhaseStatus
    from bulkcontacts.jobs.validate import FileCheck
    from bulkcontacts.jobs.verify import VerifyReport

from bulkcontacts.contacts.mapping import Rejection
from bulkcontacts.jobs.validate import ProviderCheck
from bulkcontacts.text import shorten
from bulkcontacts.ui.display import preview, shown_path

out = Console(highlight=False)


def line(text: str) -> None:
    out.print(text, markup=False, soft_wrap=True)


def print_dry_run(spec: JobSpec, report: DryRunReport) -> None:
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
    _caution("note", *report.notes)
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


def print_result(result: RunResult) -> None:
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
    _caution("note", *result.notes)
    if result.advice:
        out.print(
            result.advice,
            style={"refused": "red", "interrupted": "yellow"}.get(result.status),
            markup=False,
            soft_wrap=True,
        )


def print_verify(spec: JobSpec, report: VerifyReport) -> None:
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


def print_check(spec: JobSpec, job: str, check: FileCheck | ProviderCheck) -> None:
    """``validate``'s answer."""
    if isinstance(check, ProviderCheck):
        how = (
            "`run --dry-run` fetches the records and checks every one"
            if check.mapping is not None
            else "`run` fetches the pages and checks each as it comes"
        )
        out.print(f"[green]spec ok[/]: {job} ({spec.kind} from {check.provider}); {how}", soft_wrap=True)
        if check.mapping is not None:
            line(f"mapping (the provider's defaults, then [mapping]): {shorten(json.dumps(check.mapping), 2000)}")
        return
    line(
        f"spec ok: {job} → {spec.sink.type} ({check.file_format} source, {check.rows:,} rows, "
        f"{len(check.columns):,} columns: {shorten(', '.join(check.columns), 400)})"
    )
    attributes = ", ".join(check.attributes) or "(none)"
    line(f"core fields: {json.dumps(check.core_columns)}; custom attributes: {shorten(attributes, 400)}")
    for row, mapped in check.first_rows:
        shown = f"rejected — {mapped.reason}" if isinstance(mapped, Rejection) else preview(mapped)
        line(f"row {row}: {shown}")
    rejected = Counter(mapped.code for _, mapped in check.first_rows if isinstance(mapped, Rejection))
    if rejected:
        reasons = ", ".join(f"{code} ×{count}" for code, count in rejected.most_common())
        shown = f"{sum(rejected.values())} of the {len(check.first_rows)} rows shown would be rejected"
        _caution("warning", f"{shown} ({reasons}); `run --dry-run` counts every row")
    _caution("note", *check.notes)


def _caution(label: str, *texts: str) -> None:
    """Lines the user should read before going on, in yellow."""
    for text in texts:
        out.print(f"{label}: {text}", style="yellow", markup=False, soft_wrap=True)


def print_status(name: str, phases: list[PhaseStatus]) -> None:
    """Each phase's progress; a sharded run's shards, then all of them together."""
    for phase in phases:
        label = f"{name}{f' ({phase.phase})' if phase.phase else ''}"
        progress = phase.progress
        if progress is None:
            line(f"{label}: not started (no checkpoint in {shown_path(phase.where)})")
            continue
        total = f" of {progress.total:,}" if progress.total is not None else ""
        done, unit = phase.done
        saved = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(progress.updated_at))
        line(f"{label}: {_condition(progress.finished)}; {done:,}{total} {unit} done; last saved {saved}")
        _print_counts(progress.counts)
    shards = [phase for phase in phases if phase.phase.startswith("shard ")]
    if len(shards) > 1:
        _print_all_shards(name, shards)


def _condition(finished: bool) -> str:
    return "finished" if finished else "in progress or interrupted (run it again to resume)"


def _print_counts(counts: dict[str, int]) -> None:
    for key, value in sorted(counts.items()):
        out.print(f"  {key}: {value:,}", markup=False)


def _print_all_shards(name: str, shards: list[PhaseStatus]) -> None:
    """The shards summed: what the job as a whole has done (a total only when every shard knows its own)."""
    started = [(phase, phase.progress) for phase in shards if phase.progress is not None]
    totals = [progress.total for _, progress in started]
    known = len(started) == len(shards) and None not in totals
    total = f" of {sum(total or 0 for total in totals):,}" if known else ""
    finished = len(started) == len(shards) and all(progress.finished for _, progress in started)
    counts: Counter[str] = Counter()
    for _, progress in started:
        counts.update(progress.counts)
    done = sum(phase.done[0] for phase, _ in started)
    line(f"{name} (all {len(shards)} shards): {_condition(finished)}; {done:,}{total} rows done")
    _print_counts(dict(counts))


def print_init(result: InitResult) -> None:
    """What ``init`` decided and why, where the spec is, and the two commands to run next."""
    source, findings = result.source, result.findings
    line(f"inspected {result.rows:,} rows × {len(result.columns)} columns of {shown_path(source.path)}")
    how = [source.file_format, source.encoding] + (
        [f"delimiter {source.delimiter!r}"] if source.file_format == "csv" else []
    )
    line(f"  read as: {', '.join(how)}")
    for why in source.notes.values():
        line(f"    {why}")
    line(f"  preset: {findings.preset}" if findings.preset else "  preset: none (the columns match no known export)")
    for decision in findings.mapping:
        value = decision.value if isinstance(decision.value, str) else json.dumps(decision.value, ensure_ascii=False)
        line(f"  {decision.key} = {value}")
        line(f"    {decision.why}")
    for note in findings.notes:
        line(f"  note: {note}")
    line(f"wrote {shown_path(result.spec_path)} (secrets as ${{RAMPWIN_API_KEY}}, ${{RAMPWIN_INTEGRATION_ID}})")
    line("next:")
    for command in result.next_commands:
        line(f"  {command}")
