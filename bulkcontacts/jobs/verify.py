"""Verify: list the target Rampwin channel (v3/page) and reconcile it with the job's source.

Every valid source row is *created* (in the channel with the fields the job sends), *missing*, or
*mismatched* (present, but a field differs); rows the mapping rejects are *invalid* (never expected); contacts
in the channel that no source row accounts for are *extra*. ``reconciliation.csv`` has one line per row and
extra contact; ``verify.json`` the counts. Read-only: the listing is fetched afresh each time.
"""

from __future__ import annotations

import asyncio
import collections
import csv
import json
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bulkcontacts.config.jobs import ExportJob, ImportJob, JobSpec, SendJob
from bulkcontacts.config.sinks import FileSink, RampwinSink
from bulkcontacts.contacts.duplicates import DuplicatePhones
from bulkcontacts.contacts.mapping import ContactMapper, Rejection
from bulkcontacts.errors import UsageError
from bulkcontacts.io.channel import ChannelIndex
from bulkcontacts.io.readers import FileReader
from bulkcontacts.jobs.exports import run_export
from bulkcontacts.jobs.migrate import send_spec
from bulkcontacts.jobs.results import RunResult
from bulkcontacts.jobs.rows import mapped_batches
from bulkcontacts.providers.rampwin import RampwinSource
from bulkcontacts.state.atomic import open_private, replaced_on_success, write_atomic
from bulkcontacts.state.checkpoint import StateDir
from bulkcontacts.state.layout import STAGING, VERIFY_DIR
from bulkcontacts.text import neutralize
from bulkcontacts.ui.display import Display

RECONCILIATION_HEADER = ["row", "phone_number", "status", "contact_id", "differences"]
NOT_COMPARED = frozenset({"phone_number", "integration_id"})


@dataclass
class VerifyReport:
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(("created", "missing", "mismatched", "extra", "invalid"), 0)
    )
    files: dict[str, str] = field(default_factory=dict)
    listing: RunResult | None = None  # the channel's listing, when it did not complete
    elapsed: float = 0.0
    fields_checked: list[str] = field(default_factory=list)  # fields sent that the listing carries
    not_verifiable: dict[str, int] = field(default_factory=dict)  # fields sent that it never carries: rows each

    @property
    def ok(self) -> bool:
        return self.listing is None and not self.counts["missing"] and not self.counts["mismatched"]


def listing_spec(spec: SendJob, state_path: Path) -> ExportJob:
    """The sink's channel as an export source (the v3/page endpoint, with the sink's ``token``)."""
    sink = spec.sink
    if not isinstance(sink, RampwinSink):
        raise UsageError(
            'verify compares a Rampwin channel with what was sent; a [sink] type = "rest" has no list it can '
            "read: its created.csv holds each created row with the id the API gave"
        )
    if sink.token is None:
        raise UsageError(
            "[sink] token: verify lists the channel through Rampwin's v3/page endpoint, which needs "
            'its JWT; add token = "${RAMPWIN_TOKEN}" and export RAMPWIN_TOKEN'
        )
    source = RampwinSource(
        type="rampwin",
        base_url=sink.base_url,
        token=sink.token,
        integration_id=sink.integration_id,
        page_size=sink.page_size,
        allow_insecure_http=sink.allow_insecure_http,
    )
    output = FileSink(
        type="file", path=state_path / VERIFY_DIR / "channel.jsonl", format="jsonl", neutralize_formulas=False
    )
    return spec.phase(ExportJob(job=spec.job, source=source, sink=output, run=spec.run))


def expected_spec(spec: SendJob, state_path: Path) -> ImportJob:
    """What the job sends: the source file, or for a migration the rows it fetched and staged."""
    if isinstance(spec, ImportJob):
        return spec
    staging = StateDir(state_path).file(STAGING)
    if not staging.exists():
        raise UsageError(
            f"verify compares the channel with the rows the migration fetched, and {staging} does "
            "not exist yet; run the job first"
        )
    return send_spec(spec, staging)


