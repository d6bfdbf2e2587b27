"""The ``[mapping]`` table: source columns → Rampwin's create payload."""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator

from bulkcontacts.config.base import Strict

CUSTOM_TYPES = Literal["string", "number", "integer", "boolean", "date"]


class TagsSpec(Strict):
    column: str | None = None
    separator: str = ","
    columns: list[str] = []


class MappingSpec(Strict):
    """Source columns → Rampwin create payload. Core fields name a source column each."""

    phone_number: str | None = None
    full_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    company: str | None = None
    city: str | None = None
    state: str | None = None
    zipcode: str | None = None
    address: str | None = None
    remarks: str | None = None
    default_country: str = "IN"
    custom_attributes: Literal["rest", "none"] | list[str] = "rest"
    rename: dict[str, str] = {}
    types: dict[str, CUSTOM_TYPES] = {}
    tags: TagsSpec = TagsSpec()
    ignore: list[str] = []  # columns that never become custom attributes
    reject_when_set: list[str] = []  # a row with a value in any of these columns is rejected (e.g. deleted_at)
    missing_name: Literal["reject", "phone"] = "reject"  # "phone": a contact with no name is named by its number
    reject_duplicate_phones: bool = True

    @field_validator("default_country")
    @classmethod
    def _country(cls, value: str) -> str:
        import phonenumbers

        code = value.upper()
        if code not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f'{value!r} is not a two-letter region code such as "IN" or "US"')
        return code
