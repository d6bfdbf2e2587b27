"""Source row → Rampwin create payload, or a ``Rejection`` with a reason. No I/O.

``ContactMapper`` is built once per run: it resolves every mapped column against the source's header
(raising ``UsageError`` naming a missing column) so that mapping a row is a few dict operations.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bulkcontacts.config.mapping import MappingSpec
from bulkcontacts.contacts.phones import PhoneError, normalize_phone
from bulkcontacts.errors import UsageError
from bulkcontacts.text import shorten

CORE_FIELDS = (
    "phone_number",
    "full_name",
    "first_name",
    "last_name",
    "email",
    "company",
    "city",
    "state",
    "zipcode",
    "address",
    "remarks",
)
# Column names tried, in order, when the mapping does not name a column for a core field.
DEFAULT_COLUMNS = {
    "phone_number": ("phone_number", "phone", "mobile", "mobile_number", "phonenumber", "whatsapp_number"),
    "full_name": ("full_name", "name", "fullname", "contact_name"),
    "first_name": ("first_name", "firstname", "given_name"),
    "last_name": ("last_name", "lastname", "surname", "family_name"),
    "email": ("email", "email_address", "email_id", "e_mail"),
    "company": ("company", "company_name", "organisation", "organization"),
    "city": ("city", "town"),
    "state": ("state", "province", "region"),
    "zipcode": ("zipcode", "zip", "zip_code", "postal_code", "postcode", "pincode", "pin_code"),
    "address": ("address", "street_address"),
    "remarks": ("remarks", "notes", "note", "comments"),
}
RESERVED_KEYS = frozenset({*CORE_FIELDS, "integration_id", "tags"})
# A ``rejected.csv`` read as a source: its outcome columns are not contact data.
REJECTS_FILE_COLUMNS = ("row", "reason", "status")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
TRUE_WORDS = frozenset({"true", "yes", "y", "1", "t"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "f"})


@dataclass(frozen=True, slots=True)
class Rejection:
    """A row that must not be sent, and why (``code`` groups reasons for counting)."""

    reason: str
    code: str


def _key(column: str) -> str:
    """How a header is compared with a field name: case, spaces and dashes do not matter."""
    return re.sub(r"[\s\-]+", "_", column.strip().lower())


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _plain(value: Any) -> Any:
    """A source value as JSON: strings stripped, dates as ISO text, other scalars unchanged; a number JSON
    cannot carry (infinite, not a number: ``1e400`` in a JSONL file) is refused."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value!r} is not a finite number")
    return value


def _text(value: Any) -> str:
    """A core field's value as text; a nested value (a JSONL object or list, a Parquet struct) is refused."""
    if isinstance(value, (dict, list, tuple)):
        kind = "an object" if isinstance(value, dict) else "a list"
        raise ValueError(f"holds {kind} ({shorten(json.dumps(value, default=str), 60)}) where text is expected")
    return str(_plain(value))


