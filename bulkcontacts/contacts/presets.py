"""Presets for the files people export: ``[source] preset = "google-contacts" | "outlook" | "hubspot" |
"vcard"`` supplies the ``[mapping]`` (names, phone fallbacks, email, company, tags, notes); every key the
job's own ``[mapping]`` writes is put over it.

A preset names candidate columns; those the file lacks are dropped, so one preset reads both of Google's
export generations. Google's ``Phone N - Value`` and ``E-mail N - Value`` columns are taken in N's order,
however many there are. The README lists each preset's columns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Literal

from bulkcontacts.config.mapping import MappingSpec

PresetName = Literal["google-contacts", "outlook", "hubspot", "vcard"]
NUMBERED = re.compile(r"^(Phone|E-mail) (\d+) - Value$")  # Google's numbered columns

PRESETS: dict[str, dict[str, Any]] = {
    "google-contacts": {
        "full_name": ["Name"],  # the older generation; the current one has only the parts
        "first_name": ["First Name", "Given Name"],
        "last_name": ["Last Name", "Family Name"],
        "phone_number": ["Phone * - Value"],
        "email": ["E-mail * - Value"],
        "company": ["Organization Name", "Organization 1 - Name"],
        "remarks": ["Notes"],
        "tags": {"column": ["Labels", "Group Membership"], "separator": " ::: ", "ignore_starting_with": ["* "]},
        "custom_attributes": "none",
    },
    "outlook": {
        "first_name": ["First Name"],
        "last_name": ["Last Name"],
        "phone_number": [
            "Mobile Phone",
            "Primary Phone",
            "Business Phone",
            "Home Phone",
            "Business Phone 2",
            "Home Phone 2",
            "Other Phone",
            "Company Main Phone",
            "Car Phone",
        ],
        "email": ["E-mail Address", "E-mail 2 Address", "E-mail 3 Address"],
        "company": ["Company"],
        "remarks": ["Notes"],
        "tags": {"column": ["Categories"], "separator": ";"},
        "custom_attributes": "none",
    },
    "hubspot": {
        "first_name": ["First Name"],
        "last_name": ["Last Name"],
        "phone_number": ["Mobile Phone Number", "Phone Number"],
        "email": ["Email"],
        "company": ["Company Name"],
        "city": ["City"],
        "state": ["State/Region"],
        "zipcode": ["Postal Code"],
        "address": ["Street Address"],
        "country_column": ["Country/Region"],
        "custom_attributes": "none",
    },
    "vcard": {  # the vCard reader's columns (io/vcard.py)
        "full_name": ["full_name"],
        "first_name": ["first_name"],
        "last_name": ["last_name"],
        "phone_number": ["phone"],
        "email": ["email"],
        "company": ["company"],
        "remarks": ["remarks"],
        "tags": {"column": ["tags"], "separator": ","},
        "custom_attributes": "none",
    },
}
SINGLE_COLUMN_KEYS = ("country_column",)


def with_preset(own: MappingSpec, preset: str | None, columns: list[str]) -> MappingSpec:
    """The job's mapping: the preset's, resolved against these columns, with every key the job sets over it."""
    if preset is None:
        return own
    chosen = {**resolve(PRESETS[preset], columns), **own.model_dump(include=own.model_fields_set)}
    return MappingSpec.model_validate(chosen)


def resolve(preset: dict[str, Any], columns: list[str]) -> dict[str, Any]:
    """The preset's keys with only the columns the file has (a key left with none is dropped)."""
    kept: dict[str, Any] = {}
    for key, value in preset.items():
        if key == "tags":
            found = _present(value["column"], columns)
            if found:
                kept[key] = {**value, "column": found[0]}
        elif isinstance(value, list):
            found = _present(value, columns)
            if found:
                kept[key] = found[0] if key in SINGLE_COLUMN_KEYS else found
        else:
            kept[key] = value
    return kept


def _present(candidates: Iterable[str], columns: list[str]) -> list[str]:
    found: list[str] = []
    for candidate in candidates:
        if "*" in candidate:
            found.extend(_numbered(candidate, columns))
        elif candidate in columns:
            found.append(candidate)
    return found


def _numbered(pattern: str, columns: list[str]) -> list[str]:
    """``Phone * - Value``: every such column, by its number."""
    kind = pattern.split(" ", 1)[0]
    numbered = [
        (int(found.group(2)), column)
        for column in columns
        if (found := NUMBERED.match(column)) is not None and found.group(1) == kind
    ]
    return [column for _, column in sorted(numbered)]


def detect(columns: list[str]) -> str | None:
    """The preset whose export these columns look like, or None."""
    names = set(columns)
    if any(NUMBERED.match(column) for column in columns) and names & {"Labels", "Group Membership", "Given Name"}:
        return "google-contacts"
    if {"First Name", "Last Name", "E-mail Address", "Mobile Phone", "Business Phone"} <= names:
        return "outlook"
    if {"Record ID", "First Name", "Last Name", "Email"} <= names and names & {"Phone Number", "Mobile Phone Number"}:
        return "hubspot"
    if tuple(columns) == VCARD_COLUMNS:
        return "vcard"
    return None


VCARD_COLUMNS = ("full_name", "first_name", "last_name", "phone", "email", "company", "tags", "remarks")
