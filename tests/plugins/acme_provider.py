"""A fifth provider, "Acme CRM", added from this one module: nothing in bulkcontacts is edited for it.

Load it with ``BULKCONTACTS_PROVIDERS=acme_provider`` (the module on ``PYTHONPATH``), or from an installed
package with an entry point in the ``bulkcontacts.providers`` group. Its emulator side is ``acme_emulated``.
Acme's list endpoint is ``GET /v2/people?offset=&count=`` → ``{"people": [...], "meta": {"total": N}}``, its
key goes in an ``X-Acme-Key`` header, and a person's name is nested (``{"name": {"given", "family"}}``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import aiohttp
from pydantic import Field, SecretStr

from bulkcontacts.config.sources import ProviderSource
from bulkcontacts.contacts.columns import shared_columns
from bulkcontacts.providers.base import HttpRequest, LoginFailed, PageError, PageResult, Provider


class AcmeSource(ProviderSource):
    type: Literal["acme"]
    base_url: str = "https://api.acme-crm.example"
    page_size: int = Field(default=25, ge=1, le=200)
    api_key: SecretStr
    segment: str | None = None  # only the people of one segment


class AcmeList:
    provider = "acme"
    random_access = True  # numbered pages
    id_field = "id"
    updated_field = "modified"

    def __init__(self, source: AcmeSource, since: str | None = None) -> None:
        self.source = source
        self.page_size = source.page_size

    def request(self, index: int, after: str | None = None) -> HttpRequest:
        params = {"offset": str(index * self.page_size), "count": str(self.page_size)}
        if self.source.segment is not None:
            params["segment"] = self.source.segment
        return HttpRequest("GET", "/v2/people", params=params)

    def parse(self, body: Any, headers: Mapping[str, str] | None = None) -> PageResult:
        if not isinstance(body, dict) or not isinstance(body.get("people"), list):
            raise PageError("an Acme page has people")
        total = body.get("meta", {}).get("total")
        return PageResult(body["people"], total_records=total if isinstance(total, int) else None)

    def is_last(self, index: int, page: PageResult) -> bool:
        return len(page.records) < self.page_size

    def normalize(self, record: dict[str, Any]) -> dict[str, Any]:
        name = record.get("name") or {}
        return shared_columns(
            self.provider,
            record.get("id"),
            record.get("mobile"),
            first_name=name.get("given"),
            last_name=name.get("family"),
            email=record.get("email"),
            updated_at=record.get("modified"),
            region=self.source.phone_region,
        )


class AcmeKey:
    """A fixed key in its own header."""

    can_refresh = False

    def __init__(self, source: AcmeSource) -> None:
        self.source = source

    async def token(self, session: aiohttp.ClientSession, base_url: str, *, first: bool) -> str:
        if not first:
            raise LoginFailed("Acme refused the key; set a fresh [source] api_key")
        return self.source.api_key.get_secret_value()

    def headers(self, token: str) -> dict[str, str]:
        return {"X-Acme-Key": token, "accept": "application/json"}


def flatten(record: dict[str, Any]) -> dict[str, Any]:
    name = record.get("name") or {}
    row = {key: value for key, value in record.items() if key != "name"}
    return {**row, "given_name": name.get("given"), "family_name": name.get("family")}


PROVIDER = Provider(
    name="acme",
    title="Acme CRM",
    source_model=AcmeSource,
    list_api=AcmeList,
    auth=AcmeKey,
    default_mapping={
        "phone_number": "mobile",
        "first_name": "given_name",
        "last_name": "family_name",
        "email": "email",
        "custom_attributes": ["segment"],
    },
    flatten=flatten,
    emulator_scope=lambda source: source.segment,
)
