"""``[sink] type = "rest"``: the body template, the answers' meanings, the look-up, the spec checks."""

import json
import re

import pytest
from aioresponses import aioresponses
from pydantic import ValidationError

from bulkcontacts.config.placeholders import render
from bulkcontacts.config.sinks import RestSink
from bulkcontacts.contacts.templates import check_body, fields_of
from bulkcontacts.engine.attempts import Fatal, Refused, Retry, Succeeded
from bulkcontacts.engine.pacing import Pacer
from bulkcontacts.errors import UsageError
from bulkcontacts.providers.http import new_session
from bulkcontacts.providers.rampwin_write import InDoubtCreated
from bulkcontacts.providers.rest_write import AlreadyThere, rest_writer

URL = re.compile(r"^https://crm\.example\.com/v1/contacts\?source=bulk$")
SEARCH = re.compile(r"^https://crm\.example\.com/v1/search\?q=%2B919876543210$")
PAYLOAD = {"phone_number": 919876543210, "full_name": "Asha Rao", "email": None, "tags": ["vip"],
           "integration_id": None, "plan": "gold", "score": 7}  # fmt: skip


def sink(**keys):
    table = {
        "type": "rest",
        "base_url": "https://crm.example.com",
        "path": "/v1/contacts",
        "params": {"source": "bulk"},
        "body": {"phone": "{phone_e164}", "name": "{full_name}"},
        "success_status": [201],
        "duplicate_status": [409],
        "id_path": "data.id",
        "auth": {"type": "api_key", "name": "X-API-Key", "api_key": "k-9"},
        **keys,
    }
    return RestSink.model_validate(table)


def test_a_template_keeps_each_values_type_drops_empty_fields_and_fills_longer_strings():
    template = {
        "phone": "{phone_e164}",
        "profile": {"name": "{full_name}", "mail": "{email}", "score": "{score}"},
        "labels": "{tags}",
        "note": "{full_name} ({plan}, {tags}, {email})",
        "fixed": {"source": "import", "active": True, "list": ["a", "{plan}", "{email}"]},
    }
    assert render(template, fields_of(PAYLOAD)) == {
        "phone": "+919876543210",
        "profile": {"name": "Asha Rao", "score": 7},  # an empty field's key is left out; a number stays one
        "labels": ["vip"],
        "note": "Asha Rao (gold, vip, )",
        "fixed": {"source": "import", "active": True, "list": ["a", "gold"]},
    }
    assert "integration_id" not in fields_of(PAYLOAD)


def test_a_body_naming_no_field_of_the_rows_is_refused_with_the_closest_one():
    with pytest.raises(UsageError, match=r"\{plna\} is not a field of the mapped rows; did you mean \{plan\}\?"):
        check_body(sink(body={"phone": "{phone_e164}", "plan": "{plna}"}), ["plan"])
    check_body(sink(body={"phone": "{phone_e164}", "plan": "{plan}", "city": "{city}"}), ["plan"])


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"body": {"phone": "+91"}}, "body names no field"),
        ({"success_status": [200, 302]}, "2xx statuses only"),
        ({"duplicate_status": [409, 429]}, "4xx statuses that mean the contact exists"),
        ({"path": "v1/contacts"}, "path"),
    ],
)
def test_a_wrong_sink_table_is_refused(keys, message):
    with pytest.raises(ValidationError, match=message):
        sink(**keys)


@pytest.fixture
async def session():
    opened = new_session(2, 5)
    yield opened
    await opened.close()


@pytest.mark.parametrize(
    ("status", "body", "maybe_applied", "expected"),
    [
        (201, {"data": {"id": 42}}, False, Succeeded("42")),
        (201, {"ok": True}, False, Succeeded(None)),
        (409, {"error": "conflict"}, False, Succeeded(AlreadyThere())),
        (409, {"error": "conflict"}, True, Succeeded(InDoubtCreated(None, "assumed"))),
        (422, {"message": "phone is not valid"}, False, Refused),
        (401, {"message": "bad key"}, False, Fatal),
        (200, {"data": {"id": 1}}, False, Fatal),  # a 2xx success_status does not list: the spec must say
        (503, {"message": "down"}, False, Retry),
    ],
)
async def test_answers_mean_what_the_sink_table_says(session, status, body, maybe_applied, expected):
    writer = rest_writer(sink(), session, Pacer(100))
    with aioresponses() as mocked:
        mocked.post(URL, status=status, payload=body)
        result = await writer.send(PAYLOAD, maybe_applied)
        (call,) = [c for calls in mocked.requests.values() for c in calls]
    assert json.loads(call.kwargs["data"]) == {"phone": "+919876543210", "name": "Asha Rao"}
    assert call.kwargs["headers"]["X-API-Key"] == "k-9"
    if isinstance(expected, type):
        assert isinstance(result, expected), result
        assert "k-9" not in result.reason
    else:
        assert result == expected
    if status == 401:
        assert "check [sink] auth" in result.reason


async def test_a_success_the_body_denies_is_retried(session):
    writer = rest_writer(sink(success_path="ok", success_value=True), session, Pacer(100))
    with aioresponses() as mocked:
        mocked.post(URL, status=201, payload={"ok": False})
        result = await writer.send(PAYLOAD, False)
    assert isinstance(result, Retry) and "ok is False, not True" in result.reason


async def test_a_row_whose_answer_was_lost_is_looked_up_before_it_is_sent_again(session):
    lookup = {"path": "/v1/search", "params": {"q": "{phone_e164}"}, "data_selector": "hits", "id_field": "uid"}
    writer = rest_writer(sink(lookup=lookup), session, Pacer(100))
    with aioresponses() as mocked:
        mocked.get(SEARCH, payload={"hits": [{"uid": "c-7"}]})
        assert await writer.send(PAYLOAD, True) == Succeeded(InDoubtCreated("c-7", "found"))
        mocked.get(SEARCH, payload={"hits": []})
        mocked.post(URL, status=201, payload={"data": {"id": "c-8"}})
        assert await writer.send(PAYLOAD, True) == Succeeded("c-8")  # not there: sent
        mocked.get(SEARCH, status=503, payload={"message": "busy"})
        assert isinstance(await writer.send(PAYLOAD, True), Retry)  # unknown yet: never sent blind
