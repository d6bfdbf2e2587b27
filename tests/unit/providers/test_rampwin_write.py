import asyncio
import json
import re

import pytest
from aioresponses import aioresponses
from pydantic import SecretStr
from yarl import URL as URL_OF

from bulkcontacts.config.sinks import RampwinSink
from bulkcontacts.engine.attempts import Fatal, Refused, Retry, Succeeded
from bulkcontacts.engine.pacing import Pacer
from bulkcontacts.providers.http import new_session
from bulkcontacts.providers.rampwin_lookup import ChannelLookup
from bulkcontacts.providers.rampwin_write import InDoubtCreated, RampwinWriter
from bulkcontacts.providers.sinks import session_headers

URL = re.compile(r"^https://api\.rampwin\.com/api/contacts\?integration_id=chan$")
PAYLOAD = {"phone_number": 919876543210, "full_name": "A", "integration_id": "chan"}


@pytest.fixture
async def sink():
    session = new_session(2, 5)
    yield RampwinWriter(RampwinSink(type="rampwin", api_key=SecretStr("k-1"), integration_id="chan"), session)
    await session.close()


async def test_created_keeps_the_id_and_sends_the_documented_headers(sink):
    with aioresponses() as mocked:
        mocked.post(URL, payload={"success": True, "message": "Contact created successfully", "data": {"_id": "abc"}})
        assert await sink.send(PAYLOAD, False) == Succeeded("abc")
        (call,) = [c for calls in mocked.requests.values() for c in calls]
        assert call.kwargs["headers"]["x-api-key"] == "k-1"
        assert call.kwargs["headers"]["content-type"] == "application/json;charset=UTF-8"
        assert json.loads(call.kwargs["data"])["phone_number"] == 919876543210


async def test_headers_its_session_carries_are_not_sent_again_with_each_request():
    sink = RampwinSink(type="rampwin", api_key=SecretStr("k-1"), integration_id="chan")
    session = new_session(2, 5, headers=session_headers(sink))
    try:
        assert RampwinWriter(sink, session).headers is None  # the runner's session: aiohttp adds them
        other = RampwinSink(type="rampwin", api_key=SecretStr("k-2"), integration_id="chan")
        assert RampwinWriter(other, session).headers["x-api-key"] == "k-2"  # never another sink's key
    finally:
        await session.close()


@pytest.mark.parametrize(
    "status, body, expected",
    [
        (200, {"success": False, "message": "x"}, Retry),
        (400, {"success": False, "message": "Validation error or duplicate contact"}, Refused),
        (401, {"success": False, "message": "bad key"}, Fatal),
        (403, {"success": False, "message": "no"}, Fatal),
        (503, {"message": "down"}, Retry),
    ],
)
async def test_answers_are_classified(sink, status, body, expected):
    with aioresponses() as mocked:
        mocked.post(URL, status=status, payload=body)
        result = await sink.send(PAYLOAD, False)
    assert type(result) is expected
    if expected is Refused:
        assert result.reason == "Validation error or duplicate contact" and result.status == 400


async def test_a_body_that_is_not_json_is_not_a_success(sink):
    with aioresponses() as mocked:
        mocked.post(URL, status=200, body="<html>ok</html>")
        assert isinstance(await sink.send(PAYLOAD, False), Retry)


async def test_429_is_throttled_with_retry_after(sink):
    with aioresponses() as mocked:
        mocked.post(URL, status=429, payload={"success": False}, headers={"Retry-After": "7"})
        result = await sink.send(PAYLOAD, False)
    assert result.throttled and result.retry_after == 7


async def test_without_a_token_a_duplicate_after_a_lost_answer_is_assumed_created(sink):
    with aioresponses() as mocked:
        mocked.post(URL, status=400, payload={"success": False, "message": "Validation error or duplicate contact"})
        assert await sink.send(PAYLOAD, True) == Succeeded(InDoubtCreated(None, "assumed"))


LIST_URL = "https://api.rampwin.com/api/contacts/v3/page"


async def lookup_writer(session):
    spec = RampwinSink(type="rampwin", api_key=SecretStr("k-1"), integration_id="chan", token=SecretStr("jwt-1"))
    return RampwinWriter(spec, session, ChannelLookup(spec, session, Pacer(1000)))


