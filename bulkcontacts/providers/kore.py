"""Kore.ai's campaign contact list, ``GET …/contactList/{id}/getAllContacts`` (skip + limit, ``hasMore``): its list
a declaration (``rest.py``) with its hooks: JWT signing, the paging fields in ``data`` or at the top, the shared
columns."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from functools import partial
from typing import Any, Literal

import aiohttp
from pydantic import Field, SecretStr, field_validator, model_validator

from bulkcontacts.config.sources import Given, PathId, ProviderSource
from bulkcontacts.contacts.columns import shared_columns
from bulkcontacts.providers.base import LoginFailed, PageError, Provider, Record
from bulkcontacts.providers.paginators import Position
from bulkcontacts.providers.rest import BuiltIn, RestList, RestSource

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


def kore_list(source: KoreSource, since: str | None = None) -> RestList:
    """``GET …/contactList/{id}/getAllContacts`` as a declaration: ``skip``/``limit`` offsets (inferred: the
    response echoes them; limit 50 by default, 100 at most), ``accountId`` in the query too, the contacts at
    ``data.results``. ``since`` is always None: Kore.ai cannot filter by update time (KoreSource refuses
    incremental)."""
    path = f"/campaign/api/v2/public/{source.stream_id}/campaign/contactList/{source.contact_list_id}/getAllContacts"
    declared = RestSource.model_validate(
        {
            "type": "rest",
            "base_url": source.base_url,
            "path": path,
            "params": {"accountId": source.account_id},
            "data_selector": "data.results",
            "paginator": {
                "type": "offset",
                "offset_param": "skip",
                "limit": source.page_size,
                "stop_after_short_page": True,  # when the answer has no hasMore
            },
            "id_field": "_id",
            "updated_field": "updatedAt",
        }
    )
    normalize_record = partial(normalize, region=source.phone_region)
    return RestList(declared, built_in=BuiltIn("kore", normalize_record, position=paging_fields))


def paging_fields(body: Any) -> Position:
    """An answer is ``status: success`` (else asked for again); ``hasMore``, ``totalPages`` and
    ``totalResults`` are each read inside ``data`` or at the top (the docs' table and sample differ), each
    optional (a page count only when no record count is given)."""
    if not isinstance(body, dict) or body.get("status") not in ("success", None):
        raise PageError("a Kore.ai page has status: success")
    data = body.get("data")
    fields = {**body, **data} if isinstance(data, dict) else body  # data's own fields first

    def count(name: str) -> int | None:
        value = fields.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    more = fields.get("hasMore")
    total = count("totalResults")
    pages = count("totalPages") if total is None else None
    return Position(total_records=total, total_pages=pages, has_more=more if isinstance(more, bool) else None)


def normalize(record: Record, region: str) -> Record:
    return shared_columns(
        "kore",
        record.get("_id"),
        record.get("phoneNumber"),
        created_at=record.get("createdAt"),
        updated_at=record.get("updatedAt"),
        region=region,
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
    list_api=kore_list,
    auth=SignedJwt,
    # Kore.ai's contact list holds only phone numbers: the number is the contact's name too.
    default_mapping={"phone_number": "phoneNumber", "custom_attributes": "none", "missing_name": "phone"},
    emulator_scope=lambda source: source.contact_list_id,
)