class ContactMapper:
    """Maps rows with a fixed set of columns onto the create payload for one integration."""

    def __init__(self, mapping: MappingSpec, columns: list[str], integration_id: str) -> None:
        self.mapping = mapping
        self.integration_id = integration_id
        self.core_columns = self._resolve_core(columns)
        self.tag_column, self.tag_columns = self._resolve_tags(columns)
        self.attributes = self._resolve_attributes(columns)
        self.reject_when_set = [
            _require(column, columns, "[mapping] reject_when_set") for column in mapping.reject_when_set
        ]

    # -- resolving columns (once) -------------------------------------------------------------------

    def _resolve_core(self, columns: list[str]) -> dict[str, str]:
        by_key = {_key(column): column for column in columns}
        resolved: dict[str, str] = {}
        for field in CORE_FIELDS:
            explicit = getattr(self.mapping, field)
            if explicit is not None:
                resolved[field] = _require(explicit, columns, f"[mapping] {field}")
                continue
            for candidate in DEFAULT_COLUMNS[field]:
                if candidate in by_key:
                    resolved[field] = by_key[candidate]
                    break
        if "phone_number" not in resolved:
            separator = next((mark for mark in (";", "\t", "|", ",") if len(columns) == 1 and mark in columns[0]), None)
            if separator is not None:
                raise UsageError(
                    f"the header is one column, {shorten(columns[0], 60)!r}: the file looks "
                    f"{separator!r}-separated; set [source] delimiter = {json.dumps(separator)}"
                )
            raise UsageError(
                f'no phone column found among {_listing(columns)}; set [mapping] phone_number = "<column>"'
            )
        return resolved

    def _resolve_tags(self, columns: list[str]) -> tuple[str | None, list[str]]:
        tags = self.mapping.tags
        column = _require(tags.column, columns, "[mapping] tags.column") if tags.column else None
        if column is None and "tags" in columns and "tags" not in self.mapping.tags.columns:
            column = "tags"
        listed = [_require(name, columns, "[mapping] tags.columns") for name in tags.columns]
        return column, listed

    def _resolve_attributes(self, columns: list[str]) -> list[tuple[str, str, Callable[[Any], Any]]]:
        """(column, attribute name, converter) for every custom attribute."""
        choice = self.mapping.custom_attributes
        ignored = {
            _require(column, columns, "[mapping] ignore")
            for column in (*self.mapping.ignore, *self.mapping.reject_when_set)
        }
        if tuple(columns[:3]) == REJECTS_FILE_COLUMNS:
            ignored.update(REJECTS_FILE_COLUMNS)
        used = {*self.core_columns.values(), *self.tag_columns, self.tag_column, *ignored}
        for column in self.mapping.rename:
            _require(column, columns, "[mapping] rename")
        if choice == "none":
            chosen: list[str] = []
        elif choice == "rest":
            chosen = [column for column in columns if column not in used]
        else:
            chosen = [_require(column, columns, "[mapping] custom_attributes") for column in choice]
        attributes = []
        for column in chosen:
            name = self.mapping.rename.get(column, column)
            if name in RESERVED_KEYS:
                raise UsageError(
                    f"column {column!r} would become custom attribute {name!r}, which is a core "
                    f"field; map it in [mapping], rename it in [mapping] rename, or list "
                    "custom_attributes explicitly"
                )
            kind = self.mapping.types.get(name, self.mapping.types.get(column, "as-is"))
            attributes.append((column, name, CONVERTERS[kind]))
        for name in self.mapping.types:
            if name not in {attribute for _, attribute, _ in attributes} and name not in chosen:
                raise UsageError(
                    f"[mapping] types names {name!r}, which is not a custom attribute; "
                    f"custom attributes are {_listing([a for _, a, _ in attributes])}"
                )
        return attributes

    # -- mapping rows (hot path) ---------------------------------------------------------------------

    def map(self, row: dict[str, Any], phone: int | None = None) -> dict[str, Any] | Rejection:
        """The create payload for one row, or why the row cannot be sent. ``phone``: the row's phone as
        ``normalize_phone`` gives it, already known (``columnar.FastPath``), so it is not parsed again."""
        for column in self.reject_when_set:
            if not _is_empty(row.get(column)):
                return Rejection(f"column {column!r} is set ({row[column]}): not sent", f"{column}_set")
        payload = self._core(row, phone)
        if isinstance(payload, Rejection):
            return payload
        refused = self._add_attributes(row, payload)
        if refused is not None:
            return refused
        tags = self._tags(row)
        if tags:
            payload["tags"] = tags
        return payload

    def _core(self, row: dict[str, Any], known_phone: int | None) -> dict[str, Any] | Rejection:
        """Phone, names, email and the other core fields, checked; the integration."""
        fields: dict[str, Any] = {}
        for field, column in self.core_columns.items():
            value = row.get(column)
            if not _is_empty(value):
                fields[field] = value
        written = fields.pop("phone_number", None)
        try:
            phone = known_phone if known_phone is not None else normalize_phone(written, self.mapping.default_country)
        except PhoneError as error:
            return Rejection(str(error), "bad_phone")
        payload: dict[str, Any] = {"phone_number": phone}
        for field, value in fields.items():
            try:
                payload[field] = _text(value)
            except ValueError as error:
                return Rejection(f"column {self.core_columns[field]!r} {error}", "bad_value")
        if "full_name" not in payload:
            joined = " ".join(payload[part] for part in ("first_name", "last_name") if part in payload)
            if not joined and self.mapping.missing_name == "phone":
                joined = f"+{phone}"
            if not joined:
                return Rejection("no name: full_name, first_name and last_name are all empty", "no_name")
            payload["full_name"] = joined
        email = payload.get("email")
        if email is not None and not EMAIL.match(email):
            return Rejection(f"email {email!r} is not an email address", "bad_email")
        payload["integration_id"] = self.integration_id
        return payload

    def _add_attributes(self, row: dict[str, Any], payload: dict[str, Any]) -> Rejection | None:
        for column, name, convert in self.attributes:
            value = row.get(column)
            if _is_empty(value):
                continue
            try:
                payload[name] = convert(value)
            except ValueError as error:
                return Rejection(f"column {column!r}: {error}", "bad_value")
        return None

    def _tags(self, row: dict[str, Any]) -> list[str]:
        found: list[str] = []
        if self.tag_column is not None:
            value = row.get(self.tag_column)
            if isinstance(value, str) and value.startswith("["):
                value = _json_list(value)  # tags written as a JSON array (as rejected.csv writes them)
            if isinstance(value, (list, tuple)):
                found.extend(str(item).strip() for item in value if not _is_empty(item))
            elif not _is_empty(value):
                found.extend(part.strip() for part in str(value).split(self.mapping.tags.separator))
        for column in self.tag_columns:
            value = row.get(column)
            if not _is_empty(value):
                found.append(str(_plain(value)))
        return list(dict.fromkeys(tag for tag in found if tag))


def _json_list(text: str) -> Any:
    try:
        parsed = json.loads(text)
    except ValueError:
        return text
    return parsed if isinstance(parsed, list) else text


def _require(column: str, columns: list[str], where: str) -> str:
    if column in columns:
        return column
    near = [name for name in columns if _key(name) == _key(column)]
    hint = f"; did you mean {near[0]!r}?" if near else f"; the columns are {_listing(columns)}"
    raise UsageError(f"{where}: column {column!r} is not in the source{hint}")


def _listing(names: list[str]) -> str:
    shown = ", ".join(repr(name) for name in names[:30])
    return shown + (f" and {len(names) - 30} more" if len(names) > 30 else "") if names else "(none)"


# -- custom attribute converters ------------------------------------------------------------------------


def _as_number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    if isinstance(value, (int, float)):
        number: int | float = _plain(value)
        return number
    text = str(value).strip().replace(",", "")
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"{value!r} is not a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"{value!r} is not a finite number")
    return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number


def _as_integer(value: Any) -> int:
    number = _as_number(value)
    if isinstance(number, float) and not number.is_integer():
        raise ValueError(f"{value!r} is not a whole number")
    return int(number)


def _as_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{value!r} is not true/false (or yes/no, 1/0)")


def _as_date(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        raise ValueError(f"{value!r} is not a date like 2024-05-08") from None


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "as-is": _plain,
    "string": lambda value: str(_plain(value)),
    "number": _as_number,
    "integer": _as_integer,
    "boolean": _as_boolean,
    "date": _as_date,
}
