"""A provider's records as flat rows, and each provider's default mapping onto Rampwin's create payload.

A migration stages the provider's records as rows (``stage_rows``) and imports those rows like a file: so
the import's mapping, validation, outcome files and exactly-once contract apply unchanged. The defaults
below are a ``[mapping]`` table; any key the job's own ``[mapping]`` sets replaces the default's.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bulkcontacts.config.spec import FileSource, MappingSpec
from bulkcontacts.contacts.mapping import CORE_FIELDS
from bulkcontacts.io.readers import FileReader
from bulkcontacts.state.checkpoint import PRIVATE_FILE, sync_files

RAMPWIN_BOOKKEEPING = ["_id", "is_user", "createdAt", "updatedAt", "integration_id", "channel_id"]

DEFAULT_MAPPINGS: dict[str, dict[str, Any]] = {
    # Smartflo: custom fields become attributes by their own names; the contact group becomes a tag.
    "smartflo": {
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
    "tether": {
        "phone_number": "phoneNumber",
        "first_name": "firstName",
        "last_name": "lastName",
        "email": "email",
        "custom_attributes": ["status", "pipelineStage"],
    },
    # Kore.ai's contact list holds only phone numbers: the number is the contact's name too.
    "kore": {"phone_number": "phoneNumber", "custom_attributes": "none", "missing_name": "phone"},
    # Rampwin → Rampwin keeps every attribute and tag; only the source channel's bookkeeping stays behind.
    "rampwin": {
        "phone_number": "phone_number",
        "full_name": "full_name",
        "tags": {"column": "tags"},
        "custom_attributes": "rest",
        "ignore": RAMPWIN_BOOKKEEPING,
    },
}


def migration_mapping(provider: str, own: MappingSpec, columns: list[str]) -> MappingSpec:
    """The provider's default mapping with every key the job's ``[mapping]`` sets put over it. A default that
    names a field these records lack is dropped (a key the job sets is kept, and checked as an import's)."""
    chosen = {**_present(DEFAULT_MAPPINGS[provider], set(columns)), **own.model_dump(include=own.model_fields_set)}
    return MappingSpec.model_validate(chosen)


def _present(defaults: dict[str, Any], columns: set[str]) -> dict[str, Any]:
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


def staged_columns(rows: Path) -> list[str]:
    """The columns of a staging file (every row has them all)."""
    with open(rows, encoding="utf-8") as handle:
        first = handle.readline()
    return list(json.loads(first)) if first.strip() else []


def _smartflo(record: dict[str, Any]) -> dict[str, Any]:
    row = {key: value for key, value in record.items() if key != "custom_fields"}
    for field in record.get("custom_fields") or []:
        if isinstance(field, dict) and field.get("name"):
            name = str(field["name"])
            row[f"custom_{name}" if name in record else name] = field.get("value")
    return row


def _rampwin(record: dict[str, Any]) -> dict[str, Any]:
    phone = record.get("phone_number")
    if isinstance(phone, (str, int)) and str(phone).isdigit():
        record = {**record, "phone_number": f"+{phone}"}  # stored with its country code, without the "+"
    return record


FLATTEN: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "smartflo": _smartflo,
    "rampwin": _rampwin,
    "tether": dict,
    "kore": dict,
}


def stage_rows(records: Path, rows: Path, provider: str) -> int:
    """Write the exported records as flat JSONL rows, every row with every column (so that ``staged_columns``
    reads them from the first line); atomically, so a crash leaves the whole file or none. Returns the number
    of rows."""
    flatten = FLATTEN[provider]
    reader = FileReader(FileSource(type="file", path=records, format="jsonl"))
    columns = dict.fromkeys(name for record in _flat(reader, flatten) for name in record)
    temporary = rows.with_name(f".{rows.name}.tmp")
    count = 0
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        for row in _flat(reader, flatten):
            out.write(json.dumps({name: row.get(name) for name in columns}, ensure_ascii=False) + "\n")
            count += 1
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, rows)
    sync_files([], rows.parent)
    return count


def _flat(reader: FileReader, flatten: Callable[[dict[str, Any]], dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for _, records in reader.batches():
        yield from map(flatten, records)
