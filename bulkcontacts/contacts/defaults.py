"""A migration's mapping: its provider's default ``[mapping]`` with the job's own keys put over it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bulkcontacts.config.mapping import MappingSpec
from bulkcontacts.contacts.mapping import CORE_FIELDS


def migration_mapping(defaults: Mapping[str, Any], own: MappingSpec, columns: list[str]) -> MappingSpec:
    """The provider's default mapping with every key the job's ``[mapping]`` sets put over it. A default that
    names a field these records lack is dropped (a key the job sets is kept, and checked as an import's)."""
    chosen = {**_present(defaults, set(columns)), **own.model_dump(include=own.model_fields_set)}
    return MappingSpec.model_validate(chosen)


def _present(defaults: Mapping[str, Any], columns: set[str]) -> dict[str, Any]:
    """The defaults without the fields these records lack."""
    kept: dict[str, Any] = {}
    for key, value in defaults.items():
        if key in CORE_FIELDS and value not in columns:
            continue
        if key == "tags":
            value = {"column": value["column"]} if value.get("column") in columns else {}
            value["columns"] = [column for column in defaults["tags"].get("columns", []) if column in columns]
        elif isinstance(value, list):
            value = [column for column in value if column in columns]
        kept[key] = value
    return kept
