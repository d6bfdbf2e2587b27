"""Tether's list endpoint, ``GET /api/contacts`` (page + size, ``total``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, model_validator

from bulkcontacts.config.base import Strict
from bulkcontacts.config.sources import Given, IsoDateTime, LoginCredentials, instant
from bulkcontacts.contacts.columns import shared_columns
from bulkcontacts.providers.auth import EmailLogin
from bulkcontacts.providers.base import HttpRequest, PageError, PageResult, Provider


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


class TetherList:
    """The contacts come twice in a 200 (``data.contacts`` and top-level ``contacts``); ``data`` is read.
    ``dateRange`` is a JSON string ``{"start", "end"}`` on createdAt (inferred), so an incremental run sends
    the newest ``createdAt`` of the last complete run as its start: it picks up contacts created since, not
    older contacts updated since (Tether's list has no update-time filter)."""

    provider = "tether"
    random_access = True  # numbered pages
    id_field = "_id"
    updated_field = "createdAt"  # the high-water mark's field: what dateRange filters on

    def __init__(self, source: TetherSource, since: str | None = None) -> None:
        self.source = source
        self.page_size = source.page_size
        self.since = since

    def request(self, index: int, after: str | None = None) -> HttpRequest:
        params = {"page": str(index + 1), "size": str(self.page_size), "ownerFilter": self.source.owner_filter}
        for key, name in FILTERS.items():
            value = getattr(self.source, key)
            if value is not None:
                params[name] = value
        date_range = self.source.date_range.model_dump(exclude_none=True) if self.source.date_range else {}
        if self.since is not None:
            date_range["start"] = self.since
        if date_range:
            params["dateRange"] = json.dumps(date_range)
        return HttpRequest("GET", "/api/contacts", params=params)

    def parse(self, body: Any, headers: Mapping[str, str] | None = None) -> PageResult:
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or not isinstance(data.get("contacts"), list):
            raise PageError("a Tether page has data.contacts")
        total = data.get("total", body.get("total"))
        return PageResult(data["contacts"], total_records=total if isinstance(total, int) else None)

    def is_last(self, index: int, page: PageResult) -> bool:
        return len(page.records) < self.page_size

    def normalize(self, record: dict[str, Any]) -> dict[str, Any]:
        return shared_columns(
            self.provider,
            record.get("_id"),
            record.get("phoneNumber"),
            first_name=record.get("firstName"),
            last_name=record.get("lastName"),
            email=record.get("email"),
            created_at=record.get("createdAt"),
            updated_at=record.get("updatedAt"),
            region=self.source.phone_region,
        )


def token_from_login(body: Any) -> str | None:
    return body.get("token") if isinstance(body, dict) else None


PROVIDER = Provider(
    name="tether",
    title="Tether",
    source_model=TetherSource,
    list_api=TetherList,
    auth=lambda source: EmailLogin(source, "Tether", "/api/auth/login", token_from_login),
    default_mapping={
        "phone_number": "phoneNumber",
        "first_name": "firstName",
        "last_name": "lastName",
        "email": "email",
        "custom_attributes": ["status", "pipelineStage"],
    },
)
