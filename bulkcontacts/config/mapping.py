"""The ``[mapping]`` table: source columns → Rampwin's create payload, and how values are read."""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator

from bulkcontacts.config.base import Strict

CUSTOM_TYPES = Literal["string", "number", "integer", "boolean", "date"]
Columns = str | list[str] | None  # a core field's column, or columns tried in order


class TagsSpec(Strict):
    column: str | None = None
    separator: str = ","
    columns: list[str] = []
    ignore_starting_with: list[str] = []  # tags dropped, e.g. Google's system groups ("* myContacts")


class MappingSpec(Strict):
    """Source columns → Rampwin create payload. Core fields name a source column each, or a list of columns
    tried in order (a phone: the first valid number; text: the first non-empty cell)."""

    phone_number: Columns = None
    full_name: Columns = None
    first_name: Columns = None
    last_name: Columns = None
    email: Columns = None
    company: Columns = None
    city: Columns = None
    state: Columns = None
    zipcode: Columns = None
    address: Columns = None
    remarks: Columns = None
    default_country: str = "IN"
    country_column: str | None = None  # each row's region (ISO code or English name); empty: default_country
    phone_without_plus: Literal["auto", "international", "national", "strict"] = "auto"
    multi_value_separator: str = " ::: "  # a cell holding several numbers (Google's exports)
    custom_attributes: Literal["rest", "none"] | list[str] = "rest"
    rename: dict[str, str] = {}
    types: dict[str, CUSTOM_TYPES] = {}
    decimal: Literal[",", "."] | None = None  # number columns: the decimal mark (the other one groups thousands)
    date_formats: list[str] | None = None  # date columns: strftime patterns tried in order
    true_values: list[str] | None = None  # boolean columns: the words for true (default: true, yes, ja, oui, …)
    false_values: list[str] | None = None
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

    @field_validator("multi_value_separator")
    @classmethod
    def _separator(cls, value: str) -> str:
        if not value.strip() or any(char.isdigit() or char == "+" for char in value):
            raise ValueError('must hold a character other than spaces, digits and "+", e.g. " ::: " or ";"')
        return value
