"""``[sink] type = "rest"`` as a pool handler: one request per row, its body rendered from the spec's template.

The body is rendered by ``contacts/templates.py``.

What came of a request: a ``success_status`` (and ``success_path`` = ``success_value`` when given) is
created, with the id at ``id_path``; a ``duplicate_status`` means the contact is there already (recorded so,
or as our own earlier create when an answer was lost); another 2xx stops the run (the spec does not say
what it means); anything else is classified as every API's answer is (``http.classify_failure``). A row
that may exist already (its answer was lost) is looked up first when ``[sink] lookup`` says how.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp
from yarl import URL

from bulkcontacts.config.placeholders import render, text
from bulkcontacts.config.sinks import RestSink
from bulkcontacts.contacts.templates import render_body
from bulkcontacts.engine.attempts import Attempt, Fatal, Refused, Retry, Succeeded
from bulkcontacts.engine.pacing import Pacer
from bulkcontacts.providers.base import PageRefused
from bulkcontacts.providers.http import classify_failure, json_bytes, read_json, transport_failure, window_full
from bulkcontacts.providers.paginators import at
from bulkcontacts.providers.rampwin_lookup import LookupFailed
from bulkcontacts.providers.rampwin_write import InDoubtCreated
from bulkcontacts.providers.rest import RestAuth, query_key, the_list


@dataclass(frozen=True, slots=True)
class AlreadyThere:
    """A ``duplicate_status`` answer to a row sent for the first time: the contact existed before this job."""


class RestRequests:
    """What every request to the sink API carries: its origin, the auth headers, a query-string key."""

    def __init__(self, sink: RestSink, session: aiohttp.ClientSession) -> None:
        self.session = session
        self.base = sink.base_url.rstrip("/")
        self.headers = {**RestAuth(sink.auth, sink.headers).headers(""), "content-type": "application/json"}
        self.secret = query_key(sink.auth) or {}

    def failure(self, status: int, answer: Any, headers: Any) -> Refused | Retry | Fatal:
        return classify_failure(status, answer, headers, provider="the [sink] API", credential_hint="[sink] auth")


class RestFinder:
    """``[sink] lookup``: whether a phone's contact is in the sink API already, and its id (one paced request
    a phone)."""

    def __init__(self, sink: RestSink, requests: RestRequests, pacer: Pacer) -> None:
        assert sink.lookup is not None
        self.lookup, self.requests, self.pacer = sink.lookup, requests, pacer
        self.url = requests.base + sink.lookup.path

    async def find(self, phone: str) -> str | None:
        """The contact id of ``phone`` (digits with country code), or None when it is not there. Raises
        ``LookupFailed``."""
        fields = {"phone_number": phone, "phone_e164": f"+{phone}"}
        params = {key: text(render(value, fields)) for key, value in self.lookup.params.items()}
        await self.pacer.wait_turn()
        try:
            async with self.requests.session.get(
                self.url, params={**params, **self.requests.secret}, headers=self.requests.headers
            ) as response:
                answer, is_json = await read_json(response)
                status, headers = response.status, response.headers
        except (TimeoutError, aiohttp.ClientError) as error:
            raise LookupFailed(transport_failure(error)) from None
        if status != 200 or not is_json:
            failure = self.requests.failure(status, answer, headers) if status != 200 else None
            if isinstance(failure, Retry | Fatal):
                raise LookupFailed(failure)
            raise LookupFailed(Fatal(f"[sink] lookup answered HTTP {status}: {str(answer)[:200]}", status))
        return self._found(answer)

    def _found(self, answer: Any) -> str | None:
        selector = self.lookup.data_selector
        try:
            found = at(answer, selector) if selector is not None else the_list(answer)
        except PageRefused as error:
            raise LookupFailed(Fatal(f"[sink] lookup: {error}")) from None
        if not isinstance(found, list):
            raise LookupFailed(Fatal("[sink] lookup: the answer holds no list of contacts; set lookup.data_selector"))
        if not found:
            return None
        first = found[0]
        value = first.get(self.lookup.id_field) if isinstance(first, dict) else None
        return "" if value is None else str(value)


class RestWriter:
    """Sends one request per payload and says what came of it; with ``finder``, a row that may exist already
    is looked up before it is sent again."""

    def __init__(self, sink: RestSink, requests: RestRequests, finder: RestFinder | None) -> None:
        self.sink, self.requests, self.finder = sink, requests, finder
        # Built once: given a query per request, aiohttp builds the URL anew each time.
        self.url = URL(requests.base + sink.path).extend_query(
            {key: text(value) for key, value in sink.params.items()} | requests.secret
        )

    async def send(self, payload: dict[str, Any], maybe_applied: bool) -> Attempt:
        """One attempt. ``maybe_applied``: an earlier attempt may have created it (its answer was lost)."""
        if maybe_applied and self.finder is not None:
            try:
                found = await self.finder.find(str(payload["phone_number"]))
            except LookupFailed as error:
                return error.attempt
            if found is not None:
                return Succeeded(InDoubtCreated(found or None, "found"))
            maybe_applied = False  # not there: a duplicate answer now is someone else's contact
        body = render_body(self.sink, payload)
        try:
            async with self.requests.session.request(
                self.sink.method, self.url, data=json_bytes(body), headers=self.requests.headers
            ) as response:
                answer, is_json = await read_json(response)
                status, headers = response.status, response.headers
        except (TimeoutError, aiohttp.ClientError) as error:
            return transport_failure(error)
        return self._outcome(status, answer, is_json, headers, maybe_applied)

    def _outcome(self, status: int, answer: Any, is_json: bool, headers: Any, maybe_applied: bool) -> Attempt:
        sink = self.sink
        if status in sink.success_status:
            if sink.success_path is not None and at(answer, sink.success_path) != sink.success_value:
                said = at(answer, sink.success_path) if is_json else answer
                return Retry(f"HTTP {status} but {sink.success_path} is {said!r}, not {sink.success_value!r}", status)
            created = at(answer, sink.id_path) if sink.id_path is not None and is_json else None
            return Succeeded(None if created is None else str(created), near_limit=window_full(headers))
        if status in sink.duplicate_status:
            return Succeeded(InDoubtCreated(None, "assumed") if maybe_applied else AlreadyThere())
        if 200 <= status < 300:
            return Fatal(
                f"the [sink] API answered HTTP {status}, which [sink] success_status ({sink.success_status}) does "
                "not list: add it if it means created",
                status,
            )
        return self.requests.failure(status, answer, headers)


def rest_writer(sink: RestSink, session: aiohttp.ClientSession, pacer: Pacer) -> RestWriter:
    requests = RestRequests(sink, session)
    return RestWriter(sink, requests, RestFinder(sink, requests, pacer) if sink.lookup is not None else None)
