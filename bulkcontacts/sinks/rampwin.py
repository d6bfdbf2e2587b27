"""Rampwin "create contact" (``POST /api/contacts?integration_id=ID``) as a pool handler."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from bulkcontacts.http import (
    classify_failure,
    read_json,
    transport_failure,
    window_full,
)
from bulkcontacts.pool import Attempt, Refused, Retry, Succeeded
from bulkcontacts.spec import RampwinSink

CREATE_PATH = "/api/contacts"


class RampwinCreate:
    """Sends one create request per payload and says what came of it."""

    def __init__(self, sink: RampwinSink, session: aiohttp.ClientSession) -> None:
        self.session = session
        self.url = sink.base_url.rstrip("/") + CREATE_PATH
        self.params = {"integration_id": sink.integration_id}
        self.headers = {
            "x-api-key": sink.api_key.get_secret_value(),
            "accept": "application/json, text/plain, */*",
            "content-type": "application/json;charset=UTF-8",
        }

    async def create(self, payload: dict[str, Any], maybe_applied: bool) -> Attempt:
        """One attempt. ``maybe_applied``: an earlier attempt may have created it (its answer was lost)."""
        try:
            async with self.session.post(self.url, params=self.params, json=payload,
                                         headers=self.headers) as response:
                body, is_json = await read_json(response)
                status = response.status
                headers = response.headers
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            return transport_failure(error)
        if 200 <= status < 300:
            if not is_json:
                return Retry(f"HTTP {status} with a body that is not JSON: {body!r}", status)
            if not isinstance(body, dict) or body.get("success") is not True:
                return Retry(f"HTTP {status} but the body does not say success: {str(body)[:200]}", status)
            data = body.get("data") if isinstance(body.get("data"), dict) else {}
            return Succeeded(data.get("_id"), near_limit=window_full(headers))
        failure = classify_failure(status, body, headers, provider="Rampwin",
                                   credential_hint="[sink] api_key")
        if isinstance(failure, Refused) and status in (400, 409) and maybe_applied:
            # Rampwin answers "Validation error or duplicate contact" for both; this row was sent before
            # and its answer lost, so the duplicate is our own earlier create.
            return Succeeded(None)
        return failure