async def run_verify(spec: JobSpec, *, state_path: Path, display: Display) -> VerifyReport:
    started = time.monotonic()
    if isinstance(spec, ExportJob):
        raise UsageError("verify checks a Rampwin channel against what a job sends: use it on import and migrate jobs")
    listing_job = listing_spec(spec, state_path)
    expected = await asyncio.to_thread(expected_spec, spec, state_path)
    state = StateDir(state_path)
    await asyncio.to_thread(state.create)
    listing = await run_export(
        listing_job, state_path=state_path / VERIFY_DIR, restart=True, display=display, activity="listing the channel"
    )
    report = VerifyReport(
        files={"reconciliation": str(state.file("reconciliation.csv")), "summary": str(state.file("verify.json"))}
    )
    if listing.status != "complete":
        listing.message = f"listing the channel: {listing.message}"
        if listing.status == "interrupted":
            listing.advice = "run verify again: it lists the channel afresh each time"
        report.listing = listing
        return report
    channel_file = state_path / VERIFY_DIR / "channel.jsonl"
    await asyncio.to_thread(_reconcile, expected, channel_file, state, report)
    report.elapsed = time.monotonic() - started
    summary = {
        "job": spec.job.name,
        "counts": report.counts,
        "ok": report.ok,
        "files": report.files,
        "fields_checked": report.fields_checked,
        "not_verifiable": report.not_verifiable,
        "finished_at": time.time(),
    }
    await asyncio.to_thread(write_atomic, state.file("verify.json"), json.dumps(summary, indent=2).encode())
    return report


def _reconcile(spec: ImportJob, channel_file: Path, state: StateDir, report: VerifyReport) -> None:
    channel = ChannelIndex(channel_file)
    try:
        _reconcile_with(spec, channel, state, report)
    finally:
        channel.close()


def _reconcile_with(spec: ImportJob, channel: ChannelIndex, state: StateDir, report: VerifyReport) -> None:
    carried = channel.carried
    checked: set[str] = set()
    not_verifiable: collections.Counter[str] = collections.Counter()
    target = state.file("reconciliation.csv")
    # A killed verify leaves the last complete reconciliation.
    reader = FileReader(spec.source)
    with replaced_on_success(target) as partial, open_private(partial, "w") as handle:
        out = csv.writer(handle)
        out.writerow(RECONCILIATION_HEADER)
        empty = spec.source.path.stat().st_size == 0  # a migration from an empty source: every contact is extra
        mapper = (
            None
            if empty
            else ContactMapper(spec.mapping, reader.columns(), spec.sink.integration_id, spec.source.preset)
        )
        duplicates = DuplicatePhones(reader.count_rows()) if spec.mapping.reject_duplicate_phones else None
        for batch, outcomes in [] if mapper is None else mapped_batches(reader, mapper, duplicates, 0):
            for row, mapped in enumerate(outcomes, batch.first):
                if isinstance(mapped, Rejection):
                    status, phone, contact_id, detail = "invalid", "", "", mapped.reason
                else:
                    phone = str(mapped["phone_number"])
                    doc = channel.take(mapped["phone_number"])
                    differences = {} if doc is None else differences_between(mapped, doc, carried)
                    if doc is not None:
                        compared = mapped.keys() - NOT_COMPARED
                        checked.update(compared & carried)
                        not_verifiable.update(compared - carried)
                    status = "missing" if doc is None else "mismatched" if differences else "created"
                    contact_id = "" if doc is None else doc.get("_id", "")
                    detail = json.dumps(differences, ensure_ascii=False, default=str) if differences else ""
                report.counts[status] += 1
                out.writerow([row, phone, status, contact_id, neutralize(detail)])
        for phone, contact_id in channel.extra():
            report.counts["extra"] += 1
            out.writerow(["", phone, "extra", contact_id, ""])
    report.fields_checked = sorted(checked)
    report.not_verifiable = dict(sorted(not_verifiable.items()))


def differences_between(
    payload: dict[str, Any], doc: dict[str, Any], carried: Collection[str]
) -> dict[str, dict[str, Any]]:
    """The fields the job sends that the channel holds otherwise (tags: every sent tag must be there). Only
    fields the listing ``carried`` are compared: Rampwin documents its list as ``_id``, ``full_name``,
    ``phone_number``, ``is_user`` and timestamps, so a field it never shows cannot be verified, not differ."""
    found: dict[str, dict[str, Any]] = {}
    for key, sent in payload.items():
        if key in NOT_COMPARED or key not in carried:
            continue
        held = doc.get(key)
        if not _same(key, sent, held):
            found[key] = {"expected": sent, "found": held}
    return found


def _same(key: str, sent: Any, held: Any) -> bool:
    if key == "tags":
        return isinstance(held, list) and set(sent) <= {str(tag) for tag in held}
    if sent == held:
        return True
    if held is None or isinstance(sent, (list, dict)):
        return False
    if isinstance(sent, (int, float)) and not isinstance(sent, bool):
        try:
            return float(held) == float(sent)  # a number may come back as text
        except (TypeError, ValueError):
            return False
    sent_text, held_text = str(sent).strip(), str(held).strip()
    return sent_text.lower() == held_text.lower() if key == "email" else sent_text == held_text
