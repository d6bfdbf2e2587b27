"""Source row → Rampwin create payload, or a ``Rejection`` with a reason. No I/O.

``ContactMapper`` is built once per run: it resolves every mapped column against the source's header
(raising ``UsageError`` naming a missing column and its closest match) so that mapping a row is a few dict
operations. A core field may name several columns, tried in order: the phone is the first valid number (of
the cells and of each cell's values), a text field the first non-empty cell. A row's region is its country
column's, else ``default_country``.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bulkcontacts.config.mapping import MappingSpec
from bulkcontacts.contacts.phones import Ambiguities, PhoneError, Reading, first_valid
from bulkcontacts.contacts.presets import with_preset
from bulkcontacts.contacts.regions import region_of
from bulkcontacts.contacts.values import ALLOWED, EmptyValue, ValueOptions, check_options, converter, plain, text_of
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
    "phone_number": (
        *("phone_number", "phone", "mobile", "mobile_number", "phonenumber", "whatsapp_number"),
        *("mobile_phone", "cell", "cell_phone", "telephone", "tel", "telefon", "telefonnummer", "handy"),
    ),
    "full_name": ("full_name", "name", "fullname", "contact_name"),
    "first_name": ("first_name", "firstname", "given_name", "vorname", "prenom", "prénom"),
    "last_name": ("last_name", "lastname", "surname", "family_name", "nachname", "apellidos"),
    "email": ("email", "email_address", "email_id", "e_mail", "e_mail_address", "mail"),
    "company": ("company", "company_name", "organisation", "organization"),
    "city": ("city", "town"),
    "state": ("state", "province", "region"),
    "zipcode": ("zipcode", "zip", "zip_code", "postal_code", "postcode", "pincode", "pin_code"),
    "address": ("address", "street_address"),
    "remarks": ("remarks", "notes", "note", "comments"),
}
PHONE_WORDS = ("phone", "mobile", "tel", "cell", "whatsapp", "handy", "telefon", "number", "contact")
RESERVED_KEYS = frozenset({*CORE_FIELDS, "integration_id", "tags"})
# A ``rejected.csv`` read as a source: its outcome columns are not contact data.
REJECTS_FILE_COLUMNS = ("row", "reason", "status")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


@dataclass(frozen=True, slots=True)
class Rejection:
    """A row that must not be sent, and why (``code`` groups reasons for counting)."""

    reason: str
    code: str


def column_key(column: str) -> str:
    """How a header is compared with a field name: case, spaces and dashes do not matter."""
    return re.sub(r"[\s\-]+", "_", column.strip().lower())


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class ContactMapper:
    """Maps rows with a fixed set of columns onto the create payload for one integration."""

    def __init__(
        self, mapping: MappingSpec, columns: list[str], integration_id: str | None, preset: str | None = None
    ) -> None:
        mapping = with_preset(mapping, preset, columns)
        self.mapping = mapping
        self.integration_id = integration_id
        self.header = columns
        self.value_options = value_options(mapping)
        try:
            check_options(self.value_options)
        except ValueError as error:
            raise UsageError(str(error)) from None
        self.core_columns = self._resolve_core(columns)
        self.country_column = _require(mapping.country_column, columns, "[mapping] country_column")
        self.tag_column, self.tag_columns = self._resolve_tags(columns)
        self.attributes = self._resolve_attributes(columns)
        self.reject_when_set = [
            _require(column, columns, "[mapping] reject_when_set") for column in mapping.reject_when_set
        ]
        self.ambiguous = Ambiguities()  # rows whose phone "auto" read nationally, though valid internationally too

    # -- resolving columns (once) -------------------------------------------------------------------

    def _resolve_core(self, columns: list[str]) -> dict[str, list[str]]:
        """Each core field's columns, in the order they are tried: those the mapping names, else the first
        column called as the field is (never one the mapping names elsewhere or lists as an attribute)."""
        named = {field: self._columns_named(field) for field in CORE_FIELDS}
        listed = self.mapping.custom_attributes if isinstance(self.mapping.custom_attributes, list) else []
        taken = {*listed, *(column for found in named.values() for column in found or ())}
        by_key = {column_key(column): column for column in columns if column not in taken}
        resolved: dict[str, list[str]] = {}
        for field, found in named.items():
            if found is not None:
                resolved[field] = [_require(column, columns, f"[mapping] {field}") for column in found]
                continue
            candidate = next((by_key[name] for name in DEFAULT_COLUMNS[field] if name in by_key), None)
            if candidate is not None:
                resolved[field] = [candidate]
        if not resolved.get("phone_number"):
            raise UsageError(
                _delimiter_hint(columns)
                or f"no phone column found among {_listing(_phones_first(columns))}; "
                'set [mapping] phone_number = "<column>" (or a list of columns, tried in order)'
            )
        return resolved

    def _columns_named(self, field: str) -> list[str] | None:
        """The columns ``[mapping]`` names for a core field (a list as written), or None."""
        value = getattr(self.mapping, field)
        return [value] if isinstance(value, str) else value

    def _resolve_tags(self, columns: list[str]) -> tuple[str | None, list[str]]:
        tags = self.mapping.tags
        column = _require(tags.column, columns, "[mapping] tags.column")
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
        core = {column for named in self.core_columns.values() for column in named}
        used = {*core, *self.tag_columns, self.tag_column, self.country_column, *ignored}
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
            attributes.append((column, name, converter(kind, self.value_options)))
        for name in self.mapping.types:
            if name not in {attribute for _, attribute, _ in attributes} and name not in chosen:
                raise UsageError(
                    f"[mapping] types names {name!r}, which is not a custom attribute; "
                    f"custom attributes are {_listing([a for _, a, _ in attributes])}"
                )
        return attributes

    # -- mapping rows (hot path) ---------------------------------------------------------------------

    def map(self, row: dict[str, Any], phone: int | None = None, at: int | None = None) -> dict[str, Any] | Rejection:
        """The create payload for one row, or why the row cannot be sent. ``phone``: the row's phone as
        the phone rule gives it, already known (``columnar.FastPath``), so it is not read again; ``at``:
        the row's number (an ambiguous phone is counted where the run owns the row)."""
        for column in self.reject_when_set:
            if not _is_empty(row.get(column)):
                return Rejection(f"column {column!r} is set ({row[column]}): not sent", f"{column}_set")
        payload = self._core(row, phone, at)
        if isinstance(payload, Rejection):
            return payload
        refused = self._add_attributes(row, payload)
        if refused is not None:
            return refused
        tags = self._tags(row)
        if isinstance(tags, Rejection):
            return tags
        if tags:
            payload["tags"] = tags
        return payload

    def region(self, row: dict[str, Any]) -> str | Rejection:
        """The row's region: its country column's, else the default."""
        if self.country_column is None:
            return self.mapping.default_country
        value = row.get(self.country_column)
        if _is_empty(value):
            return self.mapping.default_country
        region = region_of(str(value))
        if region is None:
            return Rejection(
                f"column {self.country_column!r}: {shorten(str(value), 40)!r} is not a country this tool knows; "
                'write its two-letter ISO code (e.g. "DE") or its English name',
                "unknown_country",
            )
        return region

    def _phone(self, row: dict[str, Any]) -> Reading | Rejection:
        region = self.region(row)
        if isinstance(region, Rejection):
            return region
        columns = self.core_columns["phone_number"]
        mapping = self.mapping
        country = self.country_column
        note = f"region {region}, from column {country!r}" if country and not _is_empty(row.get(country)) else None
        cells = [row.get(column) for column in columns]
        try:
            return first_valid(cells, region, mapping.phone_without_plus, mapping.multi_value_separator, note)
        except PhoneError as error:
            reason = str(error)
            if reason == "phone number is empty" and len(columns) > 1:
                reason = f"no phone number in {_listing(columns)}"
            return Rejection(reason, error.code)

    def _core(self, row: dict[str, Any], known_phone: int | None, at: int | None) -> dict[str, Any] | Rejection:
        """Phone, names, email and the other core fields, checked; the integration."""
        reading = Reading(known_phone) if known_phone is not None else self._phone(row)
        if isinstance(reading, Rejection):
            return reading
        phone = reading.number
        payload: dict[str, Any] = {"phone_number": phone}
        for field, columns in self.core_columns.items():
            if field == "phone_number":
                continue
            column = next((column for column in columns if not _is_empty(row.get(column))), None)
            if column is None:
                continue
            try:
                payload[field] = text_of(row[column])
            except ValueError as error:
                return Rejection(f"column {column!r} {error}", "bad_value")
        if "full_name" not in payload:
            named = self._full_name(payload)
            if isinstance(named, Rejection):
                return named
            payload["full_name"] = named
        email = payload.get("email")
        if email is not None and not EMAIL.match(email):
            return Rejection(f"email {email!r} is not an email address", "bad_email")
        payload["integration_id"] = self.integration_id  # None for a sink that is not a Rampwin channel
        if reading.other is not None:  # counted once the row is accepted
            self.ambiguous.add(
                [at] if at is not None else 1, reading.written, phone, reading.other, str(self.region(row))
            )
        return payload

    def _full_name(self, payload: dict[str, Any]) -> str | Rejection:
        """The full name from its parts (or the number, with ``missing_name = "phone"``)."""
        joined = " ".join(payload[part] for part in ("first_name", "last_name") if part in payload)
        if not joined and self.mapping.missing_name == "phone":
            joined = f"+{payload['phone_number']}"
        return joined or Rejection("no name: full_name, first_name and last_name are all empty", "no_name")

    def _add_attributes(self, row: dict[str, Any], payload: dict[str, Any]) -> Rejection | None:
        for column, name, convert in self.attributes:
            value = row.get(column)
            if _is_empty(value):
                continue
            try:
                payload[name] = convert(value)
            except EmptyValue:  # a marker exports write for "no value" (Outlook's 0/0/00)
                continue
            except ValueError as error:
                return Rejection(f"column {column!r}: {error}", "bad_value")
        return None

    def _tags(self, row: dict[str, Any]) -> list[str] | Rejection:
        """The row's tags: the tag column's (split, or a list), then one from each tag column. A tag is text:
        a tag cell holding an object, or a list holding anything but text, refuses the row."""
        found: list[str] = []
        columns = ([self.tag_column] if self.tag_column is not None else []) + self.tag_columns
        for column in columns:
            value = row.get(column)
            if _is_empty(value):
                continue
            if isinstance(value, str) and value.startswith("[") and column == self.tag_column:
                value = _json_list(value)  # tags written as a JSON array (as rejected.csv writes them)
            try:
                value = plain(value)
            except ValueError as error:
                return Rejection(f"column {column!r} {error}".replace(ALLOWED, "a tag is text"), "bad_value")
            if isinstance(value, list):
                found.extend(item for item in value if item)
            elif column == self.tag_column:
                found.extend(part.strip() for part in str(value).split(self.mapping.tags.separator))
            else:
                found.append(str(value))
        skipped = tuple(self.mapping.tags.ignore_starting_with)
        return list(dict.fromkeys(tag for tag in found if tag and not (skipped and tag.startswith(skipped))))


