"""``[sink] type = "rest"`` over a real socket: imports into the emulator's generic create endpoint
(``/rest/v1/contacts``), exactly once through lost answers and kills, with and without a look-up."""

import json

import pytest

from bulkcontacts.jobs import EXIT_OK, EXIT_USAGE
from bulkcontacts_emulator.seed import seed
from tests.helpers import (
    EXPORT_SOURCES,
    assert_exactly_once,
    contact_rows,
    emulator_stats,
    killed_when,
    run_cli,
    set_emulator,
    write_csv,
)

LOOKUP = 'lookup = { path = "/v1/contacts/search", params = { phone = "{phone_e164}" }, data_selector = "results" }'
BODY = 'body = { phone = "{phone_e164}", name = { full = "{full_name}" }, plan = "{plan}", labels = "{tags}" }'


def sink_spec(path, source, base_url, *, sink_extra="", body=BODY, run='rate = "1000/s"'):
    path.write_text(
        "\n".join(
            [
                '[job]\nname = "rest-sink"',
                f'[source]\ntype = "file"\npath = "{source}"',
                f'[sink]\ntype = "rest"\nbase_url = "{base_url}"\npath = "/v1/contacts"\n{body}',
                'success_status = [201]\nid_path = "id"\nauth = { type = "bearer", token = "${CRM_TOKEN}" }',
                sink_extra,
                '[mapping]\ntags = { column = "tags", separator = ";" }\ncustom_attributes = ["plan"]',
                f"[run]\n{run}\n",
            ]
        ),
        encoding="utf-8",
    )
    return path


def stored(emulator):
    """The sink's contacts by phone (digits): their id and body."""
    return {doc["phone"][1:]: doc for doc in emulator.state.store.all("rest", "imported")}


@pytest.mark.parametrize(
    ("total", "kills"),
    [(1_200, (200, 500, 850)), pytest.param(5_000, (800, 2_000, 3_500), marks=pytest.mark.slow)],  # the issue's
)
def test_lost_answers_and_three_kills_still_create_every_row_once_with_its_id(tmp_path, emulator, total, kills):
    set_emulator(emulator, drop_after_rate=0.05, faults_for="rest")
    source = write_csv(tmp_path / "in.csv", contact_rows(total))
    spec = sink_spec(tmp_path / "job.toml", source, emulator.base_url("rest"), sink_extra=LOOKUP,
                     run='rate = "500/s"\ncheckpoint_every = 0.2')  # fmt: skip
    for kill_after in kills:  # contacts in the sink when the process is killed
        killed_when(lambda kill_after=kill_after: len(stored(emulator)) >= kill_after, "run", str(spec), cwd=tmp_path)
    finished = run_cli("run", str(spec), "-q", cwd=tmp_path)
    assert finished.returncode == EXIT_OK, finished.stdout + finished.stderr

    state = tmp_path / ".bulkcontacts" / "rest-sink"
    created, rejected = assert_exactly_once(state, total)
    contacts = stored(emulator)
    assert not rejected and len(contacts) == total  # each created once, none lost
    assert {line["phone_number"]: line["contact_id"] for line in created} == {
        phone: doc["_id"] for phone, doc in contacts.items()
    }  # every id the server's, also for the rows whose answer was lost
    first = contacts["919800000000"]
    assert first["name"] == {"full": "Contact 0"} and first["plan"] == "gold" and first["labels"] == ["a", "b"]
    assert "labels" not in contacts["919800000001"]  # an empty field leaves its key out
    counts = json.loads((state / "summary.json").read_text())["counts"]
    assert counts["created:in_doubt_found"] > 0 and emulator_stats(emulator)["faults"] > 0


