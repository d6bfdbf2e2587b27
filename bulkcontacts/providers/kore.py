"""Kore.ai's campaign contact list, ``GET …/contactList/{id}/getAllContacts`` (skip + limit, ``hasMore``)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Mapping
from typing import Any, Literal

import aiohttp
from pydantic import Field, SecretStr, field_validator, model_validator

from bulkcontacts.config.sources import Given, PathId, ProviderSource
from bulkcontacts.contacts.columns import shared_columns
from bulkcontacts.providers.base import HttpRequest, LoginFailed, PageError, PageResult, Provider

JWT_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


class KoreSource(ProviderSource):
    type: Literal["kore"]
    base_url: str = "https://platform.kore.ai"
    page_size: int = Field(default=50, ge=1, le=100)
    stream_id: PathId  # in the path: an id, nothing that would change the path
    contact_list_id: PathId
    account_id: Given
    iid: Given
    jwt: SecretStr | None = None
    client_id: Given | None = None
    client_secret: SecretStr | None = None

    @field_validator("jwt")
    @classmethod
    def _a_jwt(cls, value: SecretStr | None) -> SecretStr | None:
        """The token itself (three base64url parts): never its header's "Bearer " or another kind of key."""
        if value is None:
            return None
        token = value.get_secret_value()
        if token.lower().startswith("bearer "):
            raise ValueError('give the token itself, without "Bearer " (Kore.ai\'s auth header takes it bare)')
        if not JWT_SHAPE.fullmatch(token):
            raise ValueError(
                "is not a JWT (three base64url parts joined by dots, as Kore.ai's app settings give it); "
                "or give client_id and client_secret and the tool signs its own"
            )
        return value

    @model_validator(mode="after")
    def _credentials(self) -> KoreSource:
        if self.jwt is None and (self.client_id is None or self.client_secret is None):
            raise ValueError('give jwt = "${KORE_JWT}", or client_id and client_secret = "${KORE_CLIENT_SECRET}"')
        if self.mode == "incremental":
            raise ValueError('Kore.ai\'s contact list cannot be filtered by update time: use mode = "full"')
        return self


def sign_jwt(client_id: str, client_secret: str, now: float | None = None) -> str:
    """An HS256 JWT with ``{"sub", "appId"}``, as Kore.ai's docs describe, signed with the client secret."""

    def encode(part: dict[str, Any]) -> bytes:
        return base64.urlsafe_b64encode(json.dumps(part, separators=(",", ":")).encode()).rstrip(b"=")

    issued = int(now if now is not None else time.time())
    signing_input = (
        encode({"alg": "HS256", "typ": "JWT"}) + b"." + encode({"sub": client_id, "appId": client_id, "iat": issued})
    )
    signature = hmac.new(client_secret.encode(), signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")).decode()


class KoreList:
    """``skip``/``limit`` paging (inferred: the response echoes them; limit 50 by default, 100 at most).
    The paging fields (``hasMore``, ``totalPages``, ``totalResults``) are read inside ``data`` or at the top."""

    provider = "kore"
    random_access = True  # numbered pages
    id_field = "_id"
    updated_field = "updatedAt"

    def __init__(self, source: KoreSource, since: str | None = None) -> None:
        # ``since`` is always None: Kore.ai cannot filter by update time, so KoreSource refuses incremental.
        self.source = source
        self.page_size = source.page_size

    def request(self, index: int, after: str | None = None) -> HttpRequest:
        source = self.source
        path = (
            f"/campaign/api/v2/public/{source.stream_id}/campaign/contactList/{source.contact_list_id}/getAllContacts"
        )
        return HttpRequest(
            "GET",
            path,
            params={"accountId": source.account_id, "skip": str(index * self.page_size), "limit": str(self.page_size)},
        )

    def parse(self, body: Any, headers: Mapping[str, str] | None = None) -> PageResult:
        if not isinstance(body, dict) or body.get("status") not in ("success", None):
            raise PageError("a Kore.ai page has status: success")
        data = body.get("data")
        if not isinstance(data, dict) or not isinstance(data.get("results"), list):
            raise PageError("a Kore.ai page has data.results")

        def paging(name: str) -> Any:
            return data.get(name, body.get(name))

        total, pages, more = paging("totalResults"), paging("totalPages"), paging("hasMore")
        return PageResult(
            data["results"],
            total_records=total if isinstance(total, int) else None,
            total_pages=pages if isinstance(pages, int) and not isinstance(total, int) else None,
            has_more=more if isinstance(more, bool) else None,
        )

    def is_last(self, index: int, page: PageResult) -> bool:
        if page.has_more is not None:
            return not page.has_more
        return len(page.records) < self.page_size

    def normalize(self, record: dict[str, Any]) -> dict[str, Any]:
        return shared_columns(
            self.provider,
            record.get("_id"),
            record.get("phoneNumber"),
            created_at=record.get("createdAt"),
            updated_at=record.get("updatedAt"),
            region=self.source.phone_region,
        )


class SignedJwt:
    """The spec's ``jwt``, or one signed from ``client_id`` + ``client_secret`` (and signed again after a 401)."""

    def __init__(self, source: KoreSource) -> None:
        self.source = source

    @property
    def can_refresh(self) -> bool:
        return self.source.client_secret is not None

    async def token(self, session: aiohttp.ClientSession, base_url: str, *, first: bool) -> str:
        source = self.source
        if source.jwt is not None and first:
            return source.jwt.get_secret_value()
        if source.client_id is not None and source.client_secret is not None:
            return sign_jwt(source.client_id, source.client_secret.get_secret_value())
        raise LoginFailed("the Kore.ai JWT was refused and no client_id/client_secret are given to sign a new one")

    def headers(self, token: str) -> dict[str, str]:
        source = self.source
        return {"auth": token, "iid": source.iid, "accountId": source.account_id, "accept": "application/json"}


PROVIDER = Provider(
    name="kore",
    title="Kore.ai",
    source_model=KoreSource,
    list_api=KoreList,
    auth=SignedJwt,
    # Kore.ai's contact list holds only phone numbers: the number is the contact's name too.
    default_mapping={"phone_number": "phoneNumber", "custom_attributes": "none", "missing_name": "phone"},
    emulator_scope=lambda source: source.contact_list_id,
)
