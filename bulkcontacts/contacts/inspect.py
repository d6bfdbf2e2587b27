"""What ``bulkcontacts init`` learns of a contacts file, column-wise over every batch: pure functions.

``FileStats.add`` takes each batch's frame (String columns) and counts, per column, the filled cells and the
cells shaped like a phone number, an email, a number with a decimal comma or point, a date, a yes/no word or a
country; it keeps a systematic sample (spread over the whole file) of the phone- and date-shaped cells, which
``bulkcontacts.contacts.decide`` reads one by one. Nothing here reads a file.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import polars as pl

from bulkcontacts.contacts.columnar import country_key
from bulkcontacts.contacts.mapping import EMAIL
from bulkcontacts.contacts.regions import names
from bulkcontacts.contacts.values import ValueOptions, certainly_converts

PHONE_SAMPLE = 20_000  # per column: the cells read by the phone rule
DATE_SAMPLE = 2_000  # per column: the cells the date converter tries
PHONE_SEPARATORS = r"[\s\-()\[\]]"
PHONE_SHAPE = r"^\+?[0-9]{7,16}$"  # after the separators are removed
INTERNATIONAL = r"^(?:\+|00)"
DATE_SHAPE = r"^(?:[0-9]{1,4}[./-][0-9]{1,2}[./-][0-9]{1,4}|[0-9]{4}-[0-9]{2}-[0-9]{2}[T ].*)$"
GROUPS_ONLY = r"^[+-]?[0-9]{1,3}[.,][0-9]{3}$"  # 1,234 or 1.234: either mark could be the decimal one
COMMA_DECIMAL = r"^[+-]?(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+),[0-9]+$"  # 99,90  1.234,56
TAG_SEPARATORS = (" ::: ", ";", "|", ",")
POINT_DECIMAL = r"^[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)\.[0-9]+$"  # 99.90  1,234.56


@dataclass
class Sampler:
    """Every ``step``-th value seen, the step doubling whenever more than ``cap`` are kept: a sample spread
    evenly over the whole file, whatever its length."""

    cap: int
    step: int = 1
    seen: int = 0
    values: list[str] = field(default_factory=list)

    def add(self, series: pl.Series) -> None:
        offset = (-self.seen) % self.step
        if offset < len(series):
            self.values.extend(series.gather_every(self.step, offset).to_list())
        self.seen += len(series)
        while len(self.values) > self.cap:
            self.values = self.values[::2]
            self.step *= 2

    @property
    def complete(self) -> bool:
        return self.step == 1


@dataclass
class ColumnStats:
    """One column's counts over the whole file (cells counted after stripping; empty cells not at all)."""

    filled: int = 0
    phones: int = 0  # 7-16 digits once spaces, dashes and brackets are removed, with or without "+"
    international: int = 0  # of those, written with "+" or "00"
    emails: int = 0
    countries: int = 0  # cells naming a region (code or English name)
    booleans: int = 0  # yes/no words the boolean converter takes
    dates: int = 0  # date-shaped
    comma: int = 0  # numbers whose decimal mark is certainly ","
    point: int = 0  # ... certainly "."
    as_comma: int = 0  # cells the number converter certainly reads with decimal = ","
    as_point: int = 0  # ... with decimal = "."
    separators: dict[str, int] = field(default_factory=dict)  # cells holding each tag separator
    phone_sample: Sampler = field(default_factory=lambda: Sampler(PHONE_SAMPLE))
    date_sample: Sampler = field(default_factory=lambda: Sampler(DATE_SAMPLE))
    country_sample: Sampler = field(default_factory=lambda: Sampler(DATE_SAMPLE))  # cells naming a region

    def add(self, series: pl.Series) -> None:
        text = series.cast(pl.String, strict=False).str.strip_chars()
        text = text.filter(text.is_not_null() & (text != ""))
        if text.is_empty():
            return
        self.filled += len(text)
        dated = text.str.contains(DATE_SHAPE)
        compact = text.str.replace_all(PHONE_SEPARATORS, "")
        phoned = compact.str.contains(PHONE_SHAPE) & ~dated
        self.phones += int(phoned.sum())
        self.international += int((phoned & compact.str.contains(INTERNATIONAL)).sum())
        self.phone_sample.add(text.filter(phoned))
        self.dates += int(dated.sum())
        self.date_sample.add(text.filter(dated))
        self.emails += int(text.str.contains(EMAIL.pattern).sum())
        named = text.to_frame("cell").select(country_key(pl.col("cell")).is_in(_known_regions())).to_series()
        self.countries += int(named.sum())
        self.country_sample.add(text.filter(named))
        self._add_typed(text)

    def _add_typed(self, text: pl.Series) -> None:
        either = text.str.contains(GROUPS_ONLY)
        self.comma += int((text.str.contains(COMMA_DECIMAL) & ~either).sum())
        self.point += int((text.str.contains(POINT_DECIMAL) & ~either).sum())
        frame = text.to_frame("cell")
        proofs = frame.select(
            certainly_converts(pl.col("cell"), "boolean", ValueOptions()).sum().alias("boolean"),
            certainly_converts(pl.col("cell"), "number", ValueOptions(decimal=",")).sum().alias("comma"),
            certainly_converts(pl.col("cell"), "number", ValueOptions(decimal=".")).sum().alias("point"),
        ).row(0)
        for separator in TAG_SEPARATORS:
            found = int(text.str.contains(separator, literal=True).sum())
            self.separators[separator] = self.separators.get(separator, 0) + found
        self.booleans += int(proofs[0])
        self.as_comma += int(proofs[1])
        self.as_point += int(proofs[2])

    def share(self, count: int) -> float:
        return count / self.filled if self.filled else 0.0


@functools.cache
def _known_regions() -> pl.Series:
    return pl.Series(sorted(names()), dtype=pl.String).implode()


@dataclass
class FileStats:
    """Every column's ``ColumnStats``, in the file's order, and the number of rows seen."""

    columns: list[str]
    rows: int = 0
    by_column: dict[str, ColumnStats] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_column = {name: ColumnStats() for name in self.columns}

    def add(self, frame: pl.DataFrame) -> None:
        self.rows += frame.height
        for name in self.columns:
            if name in frame.columns:
                self.by_column[name].add(frame.get_column(name))

    def __getitem__(self, name: str) -> ColumnStats:
        return self.by_column[name]
