"""Migrations (provider → Rampwin), verify and upsert re-runs, over a real socket against the emulator."""

import json
import signal

import pytest

from bulkcontacts.jobs import EXIT_OK, EXIT_REJECTIONS
from bulkcontacts_emulator.seed import seed
from tests.helpers import (
    INTEGRATION,
    assert_exactly_once,
    emulator_stats,
    read_csv,
    run_cli,
    set_emulator,
    start_cli,
    wait_for,
    write_migrate_spec,
)

BOOKKEEPING = ("_id", "createdAt", "updatedAt")


def channel(emulator):
    """The target channel's contacts by phone (digits), without the store's bookkeeping."""
    docs = emulator.state.store.all("rampwin", INTEGRATION)
    by_phone = {doc["phone_number"]: {k: v for k, v in doc.items() if k not in BOOKKEEPING} for doc in docs}
    assert len(by_phone) == len(docs), "a phone number is in the channel twice"
    return by_phone


def expected_contact(provider, record):
    """What the default mapping makes of one provider record."""
    phone = str(record.get("phoneNumber") or record.get("phone_number")).lstrip("+")
    if provider == "tether":
        return phone, {
            "full_name": f"{record['firstName']} {record['lastName']}",
            "first_name": record["firstName"],
            "last_name": record["lastName"],
            "email": record["email"],
            "status": record["status"],
            "pipelineStage": record["pipelineStage"],
        }
    if provider == "kore":
        return phone, {"full_name": f"+{phone}"}
    contact = {
        "full_name": record["name"],
        "email": record["email_id"],
        "company": record["company_name"],
        "tags": [record["contact_group_name"]],
    }
    contact.update({field["name"]: field["value"] for field in record["custom_fields"]})
    return phone, {key: value for key, value in contact.items() if value is not None}


def verify(spec, cwd, *, summary=False):
    result = run_cli("verify", str(spec), "-q", cwd=cwd)
    written = json.loads((cwd / ".bulkcontacts" / "migrate-job" / "verify.json").read_text())
    return (result, written) if summary else (result, written["counts"])


@pytest.mark.parametrize("provider", ["tether", "kore", "smartflo"])
def test_migration_moves_every_contact_verify_agrees_and_an_upsert_rerun_changes_nothing(tmp_path, emulator, provider):
    total = 1_500  # 15-30 pages per provider, a thousand and more payloads compared field by field
    seed(emulator.state.store, provider, total)
    set_emulator(emulator, kore_per_minute=None)
    records = emulator.state.store.all(provider, "demo")
    spec = write_migrate_spec(tmp_path / "job.toml", provider, emulator)

    result = run_cli("run", str(spec), "-q", cwd=tmp_path)
    assert result.returncode == EXIT_OK, result.stdout + result.stderr
    assert_exactly_once(tmp_path / ".bulkcontacts" / "migrate-job", total)
    migrated = channel(emulator)
    assert len(migrated) == total
    for record in records:
        phone, fields = expected_contact(provider, record)
        assert migrated[phone] == {"phone_number": phone, "integration_id": INTEGRATION, "is_user": False, **fields}, (
            record
        )

    checked, counts = verify(spec, tmp_path)
    assert checked.returncode == EXIT_OK, checked.stdout + checked.stderr
    assert counts == {"created": total, "missing": 0, "mismatched": 0, "extra": 0, "invalid": 0}

    set_emulator(emulator, list_shape="documented")  # the listing as Rampwin documents it: few fields
    checked, written = verify(spec, tmp_path, summary=True)
    assert checked.returncode == EXIT_OK, checked.stdout + checked.stderr
    assert written["counts"] == counts and written["fields_checked"] == ["full_name"]
    if provider != "kore":
        assert written["not_verifiable"]["email"] > 0 and "not verifiable" in checked.stdout
    set_emulator(emulator, list_shape="full")

    upsert = write_migrate_spec(tmp_path / "job.toml", provider, emulator, sink_extra='mode = "upsert"')
    again = run_cli("run", str(upsert), "-q", "--restart", cwd=tmp_path)
    assert again.returncode == EXIT_OK, again.stdout + again.stderr
    assert channel(emulator) == migrated  # no duplicate, nothing changed
    assert verify(upsert, tmp_path)[1]["created"] == total