def value_options(mapping: MappingSpec) -> ValueOptions:
    """How the mapping reads typed values."""

    def listed(words: list[str] | None) -> tuple[str, ...] | None:
        return None if words is None else tuple(words)

    return ValueOptions(
        mapping.decimal, listed(mapping.date_formats), listed(mapping.true_values), listed(mapping.false_values)
    )


def _json_list(text: str) -> Any:
    try:
        parsed = json.loads(text)
    except ValueError:
        return text
    return parsed if isinstance(parsed, list) else text


def _require(column: str | None, columns: list[str], where: str) -> Any:
    """The column, when the source has it; else ``UsageError`` with the closest match (or the columns)."""
    if column is None or column in columns:
        return column
    keys = {column_key(name): name for name in columns}
    near = [name for name in columns if column_key(name) == column_key(column)]
    near = near or [keys[key] for key in difflib.get_close_matches(column_key(column), list(keys), n=1, cutoff=0.6)]
    hint = f"; did you mean {near[0]!r}?" if near else f"; the columns are {_listing(_phones_first(columns))}"
    delimiter = _delimiter_hint(columns)
    raise UsageError(f"{where}: column {column!r} is not in the source{hint}{'; ' if delimiter else ''}{delimiter}")


def _delimiter_hint(columns: list[str]) -> str:
    """When the header came out as one column holding a delimiter, the file's delimiter is another."""
    mark = next((mark for mark in (";", "\t", "|", ",") if len(columns) == 1 and mark in columns[0]), None)
    if mark is None:
        return ""
    return (
        f"the header is one column, {shorten(columns[0], 60)!r}: the file looks {mark!r}-separated; "
        f"set [source] delimiter = {json.dumps(mark)}"
    )


def _phones_first(columns: list[str]) -> list[str]:
    """The columns, those whose names look like a phone's first."""
    return sorted(columns, key=lambda name: not any(word in column_key(name) for word in PHONE_WORDS))


def _listing(names: list[str]) -> str:
    shown = ", ".join(repr(name) for name in names[:30])
    return shown + (f" and {len(names) - 30} more" if len(names) > 30 else "") if names else "(none)"
