"""A sharded export: the driver fetches the first page to learn how many there are, gives each shard a
range of pages (they land in the job's shared folder of parts), and assembles the output file once every
shard is done, as a one-process export would. A provider that does not tell its total (it pages until a
short page) cannot be split: its export runs in one process, and the driver says so."""

from __future__ import annotations

import time
from pathlib import Path

from bulkcontacts.config.jobs import ExportJob
from bulkcontacts.engine.attempts import Fatal, Succeeded
from bulkcontacts.engine.loop import run as run_loop
from bulkcontacts.errors import FatalRemoteError, Interrupted, UsageError
from bulkcontacts.io.writers import assemble
from bulkcontacts.jobs.exports import run_export, source_fingerprint
from bulkcontacts.jobs.results import RunResult
from bulkcontacts.providers.fetch import Credentials, PageFetcher
from bulkcontacts.providers.http import new_session
from bulkcontacts.providers.paging import PagePlan, PagingError
from bulkcontacts.providers.registry import provider_of
from bulkcontacts.scale.cluster import dask_client, probe_shared_storage
from bulkcontacts.scale.merge import shard_counts, sharded_result
from bulkcontacts.scale.options import ScaleOptions
from bulkcontacts.scale.plan import load_plan, plan_shards
from bulkcontacts.scale.waiting import shard_tasks, wait_for_shards
from bulkcontacts.state.layout import PARTS_DIR
from bulkcontacts.state.parts import PartStore
from bulkcontacts.ui.display import Display


async def first_page(spec: ExportJob) -> PagePlan:
    """What the list's first page says about the whole (its total, when the provider tells one)."""
    source = spec.source
    api = provider_of(source).list_api(source, None)
    async with new_session(1, spec.run.request_timeout) as session:
        fetcher = PageFetcher(api, Credentials(provider_of(source).auth(source), source.base_url, session), session)
        attempt = await fetcher.fetch(0)
    if isinstance(attempt, Fatal):
        raise FatalRemoteError(attempt.reason)
    if not isinstance(attempt, Succeeded):
        raise Interrupted(f"the list's first page: {attempt.reason}; run the same command again")
    plan = PagePlan(api.page_size, source.max_pages)
    try:
        plan.learn(0, attempt.value, api)
    except PagingError as error:
        raise UsageError(f"[source]: {error}") from None
    return plan


def export_in_shards(
    job: Path, spec: ExportJob, root: Path, scale: ScaleOptions, display: Display, emulator: str | None
) -> RunResult:
    if spec.source.mode == "incremental":
        raise UsageError("an incremental export runs in one process (its mark moves with each run): drop --workers")
    started = time.monotonic()
    known = load_plan(root)
    total_pages, total_records = (known.total_rows, known.records) if known else _total(spec)
    if total_pages is None or not provider_of(spec.source).list_api(spec.source, None).random_access:
        why = "does not say how many pages it holds" if total_pages is None else "pages by cursor or link"
        display.note(f"the list {why}, so its pages cannot be split: one process")
        return run_loop(run_export(spec, state_path=root, restart=False, display=display))
    with dask_client(scale.workers, scale.cluster, display) as client:
        workers = probe_shared_storage(client, root, [job])
        if known is None:
            PartStore(root / PARTS_DIR).clear()  # a new export: no page of an earlier one may be assembled
        fingerprint = source_fingerprint(spec.source)
        plan = plan_shards(root, scale.workers or workers, total_pages, fingerprint, total_records)
        tasks = shard_tasks(job, root, plan, spec.run, scale, display, emulator, (total_pages, total_records))
        results = wait_for_shards(client, tasks, plan, root, display, f"fetching in {plan.count} shards")
    counts = shard_counts(results)
    complete = all(result.get("status") == "complete" for result in results)
    if not complete:
        return sharded_result(spec.job.name, root, results, counts, {}, "", started)
    api = provider_of(spec.source).list_api(spec.source, None)
    normalize = api.normalize if spec.sink.normalize else None
    assembled = assemble(
        PartStore(root / PARTS_DIR), total_pages, spec.sink,
        id_field=api.id_field, updated_field=api.updated_field, normalize=normalize,
    )  # fmt: skip
    counts.update(records=assembled.records, duplicates_dropped=assembled.duplicates)
    dropped = f", {assembled.duplicates:,} duplicates dropped" if assembled.duplicates else ""
    message = f"{assembled.records:,} records written to {assembled.path}{dropped} ({plan.count} shards)"
    return sharded_result(spec.job.name, root, results, counts, {"output": str(spec.sink.path)}, message, started)


def _total(spec: ExportJob) -> tuple[int | None, int | None]:
    plan = run_loop(first_page(spec))
    return plan.total_pages, plan.total_records
