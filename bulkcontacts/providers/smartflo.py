"""Tata Smartflo's ``GET /v1/contacts`` (page + limit, no total: the last page is short or empty): its list a
declaration (``rest.py``) with two hooks, its login and its shared columns."""

from __future__ import annotations

from functools import partial
from typing import Any, Literal

from pydantic import Field

from bulkcontacts.config.sources import Given, IsoDateTime, LoginCredentials
from bulkcontacts.contacts.columns import shared_columns
from bulkcontacts.providers.auth import EmailLogin
from bulkcontacts.providers.base import Provider, Record
from bulkcontacts.providers.rest import BuiltIn, RestList, RestSource


class SmartfloSource(LoginCredentials):
    type: Literal["smartflo"]
    base_url: str = "https://api-smartflo.tatateleservices.com"
    page_size: int = Field(default=100, ge=1, le=100)
    contact_group_id: Given | None = None
    updated_after: IsoDateTime | None = None


def smartflo_list(source: SmartfloSource, since: str | None = None) -> RestList:
    """``GET /v1/contacts`` as a declaration: numbered pages from 1, ``limit`` a page, no total — the last page
    is short or empty (``size < limit``). ``updated_after``'s format is undocumented: ISO 8601 is sent."""
    params: dict[str, str | int] = {"limit": source.page_size}
    if source.contact_group_id is not None:
        params["contact_group_id"] = source.contact_group_id
    updated_after = since or source.updated_after
    if updated_after is not None:
        params["updated_after"] = updated_after
    declared = RestSource.model_validate(
        {
            "type": "rest",
            "base_url": source.base_url,
            "path": "/v1/contacts",
            "params": params,
            "data_selector": "results",
            "paginator": {"type": "page_number", "base_page": 1, "stop_after_short_page": True},
            "page_size": source.page_size,
        }
    )
    return RestList(declared, built_in=BuiltIn("smartflo", partial(normalize, region=source.phone_region)))


def normalize(record: Record, region: str) -> Record:
    return shared_columns(
        "smartflo",
        record.get("id"),
        record.get("phone_number"),
        full_name=record.get("name"),
        email=record.get("email_id"),
        created_at=record.get("created_at"),
        updated_at=record.get("updated_at"),
        region=region,
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
    list_api=smartflo_list,
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
