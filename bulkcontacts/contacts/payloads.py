"""The payloads of the rows ``FastPath`` accepted, built column-wise: what ``ContactMapper.map`` builds for them.

For a row the column-wise path accepted, every cell the mapper reads is text, the phone is known, a name is
there and the email is well formed. What is left of the mapper's work is text handling, which Polars does for
a whole batch: a core field is its first non-empty cell, stripped of Python's whitespace (``str.strip``); the
full name is joined from its parts where no cell holds it; a text attribute is its stripped cell; tags are
split, stripped, filtered and kept once each, in order. A typed attribute is converted by the mapper's own
converter. A row this module cannot build exactly as the mapper would (a tag cell written as a JSON list, a
converter that refuses a value) gets no payload here, and the mapper maps it.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, cast

import numpy as np
import polars as pl

from bulkcontacts.contacts.columnar import PY_SPACE_CHARS
from bulkcontacts.contacts.mapping import ContactMapper
from bulkcontacts.contacts.values import EmptyValue

TEXT_KINDS = ("as-is", "string")
NO_TAGS = pl.lit([], dtype=pl.List(pl.String))


def _text(column: str) -> pl.Expr:
    """The cell stripped as ``str.strip`` does; null where nothing is left (the mapper's ``_is_empty``)."""
    stripped = pl.col(column).str.strip_chars(PY_SPACE_CHARS)
    return pl.when(stripped != "").then(stripped)


class ColumnPayloads:
    """Built once per run from the mapper; ``build(frame, phones)`` per batch."""

    def __init__(self, mapper: ContactMapper) -> None:
        self.mapper = mapper
        mapping = mapper.mapping
        names = [name for _, name, _ in mapper.attributes]
        typed = [
            (column, name, convert)
            for column, name, convert in mapper.attributes
            if mapping.types.get(name, mapping.types.get(column, "as-is")) not in TEXT_KINDS
        ]
        self.typed = typed
        # Two columns onto one attribute, or tags split on nothing: left to the mapper (its order decides).
        self.usable = max(Counter(names).values(), default=1) == 1 and bool(mapping.tags.separator)
        # A field named with no column (``full_name = []``) is never filled.
        self.text = [
            (field, columns) for field, columns in mapper.core_columns.items() if field != "phone_number" and columns
        ]
        typed_names = {name for _, name, _ in typed}
        self.text_attributes = [(column, name) for column, name, _ in mapper.attributes if name not in typed_names]

    def build(self, frame: pl.DataFrame, phones: pl.Series) -> list[dict[str, Any] | None]:
        """Per row of ``frame``: the mapper's payload where ``phones`` holds the row's phone (the column-wise
        path accepted the row) and this module builds it exactly; None elsewhere."""
        if not self.usable or phones.null_count() == frame.height:
            return [None] * frame.height
        known = phones.is_not_null()
        accepted = frame.filter(known)
        made = self._made(accepted, phones.filter(known))
        self._leave_to_mapper(accepted, made)
        if len(made) == frame.height:
            return made
        payloads: list[dict[str, Any] | None] = [None] * frame.height
        for position, payload in zip(np.flatnonzero(known.to_numpy()).tolist(), made, strict=True):
            payloads[position] = payload
        return payloads

    def _made(self, accepted: pl.DataFrame, phones: pl.Series) -> list[dict[str, Any] | None]:
        """The accepted rows' payloads, in order: made from the table's columns as Python lists (tags as
        lists), each with every key, then the keys of null cells taken out, column by column."""
        integration = self.mapper.integration_id
        table = accepted.select(
            pl.lit(phones).alias("phone_number"),
            *self._fields(pl.lit(phones)),
            # A sink that is not a Rampwin channel: the key is there, empty.
            pl.lit(integration, pl.String).alias("integration_id"),
        )
        keys = table.columns
        made = [
            dict(zip(keys, values, strict=True)) for values in zip(*(table[key].to_list() for key in keys), strict=True)
        ]
        for key in keys:
            column = table[key]
            if key != "integration_id" and column.null_count():  # no value: no key
                for index in np.flatnonzero(column.is_null().to_numpy()).tolist():
                    del made[index][key]
        return cast(list[dict[str, Any] | None], made)

    def _leave_to_mapper(self, accepted: pl.DataFrame, made: list[dict[str, Any] | None]) -> None:
        """Typed attributes converted into the payloads; None for the rows the mapper must map: a tag cell
        written as a JSON list, a value a converter refuses."""
        if self.mapper.tag_column is not None:
            json_tags = accepted.select(pl.col(self.mapper.tag_column).str.starts_with("[")).to_series()
            for index in np.flatnonzero(json_tags.fill_null(False).to_numpy()).tolist():
                made[index] = None
        if self.typed:
            for index, cells in enumerate(accepted.select(column for column, _, _ in self.typed).rows()):
                payload = made[index]
                if payload is not None and not self._convert(cells, payload):
                    made[index] = None

    def _fields(self, phone: pl.Expr) -> list[pl.Expr]:
        """Core text fields, the full name, text attributes and tags, each named as in the payload."""
        fields = {field: pl.coalesce([_text(column) for column in columns]) for field, columns in self.text}
        fields["full_name"] = self._full_name(fields, phone)
        expressions = [expression.alias(field) for field, expression in fields.items()]
        expressions += [_text(column).alias(name) for column, name in self.text_attributes]
        if self._tag_sources():
            expressions.append(self._tags().alias("tags"))
        return expressions

    def _full_name(self, fields: dict[str, pl.Expr], phone: pl.Expr) -> pl.Expr:
        """The full name's own cell, else its parts joined (or the number, with ``missing_name = "phone"``)."""
        parts = [fields[part] for part in ("first_name", "last_name") if part in fields]
        joined = pl.concat_str(parts, separator=" ", ignore_nulls=True) if parts else pl.lit("")
        if self.mapper.mapping.missing_name == "phone":
            number = pl.lit("+") + phone.cast(pl.String)
            joined = pl.when(joined != "").then(joined).otherwise(number)
        own = fields.get("full_name")
        return joined if own is None else pl.coalesce([own, joined])

    def _tag_sources(self) -> list[tuple[str, bool]]:
        """(column, split) for every column tags are read from, in the mapper's order."""
        mapper = self.mapper
        columns = ([mapper.tag_column] if mapper.tag_column is not None else []) + mapper.tag_columns
        return [(column, column == mapper.tag_column) for column in columns]

    def _tags(self) -> pl.Expr:
        """The row's tags as the mapper lists them; null where there are none (no ``tags`` key)."""
        sources = self._tag_sources()
        separator = self.mapper.mapping.tags.separator
        lists = []
        for column, split in sources:
            text = _text(column)
            if split:
                parts = text.str.split(separator).list.eval(pl.element().str.strip_chars(PY_SPACE_CHARS))
            else:
                parts = pl.concat_list([text])
            lists.append(parts.fill_null(NO_TAGS))
        tag = pl.element()
        kept = tag.is_not_null() & (tag != "")
        for prefix in self.mapper.mapping.tags.ignore_starting_with:
            kept = kept & ~tag.str.starts_with(prefix)
        tags = pl.concat_list(lists).list.eval(tag.filter(kept)).list.unique(maintain_order=True)
        return pl.when(tags.list.len() > 0).then(tags)

    def _convert(self, cells: tuple[Any, ...], payload: dict[str, Any]) -> bool:
        """The typed attributes into ``payload`` by the mapper's converters; False where one refuses a value
        (the mapper words the refusal)."""
        for (_, name, convert), value in zip(self.typed, cells, strict=True):
            if value is None or not value.strip():
                continue
            try:
                payload[name] = convert(value)
            except EmptyValue:
                continue
            except ValueError:
                return False
        return True
