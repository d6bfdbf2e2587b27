"""Rampwin as a source: its list endpoint, ``POST /api/contacts/v3/page`` (page + pageSize, ``totalPages``), a
REST declaration (``rest.py``) with its hook for the shared columns.
(Rampwin as the sink, the create/upsert writer, is ``rampwin_write.py``.)"""

from __future__ import annotations

import math
from functools import partial
from typing import Any, Literal

from pydantic import SecretStr, field_validator

from bulkcontacts.config.base import Strict
from bulkcontacts.config.sources import Given, ProviderSource
from bulkcontacts.contacts.columns import shared_columns
from bulkcontacts.providers.auth import StaticToken
from bulkcontacts.providers.base import Provider, Record
from bulkcontacts.providers.rest import BuiltIn, RestList, RestSource


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


def rampwin_list(source: RampwinSource, since: str | None = None) -> RestList:
    """``POST /api/contacts/v3/page`` as a declaration: the page number in the body from 1,
    ``pageCountRequired: "yes"`` so that every page carries ``totalPages``, the contacts at ``data.contacts``
    (an answer without them, ``success: false``, is asked for again). The maximum ``pageSize`` is undocumented
    (inferred: 100, configurable). ``since``: only records updated after it, oldest first."""
    body: dict[str, Any] = {
        "pageSize": source.page_size,
        "integrationId": source.integration_id,
        "pageCountRequired": "yes",
        "showOnlyUsers": source.show_only_users,
        "contactQueryType": [],
        "fitlers": _filters(source, since),
    }
    if source.sort or since:
        body["sortFilter"] = [{"field": "updatedAt", "order": source.sort or "asc"}]
    paging = {"type": "page_number", "base_page": 1, "page_body_path": "page", "total_path": "data.totalPages"}
    declared = RestSource.model_validate(
        {
            "type": "rest",
            "base_url": source.base_url,
            "path": "/api/contacts/v3/page",
            "method": "POST",
            "json": body,
            "paginator": {**paging, "stop_after_short_page": True},
            "page_size": source.page_size,
            "data_selector": "data.contacts",
            "id_field": "_id",
            "updated_field": "updatedAt",
        }
    )
    return RestList(declared, built_in=BuiltIn("rampwin", partial(normalize, region=source.phone_region)))


def _filters(source: RampwinSource, since: str | None) -> list[list[dict[str, Any]]]:
    """The source's ``fitlers`` groups, each also requiring ``updatedAt`` after ``since`` when given."""
    groups = [[condition.model_dump() for condition in group] for group in source.filters]
    if since is None:
        return groups
    newer = {"field_name": "updatedAt", "operator": "greater_than", "field_value": since}
    return [group + [newer] for group in groups] or [[newer]]


def normalize(record: Record, region: str) -> Record:
    return shared_columns(
        "rampwin",
        record.get("_id"),
        record.get("phone_number"),
        full_name=record.get("full_name"),
        first_name=record.get("first_name"),
        last_name=record.get("last_name"),
        email=record.get("email"),
        created_at=record.get("createdAt"),
        updated_at=record.get("updatedAt"),
        region=region,
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
    list_api=rampwin_list,
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
