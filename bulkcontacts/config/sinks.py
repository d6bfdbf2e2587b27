"""Where a job writes: a file, or a Rampwin channel."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from bulkcontacts.config.base import Strict
from bulkcontacts.config.placeholders import placeholders
from bulkcontacts.config.rest import AuthSpec, DottedPath, Headers
from bulkcontacts.config.sources import Given
from bulkcontacts.errors import UsageError


class FileSink(Strict):
    type: Literal["file"]
    path: Path
    format: Literal["csv", "parquet", "jsonl"] | None = None
    normalize: bool = False  # add provider, provider_id, phone_number, names, email, created_at, updated_at
    neutralize_formulas: bool = True  # CSV cells starting with = + - @ get a leading '

    @property
    def file_format(self) -> str:
        if self.format:
            return self.format
        suffix = self.path.suffix.lower().lstrip(".")
        known = {"csv": "csv", "parquet": "parquet", "jsonl": "jsonl", "ndjson": "jsonl"}
        if suffix not in known:
            raise UsageError(
                f"[sink] path: cannot tell the format of {self.path.name!r}; "
                'end it in .csv, .parquet or .jsonl, or add format = "..."'
            )
        return known[suffix]


class RampwinSink(Strict):
    """A Rampwin channel (``integration_id``, the ``channel_id`` of the upsert endpoint)."""

    type: Literal["rampwin"]
    base_url: str = "https://api.rampwin.com"
    api_key: SecretStr
    integration_id: Given  # sent in the query
    mode: Literal["create", "upsert"] = "create"  # upsert: insertOrUpdate, so a re-run changes nothing twice
    token: SecretStr | None = None  # the list endpoint's JWT: only ``verify`` needs it
    page_size: int = Field(default=100, ge=1, le=1000)  # for ``verify``'s listing of the channel
    lookup_batch: int = Field(default=50, ge=1, le=1000)  # in-doubt rows looked up per request (with ``token``)
    allow_insecure_http: bool = False
    title: ClassVar[str] = "Rampwin"


class RestLookup(Strict):
    """How to ask the sink API whether a contact is there already (for a row whose answer was lost): a
    request whose ``params`` may name ``{phone_e164}`` or ``{phone_number}``; the contacts it finds are at
    ``data_selector`` (none: the body, or its one list); an empty list is "not there"."""

    path: Given = Field(pattern=r"^/[^?#]*$")
    params: dict[str, str] = {}
    data_selector: DottedPath | None = None
    id_field: Given = "id"


class RestSink(Strict):
    """Any JSON create endpoint: one request per row, its ``body`` a template whose ``"{name}"`` strings are
    the mapped row's fields (and ``phone_e164``, the number as ``+digits``)."""

    type: Literal["rest"]
    base_url: str
    path: Given = Field(pattern=r"^/[^?#]*$")
    method: Literal["POST", "PUT", "PATCH"] = "POST"
    params: dict[str, str | int | float | bool] = {}
    body: dict[str, Any]
    success_status: list[int] = [200, 201]
    success_path: DottedPath | None = None  # with success_value: the body must say so too
    success_value: str | int | float | bool = True
    duplicate_status: list[int] = []  # answers that mean "already there": recorded as such, not rejected
    id_path: DottedPath | None = None  # where the created contact's id is in the answer
    auth: AuthSpec | None = None
    headers: Headers = {}
    lookup: RestLookup | None = None
    allow_insecure_http: bool = False
    integration_id: ClassVar[None] = None  # no Rampwin channel
    title: ClassVar[str] = "the [sink] API"

    @field_validator("success_status")
    @classmethod
    def _successes(cls, value: list[int]) -> list[int]:
        if not value or any(not 200 <= status < 300 for status in value):
            raise ValueError("must list 2xx statuses only, e.g. [200, 201]")
        return value

    @field_validator("duplicate_status")
    @classmethod
    def _duplicates(cls, value: list[int]) -> list[int]:
        if any(not 400 <= status < 500 or status in (401, 403, 408, 429) for status in value):
            raise ValueError("must list 4xx statuses that mean the contact exists, e.g. [409] (not 401, 403, 408, 429)")
        return value

    @model_validator(mode="after")
    def _body_names_fields(self) -> RestSink:
        if not placeholders(self.body):
            raise ValueError('body names no field: write e.g. body = { phone = "{phone_e164}", name = "{full_name}" }')
        return self


ContactSink = RampwinSink | RestSink  # where an import or a migration writes
