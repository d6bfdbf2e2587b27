"""One page request at a time, authenticated, classified into what the pool must do.

``Credentials`` keeps a source's token, got through its provider's ``Auth`` and renewed when a 401 says it
expired. ``PageFetcher.fetch`` is the pool's attempt function for exports.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Any

import aiohttp

from bulkcontacts.engine.attempts import Attempt, Fatal, Retry, RetryNow, Succeeded
from bulkcontacts.providers.base import Auth, ListApi, LoginFailed, LoginUnavailable, PageError, PageRefused
from bulkcontacts.providers.http import classify_failure, read_json, transport_failure


class Credentials:
    """The current token of one source, got through its provider's ``Auth``; renewed once after a 401 however
    many workers saw it."""

    def __init__(self, auth: Auth, base_url: str, session: aiohttp.ClientSession) -> None:
        self.auth = auth
        self.session = session
        self.base_url = base_url.rstrip("/")
        self._token: str | None = None
        self._lock = asyncio.Lock()
        self.generation = 0  # bumped on every new token

    @property
    def can_refresh(self) -> bool:
        return self.auth.can_refresh

    async def headers(self) -> dict[str, str]:
        if self._token is None:
            await self.refresh(self.generation)
        assert self._token is not None
        return self.auth.headers(self._token)

    async def refresh(self, seen_generation: int) -> None:
        """Get a token (again). Several workers may see one 401: only the first logs in."""
        async with self._lock:
            if self.generation != seen_generation and self._token is not None:
                return
            self._token = await self.auth.token(self.session, self.base_url, first=self._token is None)
            self.generation += 1


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    is_json: bool
    headers: Any


class PageFetcher:
    """The pool's attempt function for one page of an export."""

    def __init__(self, api: ListApi, credentials: Credentials, session: aiohttp.ClientSession) -> None:
        self.api = api
        self.credentials = credentials
        self.session = session

    async def fetch(self, index: int, after: str | None = None) -> Attempt:
        """Page ``index`` (``after``: what the page before it said comes next, for a sequential list)."""
        try:
            headers = await self.credentials.headers()
        except LoginFailed as error:
            return Fatal(str(error))
        except LoginUnavailable as error:
            return Retry(str(error), maybe_applied=False)
        generation = self.credentials.generation  # the token these headers carry
        answer = await self._ask(index, after, headers)
        if isinstance(answer, Retry):
            return answer
        if answer.status == 200:
            return self._page(index, answer)
        if answer.status == 401 and self.credentials.can_refresh:
            return await self._renew(generation)
        return self._failure(index, answer)

    async def _ask(self, index: int, after: str | None, headers: dict[str, str]) -> Answer | Retry:
        request = self.api.request(index, after)
        try:
            async with self.session.request(
                request.method,
                request.url or self.credentials.base_url + request.path,
                params=request.params,
                json=request.json,
                headers=headers,
            ) as response:
                body, is_json = await read_json(response)
                return Answer(response.status, body, is_json, response.headers)
        except (TimeoutError, aiohttp.ClientError) as error:
            return Retry(transport_failure(error).reason, maybe_applied=False)

    def _page(self, index: int, answer: Answer) -> Attempt:
        if not answer.is_json:
            return Retry(
                f"page {index + 1}: HTTP 200 with a body that is not JSON: {answer.body!r}", 200, maybe_applied=False
            )
        try:
            return Succeeded(self.api.parse(answer.body, answer.headers))
        except PageRefused as error:
            return Fatal(f"page {index + 1}: {error}", 200)
        except PageError as error:
            return Retry(
                f"page {index + 1}: unexpected answer ({error}): {str(answer.body)[:200]}", 200, maybe_applied=False
            )

    async def _renew(self, generation: int) -> Attempt:
        try:
            await self.credentials.refresh(generation)
        except LoginFailed as error:
            return Fatal(str(error), 401)
        except LoginUnavailable as error:
            return Retry(str(error), 401, maybe_applied=False)
        return RetryNow("token expired; logged in again", 401)

    def _failure(self, index: int, answer: Answer) -> Attempt:
        provider = self.api.provider
        classified = classify_failure(
            answer.status, answer.body, answer.headers, provider=provider, credential_hint="the [source] credentials"
        )
        if isinstance(classified, Retry):  # a page read is never in doubt: asking again changes nothing
            return replace(classified, maybe_applied=False)
        if not isinstance(classified, Fatal):  # any other 4xx: the request itself is wrong, and stays wrong
            return Fatal(
                f"{provider} refused page {index + 1} (HTTP {answer.status}: {classified.reason}); the "
                "request is shaped by the [source] table: check its filters and ids",
                answer.status,
            )
        return classified
