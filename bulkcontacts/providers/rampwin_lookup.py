"""Settling in-doubt rows: is this phone already in the channel, and under which id?

A create whose answer was lost (a connection dropped after the server committed it, or a crash while the row
was under the lease) may or may not exist. Rampwin's create answers one 400 for both "invalid" and
"duplicate", so re-sending cannot tell. With the list endpoint's JWT (``[sink] token``) the row is looked up
first through ``POST /api/contacts/v3/page`` with a ``fitlers`` condition on ``phone_number``: found, it is
created (with the id the server gave it); not found, it is sent, and a 400 is then a real rejection.

Look-ups are batched: the phones waiting at one moment go in one request, one ``fitlers`` group per phone
(groups are alternatives, as the emulator serves them: *inferred* for the real API, so ``[sink]
lookup_batch = 1`` sends one phone per request), and each request takes a turn of the job's pacer, so
look-ups spend the same rate budget as creates.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from bulkcontacts.config.sinks import RampwinSink
from bulkcontacts.engine.attempts import Fatal, Retry
from bulkcontacts.engine.pacing import Pacer
from bulkcontacts.providers.http import classify_failure, read_json, transport_failure

LIST_PATH = "/api/contacts/v3/page"
GATHER_SECONDS = 0.005  # how long the first look-up waits for others to join its request


class LookupFailed(Exception):
    """The look-up got no usable answer; ``attempt`` says what the pool should do about the row."""

    def __init__(self, attempt: Retry | Fatal) -> None:
        super().__init__(attempt.reason)
        self.attempt = attempt


class ChannelLookup:
    """Finds contacts of the sink's channel by phone, several phones per paced request."""

    def __init__(self, sink: RampwinSink, session: aiohttp.ClientSession, pacer: Pacer) -> None:
        assert sink.token is not None
        self.session = session
        self.pacer = pacer
        self.integration_id = sink.integration_id
        self.batch = min(sink.lookup_batch, sink.page_size)
        self.url = sink.base_url.rstrip("/") + LIST_PATH
        self.headers = {
            "Authorization": f"Bearer {sink.token.get_secret_value()}",
            "accept": "application/json, text/plain, */*",
            "content-type": "application/json;charset=UTF-8",
        }
        self._waiting: dict[str, list[asyncio.Future[str | None]]] = {}
        self._flusher: asyncio.Task[None] | None = None
        self.requests = 0

    async def find(self, phone: str) -> str | None:
        """The contact id of ``phone`` (digits with country code) in the channel, or None when it is not
        there. Raises ``LookupFailed``."""
        future: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(phone, []).append(future)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush())
        return await future

    async def _flush(self) -> None:
        await asyncio.sleep(GATHER_SECONDS)
        while self._waiting:
            phones = list(self._waiting)[: self.batch]
            waiting = {phone: self._waiting.pop(phone) for phone in phones}
            try:
                await self.pacer.wait_turn()
                found = await self._query(phones)
            except LookupFailed as error:
                for futures in waiting.values():
                    for future in futures:
                        if not future.done():
                            future.set_exception(LookupFailed(error.attempt))
                continue
            for phone, futures in waiting.items():
                for future in futures:
                    if not future.done():
                        future.set_result(found.get(phone))

    async def _query(self, phones: list[str]) -> dict[str, str]:
        body = {
            "page": 1,
            "pageSize": len(phones),
            "integrationId": self.integration_id,
            "showOnlyUsers": False,
            "contactQueryType": [],
            "fitlers": [
                [{"field_name": "phone_number", "operator": "equals", "field_value": phone}] for phone in phones
            ],
        }
        self.requests += 1
        try:
            async with self.session.post(self.url, json=body, headers=self.headers) as response:
                answer, is_json = await read_json(response)
                status, headers = response.status, response.headers
        except (TimeoutError, aiohttp.ClientError) as error:
            raise LookupFailed(transport_failure(error)) from None
        if status == 200 and is_json:
            return _contacts_by_phone(answer)
        if status == 200:
            raise LookupFailed(Retry(f"look-up: HTTP 200 with a body that is not JSON: {answer!r}", 200))
        failure = classify_failure(
            status, answer, headers, provider="Rampwin's list endpoint", credential_hint="[sink] token"
        )
        if isinstance(failure, Retry | Fatal):
            raise LookupFailed(failure)
        raise LookupFailed(
            Fatal(
                f"Rampwin's list endpoint refused the look-up (HTTP {status}: {failure.reason});"
                " set [sink] lookup_batch = 1 if it does not take several fitlers groups",
                status,
            )
        )


def _contacts_by_phone(answer: Any) -> dict[str, str]:
    data = answer.get("data") if isinstance(answer, dict) and answer.get("success") is True else None
    contacts = data.get("contacts") if isinstance(data, dict) else None
    if not isinstance(contacts, list):
        raise LookupFailed(Retry(f"look-up: unexpected answer: {str(answer)[:200]}", 200))
    return {
        str(contact.get("phone_number", "")).lstrip("+"): str(contact.get("_id", ""))
        for contact in contacts
        if isinstance(contact, dict)
    }
