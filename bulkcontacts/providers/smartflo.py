"""Tata Smartflo's ``GET /v1/contacts`` (page + limit, no total: the last page is short or empty)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field

from bulkcontacts.config.sources import Given, IsoDateTime, LoginCredentials
from bulkcontacts.contacts.columns import shared_columns
from bulkcontacts.providers.auth import EmailLogin
from bulkcontacts.providers.base import HttpRequest, PageError, PageResult, Provider, Record


class SmartfloSource(LoginCredentials):
    type: Literal["smartflo"]
    base_url: str = "https://api-smartflo.tatateleservices.com"
    page_size: int = Field(default=100, ge=1, le=100)
    contact_group_id: Given | None = None
    updated_after: IsoDateTime | None = None


class SmartfloList:
    """``size`` is the number of rows on this page; the last page has ``size == 0`` or ``size < limit``.
    ``updated_after``'s format is undocumented: ISO 8601 is sent."""

    provider = "smartflo"
    random_access = True  # numbered pages
    id_field = "id"
    updated_field = "updated_at"

    def __init__(self, source: SmartfloSource, since: str | None = None) -> None:
        self.source = source
        self.page_size = source.page_size
        self.since = since

    def request(self, index: int, after: str | None = None) -> HttpRequest:
        params = {"page": str(index + 1), "limit": str(self.page_size)}
        if self.source.contact_group_id is not None:
            params["contact_group_id"] = self.source.contact_group_id
        updated_after = self.since or self.source.updated_after
        if updated_after is not None:
            params["updated_after"] = updated_after
        return HttpRequest("GET", "/v1/contacts", params=params)

    def parse(self, body: Any, headers: Mapping[str, str] | None = None) -> PageResult:
        if not isinstance(body, dict) or not isinstance(body.get("results"), list):
            raise PageError("a Smartflo page has results")
        return PageResult(body["results"])

    def is_last(self, index: int, page: PageResult) -> bool:
        return len(page.records) < self.page_size

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


def token_from_login(body: Any) -> str | None:
    return body.get("access_token") if isinstance(body, dict) else None


def flatten(record: Record) -> Record:
    """Custom fields become columns by their own names (``custom_<name>`` where a field has that name)."""
    row = {key: value for key, value in record.items() if key != "custom_fields"}
    for field in record.get("custom_fields") or []:
        if isinstance(field, dict) and field.get("name"):
            name = str(field["name"])
            row[f"custom_{name}" if name in record else name] = field.get("value")
    return row


PROVIDER = Provider(
    name="smartflo",
    title="Smartflo",
    source_model=SmartfloSource,
    list_api=SmartfloList,
    auth=lambda source: EmailLogin(source, "Smartflo", "/v1/auth/login", token_from_login),
    # Custom fields become attributes by their own names; the contact group becomes a tag.
    default_mapping={
        "phone_number": "phone_number",
        "full_name": "name",
        "email": "email_id",
        "company": "company_name",
        "address": "address",
        "tags": {"columns": ["contact_group_name"]},
        "custom_attributes": "rest",
        "reject_when_set": ["deleted_at"],  # soft-deleted in Smartflo
        "ignore": ["id", "contact_group_id", "created_at", "updated_at"],
    },
    flatten=flatten,
)
