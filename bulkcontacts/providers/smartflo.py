"""Tata Smartflo's ``GET /v1/contacts`` (page + limit, no total: the last page is short or empty)."""

from __future__ import annotations

from typing import Any

from bulkcontacts.config.spec import SmartfloSource
from bulkcontacts.contacts.columns import shared_columns
from bulkcontacts.providers.base import HttpRequest, PageError, PageResult


class SmartfloList:
    """``size`` is the number of rows on this page; the last page has ``size == 0`` or ``size < limit``.
    ``updated_after``'s format is undocumented: ISO 8601 is sent."""

    provider = "smartflo"
    id_field = "id"
    updated_field = "updated_at"
    login_path = "/v1/auth/login"

    def __init__(self, source: SmartfloSource, since: str | None = None) -> None:
        self.source = source
        self.page_size = source.page_size
        self.since = since

    def request(self, index: int) -> HttpRequest:
        params = {"page": str(index + 1), "limit": str(self.page_size)}
        if self.source.contact_group_id is not None:
            params["contact_group_id"] = self.source.contact_group_id
        updated_after = self.since or self.source.updated_after
        if updated_after is not None:
            params["updated_after"] = updated_after
        return HttpRequest("GET", "/v1/contacts", params=params)

    def parse(self, body: Any) -> PageResult:
        if not isinstance(body, dict) or not isinstance(body.get("results"), list):
            raise PageError("a Smartflo page has results")
        return PageResult(body["results"])

    def is_last(self, index: int, page: PageResult) -> bool:
        return len(page.records) < self.page_size

    @staticmethod
    def token_from_login(body: Any) -> str | None:
        return body.get("access_token") if isinstance(body, dict) else None

    def normalize(self, record: dict[str, Any]) -> dict[str, Any]:
        return shared_columns(
            self.provider,
            record.get("id"),
            record.get("phone_number"),
            full_name=record.get("name"),
            email=record.get("email_id"),
            created_at=record.get("created_at"),
            updated_at=record.get("updated_at"),
            region=self.source.phone_region,
        )
