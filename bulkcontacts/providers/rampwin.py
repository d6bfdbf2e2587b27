"""Rampwin as a source: its list endpoint, ``POST /api/contacts/v3/page`` (page + pageSize, ``totalPages``).
(Rampwin as the sink, the create/upsert writer, is ``rampwin_write.py``.)"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import SecretStr, field_validator

from bulkcontacts.config.base import Strict
from bulkcontacts.config.sources import Given, ProviderSource
from bulkcontacts.contacts.columns import shared_columns
from bulkcontacts.providers.auth import StaticToken
from bulkcontacts.providers.base import HttpRequest, PageError, PageResult, Provider, Record


class RampwinCondition(Strict):
    """One condition of a Rampwin ``fitlers`` group: ``{field_name, operator, field_value}``."""

    field_name: Given
    operator: Given  # "equals", "contains", ... (the list is not documented in full)
    field_value: str | int | float | bool

    @field_validator("field_value")
    @classmethod
    def _json_number(cls, value: str | int | float | bool) -> str | int | float | bool:
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{value!r} is not a number JSON can carry: give a finite number, or text in quotes")
        return value


class RampwinSource(ProviderSource):
    type: Literal["rampwin"]
    base_url: str = "https://api.rampwin.com"
    token: SecretStr
    integration_id: Given
    show_only_users: bool = False
    # Sent as "fitlers", the API's spelling: groups of conditions, each group all-of.
    filters: list[list[RampwinCondition]] = []
    sort: Literal["asc", "desc"] | None = None  # sortFilter on updatedAt


class RampwinList:
    """Pages are numbered from 1; ``pageCountRequired: "yes"`` makes every page carry ``totalPages``.
    The maximum ``pageSize`` is undocumented (inferred: 100, configurable)."""

    provider = "rampwin"
    random_access = True  # numbered pages
    id_field = "_id"
    updated_field = "updatedAt"

    def __init__(self, source: RampwinSource, since: str | None = None) -> None:
        self.source = source
        self.page_size = source.page_size
        self.since = since  # incremental: only records updated after this

    def request(self, index: int, after: str | None = None) -> HttpRequest:
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

    def parse(self, body: Any, headers: Mapping[str, str] | None = None) -> PageResult:
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


BOOKKEEPING = ["_id", "is_user", "createdAt", "updatedAt", "integration_id", "channel_id"]


def flatten(record: Record) -> Record:
    phone = record.get("phone_number")
    if isinstance(phone, (str, int)) and str(phone).isdigit():
        record = {**record, "phone_number": f"+{phone}"}  # stored with its country code, without the "+"
    return record


PROVIDER = Provider(
    name="rampwin",
    title="Rampwin",
    source_model=RampwinSource,
    list_api=RampwinList,
    auth=lambda source: StaticToken(source.token, "Rampwin refused the token; set a fresh [source] token"),
    # Rampwin → Rampwin keeps every attribute and tag; only the source channel's bookkeeping stays behind.
    default_mapping={
        "phone_number": "phone_number",
        "full_name": "full_name",
        "tags": {"column": "tags"},
        "custom_attributes": "rest",
        "ignore": BOOKKEEPING,
    },
    flatten=flatten,
    emulator_scope=lambda source: source.integration_id,
)
