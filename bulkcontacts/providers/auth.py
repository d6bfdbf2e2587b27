"""The two ways most providers authenticate: a fixed token, or email + password logged in for a token (and
again when it expires). A provider with another scheme (Kore.ai's signed JWT) brings its own ``Auth``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiohttp
from pydantic import SecretStr

from bulkcontacts.config.sources import LoginCredentials
from bulkcontacts.providers.base import LoginFailed, LoginUnavailable
from bulkcontacts.providers.http import TRANSIENT_STATUSES, read_json, server_text

JSON_HEADERS = {"accept": "application/json, text/plain, */*", "content-type": "application/json;charset=UTF-8"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **JSON_HEADERS}


class StaticToken:
    """One token from the spec; a 401 means the user must give a fresh one."""

    can_refresh = False

    def __init__(self, token: SecretStr, refused: str) -> None:
        self._token = token
        self._refused = refused  # what to tell the user when the token is refused

    async def token(self, session: aiohttp.ClientSession, base_url: str, *, first: bool) -> str:
        if not first:
            raise LoginFailed(self._refused)
        return self._token.get_secret_value()

    def headers(self, token: str) -> dict[str, str]:
        return bearer(token)


class EmailLogin:
    """A ready ``token``, or ``email`` + ``password`` posted to ``path`` for one (and again after a 401)."""

    def __init__(
        self, source: LoginCredentials, title: str, path: str, token_from: Callable[[Any], str | None]
    ) -> None:
        self.source = source
        self.title = title
        self.path = path
        self.token_from = token_from  # the token in the login's 200 answer

    @property
    def can_refresh(self) -> bool:
        return self.source.email is not None and self.source.password is not None

    async def token(self, session: aiohttp.ClientSession, base_url: str, *, first: bool) -> str:
        source = self.source
        if source.token is not None and first:
            return source.token.get_secret_value()
        if source.email is None or source.password is None:
            raise LoginFailed(f"{self.title} refused the token and no email/password are given to log in")
        return await self._login(session, base_url, source.email, source.password.get_secret_value())

    async def _login(self, session: aiohttp.ClientSession, base_url: str, email: str, password: str) -> str:
        try:
            async with session.post(
                base_url + self.path, json={"email": email, "password": password}, headers=JSON_HEADERS
            ) as response:
                body, _ = await read_json(response)
                status = response.status
        except (TimeoutError, aiohttp.ClientError) as error:
            raise LoginUnavailable(f"login to {self.title} failed: {type(error).__name__}") from None
        token = self.token_from(body) if status == 200 else None
        if token:
            return str(token)
        said = server_text(body) or "no message"
        if status in TRANSIENT_STATUSES or status >= 500:
            raise LoginUnavailable(f"login to {self.title} answered HTTP {status}: {said}")
        # Any other answer is a refusal of what was sent: logging in again with it cannot help.
        raise LoginFailed(f"{self.title} refused the login (HTTP {status}: {said}); check [source] email and password")

    def headers(self, token: str) -> dict[str, str]:
        return bearer(token)