def test_without_a_lookup_a_duplicate_answer_settles_a_lost_one_and_a_contact_there_before_is_counted(
    tmp_path, emulator
):
    rows = contact_rows(300)
    set_emulator(emulator, drop_after_rate=0.1, faults_for="rest")
    emulator.state.store.insert("rest", "imported", "919800000007", {"phone": "+919800000007"})  # there before
    source = write_csv(tmp_path / "in.csv", rows)
    spec = sink_spec(tmp_path / "job.toml", source, emulator.base_url("rest"), sink_extra="duplicate_status = [409]")
    finished = run_cli("run", str(spec), "-q", cwd=tmp_path)
    assert finished.returncode == EXIT_OK, finished.stdout + finished.stderr
    state = tmp_path / ".bulkcontacts" / "rest-sink"
    created, rejected = assert_exactly_once(state, len(rows))
    assert not rejected and len(stored(emulator)) == len(rows)
    counts = json.loads((state / "summary.json").read_text())["counts"]
    assert counts["created:already_there"] == 1 and counts["created:in_doubt_assumed"] > 0
    assert counts["in_doubt_decided_without_lookup"] == counts["created:in_doubt_assumed"]
    assert next(line for line in created if line["phone_number"] == "919800000007")["contact_id"] == ""


def test_a_body_naming_no_such_field_is_refused_before_anything_is_sent(tmp_path, emulator):
    source = write_csv(tmp_path / "in.csv", contact_rows(5))
    body = 'body = { phone = "{phone_e164}", name = "{ful_name}" }'
    spec = sink_spec(tmp_path / "job.toml", source, emulator.base_url("rest"), body=body)
    for command in ("validate", "run"):
        refused = run_cli(command, str(spec), cwd=tmp_path)
        assert refused.returncode == EXIT_USAGE, refused.stdout + refused.stderr
        assert "[sink] body: {ful_name} is not a field of the mapped rows; did you mean {full_name}?" in (
            refused.stdout + refused.stderr
        )
    assert emulator_stats(emulator)["requests"] == 0


def test_validate_shows_the_bodies_the_rows_become(tmp_path, emulator):
    source = write_csv(tmp_path / "in.csv", contact_rows(3))
    spec = sink_spec(tmp_path / "job.toml", source, emulator.base_url("rest"))
    shown = run_cli("validate", str(spec), cwd=tmp_path)
    assert shown.returncode == EXIT_OK, shown.stdout + shown.stderr
    assert (
        '{"phone": "+919800000000", "name": {"full": "Contact 0"}, "plan": "gold", "labels": ["a", "b"]}'
        in shown.stdout
    )


def test_a_migration_into_a_rest_sink_sends_each_record_once_with_its_custom_fields(tmp_path, emulator):
    seed(emulator.state.store, "smartflo", 120)
    records = emulator.state.store.all("smartflo", "demo")
    spec = tmp_path / "job.toml"
    spec.write_text(
        "\n".join(
            [
                '[job]\nname = "rest-sink"',
                f'[source]\ntype = "smartflo"\nbase_url = "{emulator.base_url("smartflo")}"',
                EXPORT_SOURCES["smartflo"],
                f'[sink]\ntype = "rest"\nbase_url = "{emulator.base_url("rest")}"\npath = "/v1/contacts"',
                'body = { phone = "{phone_e164}", name = "{full_name}", plan = "{Plan}", labels = "{tags}" }',
                'success_status = [201]\nid_path = "id"\nauth = { type = "bearer", token = "${CRM_TOKEN}" }',
                '[run]\nrate = "1000/s"\n',
            ]
        ),
        encoding="utf-8",
    )
    finished = run_cli("run", str(spec), "-q", cwd=tmp_path)
    assert finished.returncode == EXIT_OK, finished.stdout + finished.stderr
    created, _ = assert_exactly_once(tmp_path / ".bulkcontacts" / "rest-sink", len(records))
    contacts = stored(emulator)
    for record in records:
        sent = contacts[record["phone_number"].lstrip("+")]
        plan = next(field["value"] for field in record["custom_fields"] if field["name"] == "Plan")
        assert sent["name"] == record["name"] and sent["plan"] == plan
        assert sent["labels"] == [record["contact_group_name"]]
    assert {line["contact_id"] for line in created} == {doc["_id"] for doc in contacts.values()}
