"""Exports over a real socket against the emulator."""

import json
import stat

import pytest

from bulkcontacts.config.load import load_spec
from bulkcontacts.jobs import EXIT_INTERRUPTED, EXIT_OK
from bulkcontacts.jobs.exports import run_export
from bulkcontacts.ui.display import make_display
from bulkcontacts_emulator.seed import seed
from tests.helpers import (
    emulator_stats,
    exported_ids,
    killed_when,
    run_cli,
    set_emulator,
    write_export_spec,
)

ID_FIELDS = {"rampwin": "_id", "tether": "_id", "kore": "_id", "smartflo": "id"}
SMALL_PAGES = {
    "rampwin": "page_size = 40",
    "tether": "page_size = 40",
    "kore": "page_size = 40",
    "smartflo": "page_size = 40",
}


def store_ids(emulator, provider):
    return [str(doc[ID_FIELDS[provider]]) for doc in emulator.state.store.all(provider, "demo")]


async def export(tmp_path, emulator, provider, suffix, **options):
    spec_path = write_export_spec(
        tmp_path / f"{provider}{suffix}.toml",
        provider,
        emulator.base_url(provider),
        tmp_path / f"out-{provider}{suffix}",
        name=f"{provider}{suffix.replace('.', '-')}",
        **options,
    )
    spec = load_spec(spec_path)
    return await run_export(
        spec, state_path=tmp_path / "state" / spec.job.name, restart=False, display=make_display(quiet=True)
    ), spec


@pytest.mark.parametrize("provider", ["rampwin", "tether", "kore", "smartflo"])
async def test_full_export_equals_the_providers_set_in_every_format(tmp_path, emulator, provider):
    seed(emulator.state.store, provider, 250)
    set_emulator(emulator, kore_per_minute=None)
    expected = store_ids(emulator, provider)
    for suffix in (".csv", ".parquet", ".jsonl"):
        result, spec = await export(
            tmp_path, emulator, provider, suffix, source_extra=SMALL_PAGES[provider], sink_extra="normalize = true"
        )
        assert result.status == "complete", result.message
        assert exported_ids(spec.sink.path, "provider_id") == expected  # each once, in page order
        assert result.counts["records"] == 250 and result.counts["duplicates_dropped"] == 0
        assert stat.S_IMODE(spec.sink.path.stat().st_mode) == 0o600
    assert not list(tmp_path.glob(".out-*"))  # no partial file left behind


async def test_nested_values_stay_structured_in_parquet_and_json_in_csv(tmp_path, emulator):
    import polars as pl

    seed(emulator.state.store, "smartflo", 30)
    result, spec = await export(tmp_path, emulator, "smartflo", ".parquet")
    frame = pl.read_parquet(spec.sink.path)
    assert frame.schema["custom_fields"] == pl.List(pl.Struct({"name": pl.String, "value": pl.String}))
    result, spec = await export(tmp_path, emulator, "smartflo", ".csv", sink_extra="normalize = true")
    row = pl.read_csv(spec.sink.path, infer_schema=False).row(0, named=True)
    assert json.loads(row["custom_fields"])[0]["name"] == "Alternate Phone Number"
    assert row["phone_number"].isdigit() and row["source_phone_number"].startswith("+")


async def test_429_with_retry_after_is_absorbed(tmp_path, emulator):
    seed(emulator.state.store, "tether", 400)
    set_emulator(emulator, rate_limit=15)
    result, spec = await export(tmp_path, emulator, "tether", ".jsonl", source_extra="page_size = 10")
    assert result.status == "complete", result.message
    assert emulator_stats(emulator)["throttled"] > 0 and result.stats["throttled"] > 0
    assert len(exported_ids(spec.sink.path, "_id")) == 400


async def test_token_expiring_mid_export_logs_in_again(tmp_path, emulator):
    seed(emulator.state.store, "smartflo", 300)
    set_emulator(emulator, token_ttl=0.3, latency=0.02)
    result, spec = await export(tmp_path, emulator, "smartflo", ".jsonl", source_extra="page_size = 10")
    assert result.status == "complete", result.message
    assert exported_ids(spec.sink.path, "id") == store_ids(emulator, "smartflo")
    assert emulator_stats(emulator)["statuses"].get("401", 0) >= 2  # it expired, more than once


async def test_pages_short_of_the_total_give_a_resumable_failure(tmp_path, emulator):
    seed(emulator.state.store, "rampwin", 200)
    set_emulator(emulator, short_after=120)
    result, spec = await export(tmp_path, emulator, "rampwin", ".jsonl", source_extra="page_size = 50")
    assert result.status == "interrupted" and result.exit_code == EXIT_INTERRUPTED
    assert "page 3 of 4 has 20 records, expected 50" in result.message
    assert not spec.sink.path.exists()
    set_emulator(emulator, short_after=None)
    result, spec = await export(tmp_path, emulator, "rampwin", ".jsonl", source_extra="page_size = 50")
    assert result.status == "complete", result.message
    assert exported_ids(spec.sink.path, "_id") == store_ids(emulator, "rampwin")


async def test_incremental_export_fetches_only_newer_records(tmp_path, emulator):
    seed(emulator.state.store, "smartflo", 100)
    first, spec = await export(
        tmp_path, emulator, "smartflo", ".jsonl", source_extra='page_size = 30\nmode = "incremental"'
    )
    assert first.counts["records"] == 100
    seed(emulator.state.store, "smartflo", 15, start=100)
    watermark = json.loads((tmp_path / "state" / spec.job.name / "watermark.json").read_text())
    assert watermark["newest_update"] == "2024-01-01T01:39:00+0000"
    result, spec = await export(
        tmp_path, emulator, "smartflo", ".jsonl", source_extra='page_size = 30\nmode = "incremental"'
    )
    assert result.status == "complete" and result.counts["records"] == 15
    assert exported_ids(spec.sink.path, "id") == store_ids(emulator, "smartflo")[100:]


def test_sigkill_mid_export_then_resume_gives_each_record_once(tmp_path, emulator):
    seed(emulator.state.store, "tether", 3000)
    set_emulator(emulator, latency=0.03)
    output = tmp_path / "tether.jsonl"
    spec = write_export_spec(
        tmp_path / "job.toml",
        "tether",
        emulator.base_url("tether"),
        output,
        source_extra="page_size = 20",
        run='rate = "200/s"\nconcurrency = 4\ncheckpoint_every = 0.1',
    )
    parts = tmp_path / ".bulkcontacts" / "export-job" / "parts"
    for pages in (10, 60, 110):
        killed_when(
            lambda pages=pages: len(list(parts.glob("page-*.jsonl"))) >= pages, "run", str(spec), "-q", cwd=tmp_path
        )
        assert not output.exists()
    set_emulator(emulator, latency=0.0)
    finished = run_cli("run", str(spec), "-q", cwd=tmp_path)
    assert finished.returncode == EXIT_OK, finished.stdout + finished.stderr
    assert exported_ids(output, "_id") == store_ids(emulator, "tether")


@pytest.mark.parametrize("provider", ["rampwin", "tether", "kore", "smartflo"])
async def test_an_empty_contact_list_exports_to_an_empty_file_and_is_complete(tmp_path, emulator, provider):
    set_emulator(emulator, kore_per_minute=None)
    result, spec = await export(tmp_path, emulator, provider, ".jsonl")
    assert result.status == "complete", result.message
    assert result.counts["records"] == 0 and spec.sink.path.read_text() == ""
