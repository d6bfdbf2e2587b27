"""Rampwin's write endpoints as a pool handler: create (``POST /api/contacts?integration_id=ID``) or upsert
(``POST /api/contacts/insertOrUpdate?channel_id=ID``; fields sent overwrite, fields omitted stay)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp
from multidict import CIMultiDict
from yarl import URL

from bulkcontacts.config.sinks import RampwinSink
from bulkcontacts.engine.attempts import Attempt, Refused, Retry, Succeeded
from bulkcontacts.providers.auth import JSON_HEADERS
from bulkcontacts.providers.http import (
    classify_failure,
    json_bytes,
    parse_json,
    transport_failure,
    window_full,
)
from bulkcontacts.providers.rampwin_lookup import ChannelLookup, LookupFailed

CREATE_PATH = "/api/contacts"
UPSERT_PATH = "/api/contacts/insertOrUpdate"


def upsert_body(payload: dict[str, Any]) -> dict[str, Any]:
    """The create payload in the upsert's shape: the phone as a "+digits" string, the channel in the query."""
    body = {key: value for key, value in payload.items() if key != "integration_id"}
    body["phone_number"] = f"+{payload['phone_number']}"
    return body


def rampwin_headers(sink: RampwinSink) -> dict[str, str]:
    """What every create or upsert request sends: the key, and that the body is JSON."""
    return {"x-api-key": sink.api_key.get_secret_value(), **JSON_HEADERS}


@dataclass(frozen=True, slots=True)
class InDoubtCreated:
    """A row whose create answer was lost, settled as created: ``found`` by a look-up (with its real id), or
    ``assumed`` from a duplicate answer (no token to look it up; the id is unknown)."""

    contact_id: str | None
    how: str  # "found" | "assumed"


class RampwinWriter:
    """Sends one create (or upsert) request per payload and says what came of it. With ``lookup``, a row that
    may already exist (an earlier attempt's answer was lost) is looked up before it is sent again."""

    def __init__(self, sink: RampwinSink, session: aiohttp.ClientSession, lookup: ChannelLookup | None = None) -> None:
        self.session = session
        self.lookup = None if sink.mode == "upsert" else lookup  # an upsert never collides with itself
        self.upsert = sink.mode == "upsert"
        base = sink.base_url.rstrip("/")
        # Built once: given a query per request, aiohttp builds the URL anew each time (2% of the send phase).
        self.url = URL(base + (UPSERT_PATH if self.upsert else CREATE_PATH)).extend_query(
            {"channel_id" if self.upsert else "integration_id": sink.integration_id}
        )
        # None where the session carries them (``session_headers``); else a CIMultiDict, as aiohttp would make
        # of a dict at every request.
        own = rampwin_headers(sink)
        given = all(session.headers.get(name) == value for name, value in own.items())
        self.headers = None if given else CIMultiDict(own)

    async def send(self, payload: dict[str, Any], maybe_applied: bool) -> Attempt:
        """One attempt. ``maybe_applied``: an earlier attempt may have created it (its answer was lost)."""
        if maybe_applied and self.lookup is not None:
            try:
                found = await self.lookup.find(str(payload["phone_number"]))
            except LookupFailed as error:
                return error.attempt
            if found is not None:
                return Succeeded(InDoubtCreated(found, "found"))
            maybe_applied = False  # not in the channel: a 400 now is about the row itself
        body = upsert_body(payload) if self.upsert else payload
        try:
            sent = json_bytes(body)  # the headers say JSON
            # Awaited, not entered: ``async with`` adds a level of awaits (paid at each resumption of the
            # request) and two coroutines more; ``release`` is what its exit does, less waiting for the body's
            # writer, which ``release`` cancels or lets finish before the connection is reused either way.
            response = await self.session.post(self.url, data=sent, headers=self.headers)
            try:
                raw = await response.read()
            finally:
                response.release()
            status, headers = response.status, response.headers
        except (TimeoutError, aiohttp.ClientError) as error:
            return transport_failure(error)
        answer, is_json = parse_json(raw)
        if 200 <= status < 300:
            if not is_json:
                return Retry(f"HTTP {status} with a body that is not JSON: {answer!r}", status)
            if not isinstance(answer, dict) or answer.get("success") is not True:
                return Retry(f"HTTP {status} but the body does not say success: {str(answer)[:200]}", status)
            data = answer.get("data")
            contact_id = data.get("_id") if isinstance(data, dict) else None
            return Succeeded(contact_id, near_limit=window_full(headers))
        failure = classify_failure(status, answer, headers, provider="Rampwin", credential_hint="[sink] api_key")
        if isinstance(failure, Refused) and status in (400, 409) and maybe_applied and not self.upsert:
            # Rampwin answers "Validation error or duplicate contact" for both; this row was sent before
            # and its answer lost, and there is no token to look it up: the duplicate is taken for our own
            # earlier create. (An upsert never collides.)
            return Succeeded(InDoubtCreated(None, "assumed"))
        return failure
