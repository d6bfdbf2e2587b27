"""One page request at a time, authenticated, classified into what the pool must do.

``Credentials`` holds the headers for a provider, logs in when the spec gives email + password (Tether,
Smartflo) or signs a JWT from client id + secret (Kore.ai), and does so again when a 401 says the token
expired. ``PageFetcher.fetch`` is the pool's attempt function for exports.
"""

from __future__ import annotations

import asyncio

import aiohttp

from bulkcontacts.config.spec import (
    KoreSource,
    LoginCredentials,
    ProviderSource,
    RampwinSource,
    SmartfloSource,
    TetherSource,
)
from bulkcontacts.engine.pool import Attempt, Fatal, Retry, Succeeded
from bulkcontacts.providers.base import ListApi, PageError
from bulkcontacts.providers.http import classify_failure, read_json, transport_failure
from bulkcontacts.providers.kore import KoreList, sign_jwt
from bulkcontacts.providers.rampwin import RampwinList
from bulkcontacts.providers.smartflo import SmartfloList
from bulkcontacts.providers.tether import TetherList

JSON_HEADERS = {"accept": "application/json, text/plain, */*", "content-type": "application/json;charset=UTF-8"}


def list_api(source: ProviderSource, since: str | None = None) -> ListApi:
    """The list endpoint for a provider source (``since``: incremental high-water mark)."""
    if isinstance(source, RampwinSource):
        return RampwinList(source, since)
    if isinstance(source, TetherSource):
        return TetherList(source, since)
    if isinstance(source, KoreSource):
        return KoreList(source, since)
    if isinstance(source, SmartfloSource):
        return SmartfloList(source, since)
    raise TypeError(f"no list API for {type(source).__name__}")


class Credentials:
    """Authentication headers for one provider source; re-authenticates after a 401 when it can."""

    def __init__(self, source: ProviderSource, api: ListApi, session: aiohttp.ClientSession) -> None:
        self.source = source
        self.api = api
        self.session = session
        self.base_url = source.base_url.rstrip("/")
        self._token: str | None = None
        self._lock = asyncio.Lock()
        self.generation = 0  # bumped on every new token

    @property
    def can_refresh(self) -> bool:
        source = self.source
        if isinstance(source, LoginCredentials):
            return source.email is not None and source.password is not None
        return isinstance(source, KoreSource) and source.client_secret is not None

    async def headers(self) -> dict[str, str]:
        if self._token is None:
            await self.refresh(self.generation)
        assert self._token is not None
        source = self.source
        if isinstance(source, KoreSource):
            return {
                "auth": self._token,
                "iid": source.iid,
                "accountId": source.account_id,
                "accept": "application/json",
            }
        return {"Authorization": f"Bearer {self._token}", **JSON_HEADERS}

    async def refresh(self, seen_generation: int) -> None:
        """Get a token (again). Several workers may see one 401: only the first logs in."""
        async with self._lock:
            if self.generation != seen_generation and self._token is not None:
                return
            self._token = await self._new_token()
            self.generation += 1

    async def _new_token(self) -> str:
        source = self.source
        if isinstance(source, KoreSource):
            if source.jwt is not None and self._token is None:
                return source.jwt.get_secret_value()
            if source.client_id is not None and source.client_secret is not None:
                return sign_jwt(source.client_id, source.client_secret.get_secret_value())
            raise LoginFailed("the Kore.ai JWT was refused and no client_id/client_secret are given to sign a new one")
        if isinstance(source, RampwinSource):
            if self._token is None:
                return source.token.get_secret_value()
            raise LoginFailed("Rampwin refused the token; set a fresh [source] token")
        assert isinstance(source, LoginCredentials)
        if source.token is not None and self._token is None:
            return source.token.get_secret_value()
        if source.email is None or source.password is None:
            raise LoginFailed(f"{self.api.provider} refused the token and no email/password are given to log in")
        return await self._login(source.email, source.password.get_secret_value())

    async def _login(self, email: str, password: str) -> str:
        path = self.api.login_path
        if path is None:
            raise LoginFailed(f"{self.api.provider} has no login endpoint; give a token")
        try:
            async with self.session.post(
                self.base_url + path, json={"email": email, "password": password}, headers=JSON_HEADERS
            ) as response:
                body, _ = await read_json(response)
                status = response.status
        except (TimeoutError, aiohttp.ClientError) as error:
            raise LoginUnavailable(f"login to {self.api.provider} failed: {type(error).__name__}") from None
        token = self.api.token_from_login(body) if status == 200 else None  # type: ignore[attr-defined]
        if status in (401, 403) or (status == 200 and not token):
            raise LoginFailed(f"{self.api.provider} refused the login for [source] email (HTTP {status})")
        if not token:
            raise LoginUnavailable(f"login to {self.api.provider} answered HTTP {status}")
        return str(token)


class LoginFailed(Exception):
    """The provider will not give a token for these credentials."""


class LoginUnavailable(Exception):
    """The login endpoint could not be reached or failed transiently."""


class PageFetcher:
    """The pool's attempt function for one page of an export."""

    def __init__(self, api: ListApi, credentials: Credentials, session: aiohttp.ClientSession) -> None:
        self.api = api
        self.credentials = credentials
        self.session = session

    async def fetch(self, index: int) -> Attempt:  # noqa: C901 - branchy; issue 12 splits it
        request = self.api.request(index)
        try:
            headers = await self.credentials.headers()
        except LoginFailed as error:
            return Fatal(str(error))
        except LoginUnavailable as error:
            return Retry(str(error), maybe_applied=False)
        generation = self.credentials.generation  # the token these headers carry
        url = self.credentials.base_url + request.path
        try:
            async with self.session.request(
                request.method, url, params=request.params, json=request.json, headers=headers
            ) as response:
                body, is_json = await read_json(response)
                status = response.status
                response_headers = response.headers
        except (TimeoutError, aiohttp.ClientError) as error:
            failure = transport_failure(error)
            return Retry(failure.reason, maybe_applied=False)
        if status == 200:
            if not is_json:
                return Retry(
                    f"page {index + 1}: HTTP 200 with a body that is not JSON: {body!r}", 200, maybe_applied=False
                )
            try:
                return Succeeded(self.api.parse(body))
            except PageError as error:
                return Retry(
                    f"page {index + 1}: unexpected answer ({error}): {str(body)[:200]}", 200, maybe_applied=False
                )
        if status == 401 and self.credentials.can_refresh:
            try:
                await self.credentials.refresh(generation)
            except LoginFailed as error:
                return Fatal(str(error), 401)
            except LoginUnavailable as error:
                return Retry(str(error), 401, maybe_applied=False)
            return Retry("token expired; logged in again", 401, retry_after=0.0, maybe_applied=False)
        classified = classify_failure(
            status, body, response_headers, provider=self.api.provider, credential_hint="the [source] credentials"
        )
        if isinstance(classified, Retry):
            return Retry(
                classified.reason, classified.status, classified.retry_after, classified.throttled, maybe_applied=False
            )
        if not isinstance(classified, Fatal):  # any other 4xx: the request itself is wrong, and stays wrong
            return Fatal(
                f"{self.api.provider} refused page {index + 1} (HTTP {status}: {classified.reason}); the "
                "request is shaped by the [source] table: check its filters and ids",
                status,
            )
        return classified
