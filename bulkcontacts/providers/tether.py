"""Tether's ``GET /api/contacts`` (page + size, ``total`` in records): its list a declaration (``rest.py``) with
its hooks: the login, the total in records, the shared columns."""

from __future__ import annotations

import json
from functools import partial
from typing import Any, Literal

from pydantic import Field, model_validator

from bulkcontacts.config.base import Strict
from bulkcontacts.config.sources import Given, IsoDateTime, LoginCredentials, instant
from bulkcontacts.contacts.columns import shared_columns
from bulkcontacts.providers.auth import EmailLogin
from bulkcontacts.providers.base import Provider, Record
from bulkcontacts.providers.paginators import Position
from bulkcontacts.providers.rest import BuiltIn, RestList, RestSource


class DateRange(Strict):
    """Tether's ``dateRange`` (on createdAt, inferred): sent as a JSON string."""

    start: IsoDateTime | None = None
    end: IsoDateTime | None = None

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        if self.start is None and self.end is None:
            raise ValueError("give start, end or both")
        if self.start and self.end and instant(self.start) > instant(self.end):
            raise ValueError(f"start {self.start} is after end {self.end}")
        return self


class TetherSource(LoginCredentials):
    type: Literal["tether"]
    page_size: int = Field(default=50, ge=1, le=1000)
    owner_filter: Given = "all"
    status: Given | None = None
    pipeline_id: Given | None = None
    pipeline_stage: Given | None = None
    source: Given | None = None
    lead_source: Given | None = None
    owner: Given | None = None
    assignee: Given | None = None
    message_status: Given | None = None
    date_range: DateRange | None = None  # {start, end} on createdAt (inferred)


FILTERS = {
    "status": "status",
    "pipeline_id": "pipelineId",
    "pipeline_stage": "pipelineStage",
    "source": "source",
    "lead_source": "leadSource",
    "owner": "owner",
    "assignee": "assignee",
    "message_status": "messageStatus",
}


def tether_list(source: TetherSource, since: str | None = None) -> RestList:
    """``GET /api/contacts`` as a declaration: numbered pages from 1, ``size`` a page, the contacts at
    ``data.contacts`` (they come twice in a 200: the top-level copy is not read), the last page short.
    ``dateRange`` is a JSON string ``{"start", "end"}`` on createdAt (inferred), so an incremental run sends
    the newest ``createdAt`` of the last complete run as its start: it picks up contacts created since, not
    older contacts updated since (Tether's list has no update-time filter)."""
    params: dict[str, str | int] = {"size": source.page_size, "ownerFilter": source.owner_filter}
    for key, name in FILTERS.items():
        value = getattr(source, key)
        if value is not None:
            params[name] = value
    date_range = source.date_range.model_dump(exclude_none=True) if source.date_range else {}
    if since is not None:
        date_range["start"] = since
    if date_range:
        params["dateRange"] = json.dumps(date_range)
    declared = RestSource.model_validate(
        {
            "type": "rest",
            "base_url": source.base_url,
            "path": "/api/contacts",
            "params": params,
            "data_selector": "data.contacts",
            "paginator": {"type": "page_number", "base_page": 1, "stop_after_short_page": True},
            "page_size": source.page_size,
            "id_field": "_id",
            "updated_field": "createdAt",  # the high-water mark's field: what dateRange filters on
        }
    )
    normalize_record = partial(normalize, region=source.phone_region)
    return RestList(declared, built_in=BuiltIn("tether", normalize_record, position=record_total))


def record_total(body: Any) -> Position:
    """Tether's ``total`` counts records, not pages (dlt's ``page_number`` reads a page count), and sits in
    ``data`` or at the top; an answer without one is still a page (the short page ends the list)."""
    data = body.get("data") if isinstance(body, dict) else None
    total = data.get("total", body.get("total")) if isinstance(data, dict) else None
    return Position(total_records=total if isinstance(total, int) and not isinstance(total, bool) else None)


def normalize(record: Record, region: str) -> Record:
    return shared_columns(
        "tether",
        record.get("_id"),
        record.get("phoneNumber"),
        first_name=record.get("firstName"),
        last_name=record.get("lastName"),
        email=record.get("email"),
        created_at=record.get("createdAt"),
        updated_at=record.get("updatedAt"),
        region=region,
    )


def token_from_login(body: Any) -> str | None:
    return body.get("token") if isinstance(body, dict) else None


PROVIDER = Provider(
    name="tether",
    title="Tether",
    source_model=TetherSource,
    list_api=tether_list,
    auth=lambda source: EmailLogin(source, "Tether", "/api/auth/login", token_from_login),
    default_mapping={
        "phone_number": "phoneNumber",
        "first_name": "firstName",
        "last_name": "lastName",
        "email": "email",
        "custom_attributes": ["status", "pipelineStage"],
    },
)