async def test_with_a_token_an_in_doubt_row_is_looked_up_and_keeps_its_real_id():
    session = new_session(2, 5)
    try:
        writer = await lookup_writer(session)
        with aioresponses() as mocked:
            mocked.post(
                LIST_URL,
                payload={
                    "success": True,
                    "data": {
                        "contacts": [{"_id": "real-7", "phone_number": "919876543210", "full_name": "A"}],
                        "page": 1,
                        "pageSize": 2,
                    },
                },
            )
            assert await writer.send(PAYLOAD, True) == Succeeded(InDoubtCreated("real-7", "found"))
            (call,) = mocked.requests[("POST", URL_OF(LIST_URL))]
        assert call.kwargs["headers"]["Authorization"] == "Bearer jwt-1"
        assert call.kwargs["json"]["fitlers"] == [
            [{"field_name": "phone_number", "operator": "equals", "field_value": "919876543210"}]
        ]
        assert call.kwargs["json"]["integrationId"] == "chan"
    finally:
        await session.close()


async def test_with_a_token_a_row_not_found_is_sent_and_a_400_is_a_real_rejection():
    session = new_session(2, 5)
    try:
        writer = await lookup_writer(session)
        with aioresponses() as mocked:
            mocked.post(LIST_URL, payload={"success": True, "data": {"contacts": [], "page": 1, "pageSize": 1}})
            mocked.post(URL, status=400, payload={"success": False, "message": "Validation error or duplicate contact"})
            result = await writer.send(PAYLOAD, True)
        assert isinstance(result, Refused) and result.status == 400
    finally:
        await session.close()


async def test_lookups_waiting_together_go_in_one_paced_request():
    session = new_session(8, 5)
    try:
        writer = await lookup_writer(session)
        phones = [919876543210 + index for index in range(5)]
        with aioresponses() as mocked:
            mocked.post(
                LIST_URL,
                payload={
                    "success": True,
                    "data": {"contacts": [{"_id": f"id-{phone}", "phone_number": str(phone)} for phone in phones[:3]]},
                },
            )
            results = await asyncio.gather(*(writer.lookup.find(str(phone)) for phone in phones))
            (call,) = mocked.requests[("POST", URL_OF(LIST_URL))]
        assert results == [f"id-{phone}" for phone in phones[:3]] + [None, None]
        assert len(call.kwargs["json"]["fitlers"]) == 5 and writer.lookup.requests == 1
    finally:
        await session.close()


async def test_a_refused_lookup_token_stops_the_run():
    session = new_session(2, 5)
    try:
        writer = await lookup_writer(session)
        with aioresponses() as mocked:
            mocked.post(LIST_URL, status=401, payload={"success": False, "errors": {"message": "Invalid token"}})
            result = await writer.send(PAYLOAD, True)
        assert isinstance(result, Fatal) and "[sink] token" in result.reason and "Invalid token" in result.reason
    finally:
        await session.close()


async def test_a_dropped_connection_is_retryable_and_maybe_applied(sink):
    import aiohttp

    with aioresponses() as mocked:
        mocked.post(URL, exception=aiohttp.ServerDisconnectedError())
        result = await sink.send(PAYLOAD, False)
    assert isinstance(result, Retry) and result.maybe_applied


UPSERT_URL = re.compile(r"^https://api\.rampwin\.com/api/contacts/insertOrUpdate\?channel_id=chan$")


async def test_upsert_sends_the_phone_as_a_plus_string_and_the_channel_in_the_query():
    session = new_session(2, 5)
    sink = RampwinWriter(
        RampwinSink(type="rampwin", api_key=SecretStr("k-1"), integration_id="chan", mode="upsert"), session
    )
    try:
        with aioresponses() as mocked:
            mocked.post(
                UPSERT_URL,
                payload={"success": True, "message": "Contact inserted or updated successfully", "data": {"_id": "u1"}},
            )
            mocked.post(UPSERT_URL, status=400, payload={"success": False, "message": "Validation error"})
            assert await sink.send({**PAYLOAD, "plan": "gold"}, False) == Succeeded("u1")
            # A 400 is the row's own fault even after a lost answer: an upsert never collides with itself.
            assert isinstance(await sink.send(PAYLOAD, True), Refused)
            (call, _) = [c for calls in mocked.requests.values() for c in calls]
        assert json.loads(call.kwargs["data"]) == {"phone_number": "+919876543210", "full_name": "A", "plan": "gold"}
    finally:
        await session.close()