def test_verify_reports_missing_mismatched_and_extra_contacts_and_fails(tmp_path, emulator):
    seed(emulator.state.store, "smartflo", 300)
    spec = write_migrate_spec(tmp_path / "job.toml", "smartflo", emulator)
    assert run_cli("run", str(spec), "-q", cwd=tmp_path).returncode == EXIT_OK
    store = emulator.state.store
    phones = sorted(channel(emulator))
    with store.lock:
        store.db.execute("DELETE FROM contacts WHERE provider='rampwin' AND phone=?", (phones[0],))
    store.upsert("rampwin", INTEGRATION, phones[1], {"full_name": "Someone Else"})
    store.upsert("rampwin", INTEGRATION, "919999999999", {"phone_number": "919999999999", "full_name": "Other"})

    result, counts = verify(spec, tmp_path)
    assert result.returncode == 1
    assert counts == {"created": 298, "missing": 1, "mismatched": 1, "extra": 1, "invalid": 0}
    lines = {
        line["phone_number"]: line
        for line in read_csv(tmp_path / ".bulkcontacts" / "migrate-job" / "reconciliation.csv")
    }
    assert lines[phones[0]]["status"] == "missing" and lines["919999999999"]["status"] == "extra"
    assert json.loads(lines[phones[1]]["differences"])["full_name"]["found"] == "Someone Else"

    set_emulator(emulator, list_shape="documented")
    result, counts = verify(spec, tmp_path)
    assert result.returncode == 1
    assert counts == {"created": 298, "missing": 1, "mismatched": 1, "extra": 1, "invalid": 0}


def test_verify_needs_the_list_token_and_a_run_first(tmp_path, emulator):
    spec = write_migrate_spec(tmp_path / "job.toml", "smartflo", emulator)
    first = run_cli("verify", str(spec), cwd=tmp_path)
    assert first.returncode == 2 and "run the job first" in first.stderr
    no_token = tmp_path / "no-token.toml"
    no_token.write_text(spec.read_text().replace('token = "${RAMPWIN_TOKEN}"\n', ""))
    second = run_cli("verify", str(no_token), cwd=tmp_path)
    assert second.returncode == 2 and "[sink] token" in second.stderr


def test_sigkill_during_fetch_and_send_then_resume_is_exactly_once(tmp_path, emulator):
    total = 2_000
    seed(emulator.state.store, "smartflo", total)
    spec = write_migrate_spec(
        tmp_path / "job.toml", "smartflo", emulator, run='rate = "400/s"\nconcurrency = 8\ncheckpoint_every = 0.2'
    )
    state = tmp_path / ".bulkcontacts" / "migrate-job"
    set_emulator(emulator, latency=0.01, drop_after_rate=0.02)
    moments = [
        lambda: (state / "fetch" / "checkpoint.json").exists(),  # while fetching pages
        lambda: len(channel(emulator)) >= 200,
        lambda: len(channel(emulator)) >= 900,
        lambda: len(channel(emulator)) >= 1_600,
    ]
    for moment in moments:
        process = start_cli("run", str(spec), "-q", cwd=tmp_path)
        assert wait_for(moment, timeout=60, every=0.1)  # reading the store holds the emulator: not too often
        process.send_signal(signal.SIGKILL)
        process.wait()
    set_emulator(emulator, drop_after_rate=0.0, latency=0.0)
    result = run_cli("run", str(spec), "-q", cwd=tmp_path)
    assert result.returncode == EXIT_OK, result.stdout + result.stderr
    created, _ = assert_exactly_once(state, total)
    assert len(channel(emulator)) == total
    assert sorted(channel(emulator)) == sorted(line["phone_number"] for line in created)


