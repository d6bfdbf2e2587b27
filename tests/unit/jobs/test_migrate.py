import json

from bulkcontacts.config.mapping import MappingSpec
from bulkcontacts.contacts.defaults import migration_mapping
from bulkcontacts.contacts.mapping import ContactMapper, Rejection
from bulkcontacts.io.staging import stage_rows
from bulkcontacts.jobs.verify import differences_between
from bulkcontacts.providers.registry import provider

SMARTFLO = {
    "id": 7,
    "contact_group_id": 3,
    "contact_group_name": "Leads, North",
    "phone_number": "+919876543210",
    "name": "Ana Rao",
    "email_id": "ana@example.com",
    "address": None,
    "company_name": "Acme",
    "custom_fields": [
        {"name": "Plan", "value": "gold"},
        {"name": "name", "value": "clash"},
        {"name": "Empty", "value": None},
    ],
    "created_at": "2024-05-08T12:45:03+0000",
    "updated_at": "2024-05-08T12:45:03+0000",
    "deleted_at": None,
}


def staged(tmp_path, name, records):
    source = tmp_path / "records.jsonl"
    source.write_text("".join(json.dumps(record) + "\n" for record in records))
    assert stage_rows(source, tmp_path / "rows.jsonl", provider(name).flatten) == len(records)
    return [json.loads(line) for line in (tmp_path / "rows.jsonl").read_text().splitlines()]


def payload(name, row, **own):
    mapping = migration_mapping(provider(name).default_mapping, MappingSpec(**own), list(row))
    return ContactMapper(mapping, list(row), "chan").map(row)


def test_smartflo_default_mapping_custom_fields_group_tag_and_no_bookkeeping(tmp_path):
    (row,) = staged(tmp_path, "smartflo", [SMARTFLO])
    assert row["Plan"] == "gold" and row["custom_name"] == "clash"  # a custom field never hides a real field
    assert payload("smartflo", row) == {
        "phone_number": 919876543210,
        "full_name": "Ana Rao",
        "email": "ana@example.com",
        "company": "Acme",
        "integration_id": "chan",
        "Plan": "gold",
        "custom_name": "clash",
        "tags": ["Leads, North"],
    }


def test_smartflo_soft_deleted_contacts_are_rejected_not_migrated(tmp_path):
    (row,) = staged(tmp_path, "smartflo", [{**SMARTFLO, "deleted_at": "2024-06-01T00:00:00+0000"}])
    rejected = payload("smartflo", row)
    assert isinstance(rejected, Rejection) and rejected.code == "deleted_at_set"


def test_keys_set_in_the_jobs_mapping_replace_the_defaults_and_only_those(tmp_path):
    (row,) = staged(tmp_path, "smartflo", [SMARTFLO])
    mapped = payload("smartflo", row, custom_attributes=["Plan"], rename={"Plan": "plan"})
    assert mapped["plan"] == "gold" and "custom_name" not in mapped
    assert mapped["full_name"] == "Ana Rao" and mapped["tags"] == ["Leads, North"]  # defaults still hold


def test_tether_kore_and_rampwin_defaults(tmp_path):
    tether = {
        "_id": "t1",
        "firstName": "Zoë",
        "lastName": "Iyer",
        "phoneNumber": "+919876543210",
        "email": None,
        "status": "new",
        "pipelineId": "p1",
        "pipelineStage": "lead",
        "organizationId": "o",
        "userId": "u",
        "createdBy": "u",
        "assignees": ["u2"],
        "createdAt": "x",
        "updatedAt": "x",
    }
    (row,) = staged(tmp_path, "tether", [tether])
    assert payload("tether", row) == {
        "phone_number": 919876543210,
        "first_name": "Zoë",
        "last_name": "Iyer",
        "full_name": "Zoë Iyer",
        "integration_id": "chan",
        "status": "new",
        "pipelineStage": "lead",
    }
    (row,) = staged(tmp_path, "kore", [{"_id": "k", "createdAt": "x", "updatedAt": "x", "phoneNumber": "+14155550123"}])
    assert payload("kore", row) == {"phone_number": 14155550123, "full_name": "+14155550123", "integration_id": "chan"}
    rampwin = {
        "_id": "r",
        "full_name": "Ana",
        "phone_number": "919876543210",
        "is_user": True,
        "email": "a@b.co",
        "tags": ["vip"],
        "plan": "gold",
        "integration_id": "other",
        "createdAt": "x",
        "updatedAt": "x",
    }
    (row,) = staged(tmp_path, "rampwin", [rampwin])
    assert payload("rampwin", row) == {
        "phone_number": 919876543210,
        "full_name": "Ana",
        "email": "a@b.co",
        "integration_id": "chan",
        "plan": "gold",
        "tags": ["vip"],
    }


def test_a_default_naming_a_field_the_provider_did_not_send_is_dropped_but_the_jobs_own_is_checked(tmp_path):
    import pytest

    from bulkcontacts.errors import UsageError

    record = {key: value for key, value in SMARTFLO.items() if key not in ("email_id", "deleted_at", "address")}
    (row,) = staged(tmp_path, "smartflo", [record])
    assert payload("smartflo", row)["full_name"] == "Ana Rao"
    with pytest.raises(UsageError, match="email_id"):
        payload("smartflo", row, email="email_id")


def test_staged_rows_all_carry_every_column_in_first_seen_order(tmp_path):
    late = {**SMARTFLO, "id": 8, "custom_fields": [{"name": "Late Field", "value": 1}]}
    rows = staged(tmp_path, "smartflo", [SMARTFLO] * 1500 + [late])
    assert list(rows[0]) == list(rows[-1]) and rows[0]["Late Field"] is None and rows[-1]["Late Field"] == 1
    assert not list(tmp_path.glob(".*.tmp"))


def test_differences_compare_what_was_sent_leniently_where_the_api_may_reformat():
    sent = {
        "phone_number": 919876543210,
        "integration_id": "c",
        "full_name": "Ana",
        "email": "Ana@X.co",
        "amount": 500,
        "tags": ["a"],
    }
    held = {
        "phone_number": "919876543210",
        "full_name": "Ana",
        "email": "ana@x.co",
        "amount": "500",
        "tags": ["a", "b"],
    }
    carried = {*held, "plan"}
    assert differences_between(sent, held, carried) == {}
    assert differences_between(sent, {**held, "full_name": "Bo", "tags": ["b"]}, carried) == {
        "full_name": {"expected": "Ana", "found": "Bo"},
        "tags": {"expected": ["a"], "found": ["b"]},
    }
    assert differences_between({**sent, "plan": "gold"}, held, carried) == {"plan": {"expected": "gold", "found": None}}


def test_a_field_the_listing_never_carries_is_not_a_difference():
    sent = {"phone_number": 919876543210, "full_name": "Ana", "email": "ana@x.co", "tags": ["a"], "plan": "gold"}
    documented = {"_id": "1", "full_name": "Ana", "phone_number": "919876543210", "is_user": False}
    assert differences_between(sent, documented, set(documented)) == {}
    assert differences_between(sent, {**documented, "full_name": "Bo"}, set(documented)) == {
        "full_name": {"expected": "Ana", "found": "Bo"}
    }
