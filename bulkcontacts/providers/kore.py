"""Kore.ai's campaign contact list, ``GET …/contactList/{id}/getAllContacts`` (skip + limit, ``hasMore``)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from bulkcontacts.config.spec import KoreSource
from bulkcontacts.contacts.columns import shared_columns
from bulkcontacts.providers.base import HttpRequest, PageError, PageResult


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
    id_field = "_id"
    updated_field = "updatedAt"
    login_path = None

    def __init__(self, source: KoreSource, since: str | None = None) -> None:
        self.source = source
        self.page_size = source.page_size

    def request(self, index: int) -> HttpRequest:
        source = self.source
        path = (
            f"/campaign/api/v2/public/{source.stream_id}/campaign/contactList/{source.contact_list_id}/getAllContacts"
        )
        return HttpRequest(
            "GET",
            path,
            params={"accountId": source.account_id, "skip": str(index * self.page_size), "limit": str(self.page_size)},
        )

    def parse(self, body: Any) -> PageResult:
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