def test_retry_rejected_resends_only_rejected_rows_keeping_their_row_numbers(tmp_path, emulator):
    seed(emulator.state.store, "kore", 50)
    set_emulator(emulator, kore_per_minute=None)
    strict = write_migrate_spec(tmp_path / "job.toml", "kore", emulator, mapping='missing_name = "reject"')
    first = run_cli("run", str(strict), "-q", cwd=tmp_path)
    assert first.returncode == EXIT_REJECTIONS, first.stdout + first.stderr  # Kore.ai contacts have no name
    state = tmp_path / ".bulkcontacts" / "migrate-job"
    assert len(read_csv(state / "rejected.csv")) == 50 and not channel(emulator)

    fixed = write_migrate_spec(tmp_path / "job.toml", "kore", emulator, mapping='missing_name = "phone"')
    refused = run_cli("run", str(fixed), "-q", cwd=tmp_path)
    assert refused.returncode == 2 and "[mapping]" in refused.stderr  # a changed mapping never resumes silently
    retried = run_cli("run", str(fixed), "-q", "--retry-rejected", cwd=tmp_path)
    assert retried.returncode == EXIT_OK, retried.stdout + retried.stderr
    created, rejected = assert_exactly_once(state, 50)
    assert not rejected and len(channel(emulator)) == 50
    assert len(read_csv(state / "rejected.before-retry.csv")) == 50
    again = run_cli("run", str(fixed), "-q", "--retry-rejected", cwd=tmp_path)
    assert again.returncode == EXIT_OK and "no rejected rows to retry" in again.stdout


def test_merging_two_rampwin_channels_keeps_every_attribute_and_tag(tmp_path, emulator):
    seed(emulator.state.store, "rampwin", 400)  # channel "demo"
    spec = write_migrate_spec(tmp_path / "job.toml", "rampwin", emulator)
    result = run_cli("run", str(spec), "-q", cwd=tmp_path)
    assert result.returncode == EXIT_OK, result.stdout + result.stderr
    merged = channel(emulator)
    for source in emulator.state.store.all("rampwin", "demo"):
        held = merged[source["phone_number"]]
        for key in ("full_name", "first_name", "last_name", "email"):
            assert held[key] == source[key]
        assert held.get("tags", []) == source["tags"] and held["integration_id"] == INTEGRATION
    assert verify(spec, tmp_path)[1]["created"] == 400


def test_dry_run_fetches_checks_and_estimates_sending_nothing_then_the_run_reuses_the_fetch(tmp_path, emulator):
    seed(emulator.state.store, "smartflo", 250)
    spec = write_migrate_spec(tmp_path / "job.toml", "smartflo", emulator, run='rate = "20/s"')
    dry = run_cli("run", str(spec), "--dry-run", "-q", cwd=tmp_path)
    assert dry.returncode == EXIT_OK, dry.stdout + dry.stderr
    assert "250 requests at 20/s ≈ 13 s" in dry.stdout and not channel(emulator)
    requests_before = emulator_stats(emulator)["requests"]
    fast = write_migrate_spec(tmp_path / "job.toml", "smartflo", emulator)
    assert run_cli("run", str(fast), "-q", cwd=tmp_path).returncode == EXIT_OK
    assert len(channel(emulator)) == 250
    assert emulator_stats(emulator)["requests"] == requests_before + 250  # the creates only: nothing fetched again


def test_validate_shows_the_mapping_a_migration_will_use_and_fetches_nothing(tmp_path, emulator):
    spec = write_migrate_spec(tmp_path / "job.toml", "tether", emulator, mapping='custom_attributes = ["status"]')
    result = run_cli("validate", str(spec), cwd=tmp_path)
    assert result.returncode == EXIT_OK, result.stderr
    assert '"first_name": "firstName"' in result.stdout and '"custom_attributes": ["status"]' in result.stdout
    assert emulator_stats(emulator)["requests"] == 0


def test_an_empty_source_migrates_nothing_and_verify_finds_only_extras(tmp_path, emulator):
    emulator.state.store.upsert(
        "rampwin", INTEGRATION, "919999999999", {"phone_number": "919999999999", "full_name": "Already There"}
    )
    spec = write_migrate_spec(tmp_path / "job.toml", "tether", emulator)
    result = run_cli("run", str(spec), "-q", cwd=tmp_path)
    assert result.returncode == EXIT_OK and "source is empty" in result.stdout, result.stdout + result.stderr
    checked, counts = verify(spec, tmp_path)
    assert checked.returncode == EXIT_OK
    assert counts == {"created": 0, "missing": 0, "mismatched": 0, "extra": 1, "invalid": 0}
