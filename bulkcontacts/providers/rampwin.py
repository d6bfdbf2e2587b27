"""Rampwin's list endpoint, ``POST /api/contacts/v3/page`` (page + pageSize, ``totalPages``)."""

from __future__ import annotations

from typing import Any

from bulkcontacts.config.spec import RampwinSource
from bulkcontacts.contacts.columns import shared_columns
from bulkcontacts.providers.base import HttpRequest, PageError, PageResult


class RampwinList:
    """Pages are numbered from 1; ``pageCountRequired: "yes"`` makes every page carry ``totalPages``.
    The maximum ``pageSize`` is undocumented (inferred: 100, configurable)."""

    provider = "rampwin"
    id_field = "_id"
    updated_field = "updatedAt"
    login_path = None

    def __init__(self, source: RampwinSource, since: str | None = None) -> None:
        self.source = source
        self.page_size = source.page_size
        self.since = since  # incremental: only records updated after this

    def request(self, index: int) -> HttpRequest:
        body: dict[str, Any] = {
            "page": index + 1,
            "pageSize": self.page_size,
            "integrationId": self.source.integration_id,
            "pageCountRequired": "yes",
            "showOnlyUsers": self.source.show_only_users,
            "contactQueryType": [],
            "fitlers": self._filters(),
        }
        if self.source.sort or self.since:
            body["sortFilter"] = [{"field": "updatedAt", "order": self.source.sort or "asc"}]
        return HttpRequest("POST", "/api/contacts/v3/page", json=body)

    def _filters(self) -> list[list[dict[str, Any]]]:
        groups = [[condition.model_dump() for condition in group] for group in self.source.filters]
        if self.since is None:
            return groups
        newer = {"field_name": "updatedAt", "operator": "greater_than", "field_value": self.since}
        return [group + [newer] for group in groups] or [[newer]]

    def parse(self, body: Any) -> PageResult:
        data = body.get("data") if isinstance(body, dict) and body.get("success") is True else None
        if not isinstance(data, dict) or not isinstance(data.get("contacts"), list):
            raise PageError("a Rampwin page has success: true and data.contacts")
        total_pages = data.get("totalPages")
        return PageResult(data["contacts"], total_pages=total_pages if isinstance(total_pages, int) else None)

    def is_last(self, index: int, page: PageResult) -> bool:
        return len(page.records) < self.page_size

    def normalize(self, record: dict[str, Any]) -> dict[str, Any]:
        return shared_columns(
            self.provider,
            record.get("_id"),
            record.get("phone_number"),
            full_name=record.get("full_name"),
            first_name=record.get("first_name"),
            last_name=record.get("last_name"),
            email=record.get("email"),
            created_at=record.get("createdAt"),
            updated_at=record.get("updatedAt"),
            region=self.source.phone_region,
        )
