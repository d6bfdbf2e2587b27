"""Which rows of a batch the per-row mapper would certainly accept, and their phones, decided column-wise.

The per-row ``ContactMapper`` stays the one definition of what a row becomes. This module proves, with
Polars expressions over a whole batch, that a row is of the plain kind it would accept as it stands: text
cells, a phone that the phone rule (``phones``) reads as valid by libphonenumber's own rules
(``phone_rules``), a name, a well-formed email or none, attribute values its converters certainly take.
Those rows get their phone from here and skip the parser; every other row (a rejection, or a shape only the
full parser knows) is left to the per-row mapper, so every reason and every payload is exactly its own.

The phone rule's readings are judged three ways: valid, certainly invalid (the parser could not make it
valid either), or unknown. A choice between readings (the rule's (a), (b), (c)) is made here only when every
reading it passes over is certainly invalid; fallback columns and multi-value cells are decided when the
first non-empty cell's first value is valid; rows with a country column are judged region by region.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import phonenumbers
import polars as pl

from bulkcontacts.contacts.mapping import EMAIL, ContactMapper
from bulkcontacts.contacts.phone_rules import COUNTRY_CODES, valid_for
from bulkcontacts.contacts.phones import MAX_NATIONAL, MIN_NATIONAL, Home, home
from bulkcontacts.contacts.regions import names as region_names
from bulkcontacts.contacts.values import certainly_converts, certainly_empty

COUNTRY_CODE_PREFIX = "^(" + "|".join(str(code) for code in sorted(COUNTRY_CODES)) + ")"

# Python's whitespace (``str.isspace``: what ``str.strip`` and ``re``'s ``\s`` take), listed once (a test checks
# it), and spelt for Polars' regex engine, whose ``\s`` differs.
PY_SPACE_CHARS = (
    "\x09\x0a\x0b\x0c\x0d\x1c\x1d\x1e\x1f\x20\x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
PY_SPACE = "".join(f"\\x{{{ord(char):x}}}" for char in PY_SPACE_CHARS)
PLAIN_PHONE = r"^ *\(?\+?[0-9 \-.()/]*[0-9][0-9 \-.()/]* *$"  # ASCII only, at most one "+", at the start
SEPARATORS = r"[ \-.()/]"
PHONE = pl.Int64
SMALL_GROUP = 64  # rows of one country code below which Python judges them faster than a query


def _stripped(column: str) -> pl.Expr:
    return pl.col(column).str.strip_chars(PY_SPACE_CHARS)


def _empty(column: str) -> pl.Expr:
    return pl.col(column).is_null() | (_stripped(column) == "")


class FastPath:
    """Built once per run from the per-row mapper; ``phones(frame)`` per batch."""

    def __init__(self, mapper: ContactMapper) -> None:
        self.mapper = mapper
        mapping = mapper.mapping
        core = mapper.core_columns
        # Every column the mapper reads must be text for this path to decide (a Parquet float can be NaN).
        self.columns = {
            *(column for named in core.values() for column in named),
            *mapper.reject_when_set,
            *(column for column, _, _ in mapper.attributes),
            *([mapper.country_column] if mapper.country_column else []),
        }
        typed = [column for column, name, _ in mapper.attributes if name in mapping.types or column in mapping.types]
        checked = sorted({*self.columns} - {c for c, _, _ in mapper.attributes} | set(typed))  # what the query reads
        # The query names them column_0, column_1, …: a source column called "code" or "ok" meets no
        # column of the query's own.
        self.alias = {column: f"column_{index}" for index, column in enumerate(checked)}
        self.phone_columns = [self.alias[column] for column in core["phone_number"]]
        self.country = self.alias[mapper.country_column] if mapper.country_column else None
        self._row_checks = self._checks()

    def phones(self, frame: pl.DataFrame) -> pl.Series:
        """Per row: the phone the per-row mapper would send, where it certainly accepts the row; null where
        the per-row mapper must decide. Rows read by ``"auto"`` as national numbers though valid
        internationally too are counted in the mapper's ``ambiguous``."""
        schema = frame.schema
        if any(schema.get(column) != pl.String for column in self.columns):
            return pl.Series("phone", [None] * frame.height, dtype=PHONE)
        selected = frame.select(pl.col(column).alias(name) for column, name in self.alias.items())
        cells = selected.select(
            pl.int_range(pl.len(), dtype=pl.Int64).alias("at"),
            self._first_cell().alias("cell"),
            self._region().alias("region"),
            self._row_checks.alias("ok"),
        ).filter(pl.col("ok") & pl.col("cell").str.contains(PLAIN_PHONE) & pl.col("region").is_not_null())
        phones = pl.Series("phone", [None] * frame.height, dtype=PHONE)
        for (region,), part in cells.partition_by("region", as_dict=True, include_key=False).items():
            decided = _decide(part, home(str(region)), self.mapper.mapping.phone_without_plus)
            if decided.height:
                phones = phones.scatter(decided["at"], decided["phone"])
                self._count_ambiguous(decided.filter(pl.col("other").is_not_null()), str(region))
        return phones

    def _count_ambiguous(self, ambiguous: pl.DataFrame, region: str) -> None:
        if ambiguous.height:
            first = ambiguous.row(0, named=True)
            self.mapper.ambiguous.add(ambiguous.height, first["cell"].strip(), first["phone"], first["other"], region)

    def _first_cell(self) -> pl.Expr:
        """The first non-empty phone cell's first value (the per-row rule tries the others only when it is
        not a valid number: those rows are left to it)."""
        cell = pl.coalesce([pl.when(~_empty(column)).then(pl.col(column)) for column in self.phone_columns])
        separator = self.mapper.mapping.multi_value_separator
        split = cell.str.split(separator).list.first()
        return pl.when(cell.str.contains(separator, literal=True)).then(split).otherwise(cell)

    def _region(self) -> pl.Expr:
        """Each row's region: its country column's (null where it names no country: the mapper rejects it)."""
        default = self.mapper.mapping.default_country
        if self.country is None:
            return pl.lit(default)
        named = region_names()
        key = _stripped(self.country).str.to_lowercase().str.replace_all(" +", " ")
        known = key.replace_strict(list(named), list(named.values()), default=None, return_dtype=pl.String)
        return pl.when(_empty(self.country)).then(pl.lit(default)).otherwise(known)

    # -- everything but the phone --------------------------------------------------------------------------

    def _checks(self) -> pl.Expr:
        """True where nothing but the phone could make the per-row mapper reject the row."""
        mapper, mapping, alias = self.mapper, self.mapper.mapping, self.alias
        checks = [_empty(alias[column]) for column in mapper.reject_when_set]
        core = {field: [alias[column] for column in named] for field, named in mapper.core_columns.items()}
        if mapping.missing_name != "phone":
            names = ("full_name", "first_name", "last_name")
            named = [~_empty(column) for field in names for column in core.get(field, [])]
            checks.append(pl.any_horizontal(named) if named else pl.lit(False))
        if "email" in core:  # the first non-empty email column is the one sent
            pattern = EMAIL.pattern.replace(r"\s", PY_SPACE)
            first = pl.coalesce([pl.when(~_empty(column)).then(_stripped(column)) for column in core["email"]])
            checks.append(first.is_null() | first.str.contains(pattern))
        for column, name, _ in mapper.attributes:
            kind = mapping.types.get(name, mapping.types.get(column, "as-is"))
            if kind not in ("as-is", "string"):  # text as text never fails: no check (thousands of columns)
                checks.append(
                    _empty(alias[column])
                    | certainly_converts(_stripped(alias[column]), kind, mapper.value_options)
                    | certainly_empty(_stripped(alias[column]), kind)
                )
        return pl.all_horizontal(checks) if checks else pl.lit(True)


def _decide(part: pl.DataFrame, place: Home, policy: str) -> pl.DataFrame:
    """(at, cell, phone, other) of the rows of one region whose phone the rule certainly reads as valid;
    ``other``: the international reading ``"auto"`` passed over (an ambiguous row), else null."""
    if not place.code:
        return part.select("at", "cell", phone=pl.lit(None, PHONE), other=pl.lit(None, PHONE)).clear()
    readings = _readings(part, place)
    judged = readings.join(_validity(readings, "p"), on="at", how="left")
    judged = judged.join(_validity(readings, "h"), on="at", how="left")
    p_number = (pl.col("p_code").cast(pl.String) + pl.col("p_national")).cast(PHONE)
    h_number = (pl.lit(str(place.code)) + pl.col("h_national")).cast(PHONE)
    p_valid, h_valid = pl.col("p_valid").fill_null(False), pl.col("h_valid").fill_null(False)
    p_invalid, h_invalid = (~pl.col("p_valid")).fill_null(False), (~pl.col("h_valid")).fill_null(False)
    kind = pl.col("kind")
    bare = kind == "bare"
    dropped_plus = bare & p_valid & (pl.col("p_code") == place.code)
    undropped = bare & (p_invalid | (pl.col("p_code") != place.code).fill_null(False))  # (a) certainly not
    choices = [((kind == "international") & p_valid, p_number), ((kind == "trunk") & h_valid, h_number)]
    other = pl.lit(None, PHONE)
    if policy == "international":
        choices += [(bare & p_valid, p_number), (bare & p_invalid & h_valid, h_number)]
    elif policy == "national":
        choices += [(bare & h_valid, h_number), (bare & h_invalid & p_valid, p_number)]
    else:
        both = undropped & h_valid & p_valid
        choices.append((dropped_plus, p_number))
        if policy == "auto":  # strict leaves both to the per-row path, which refuses them
            choices.append((both, h_number))
            other = _first_of([(both, p_number)])
        choices += [(undropped & h_valid & p_invalid, h_number), (undropped & h_invalid & p_valid, p_number)]
    phone = _first_of(choices)
    return judged.select("at", "cell", phone=phone, other=other).filter(pl.col("phone").is_not_null())


def _first_of(choices: list[tuple[pl.Expr, pl.Expr]]) -> pl.Expr:
    """The value of the first condition that holds, else null."""
    chain: Any = pl
    for condition, value in choices:
        chain = chain.when(condition).then(value)
    return chain.otherwise(None)  # type: ignore[no-any-return]


def _readings(part: pl.DataFrame, place: Home) -> pl.DataFrame:
    """Each row's kind (international, trunk, bare digits) and its readings: ``p`` the international one
    (country code, national number), ``h`` the national number in the region (when its parser strips only
    the trunk prefix; null otherwise)."""
    digits = pl.col("digits")
    if place.idd is not None:
        idd = digits.str.extract(f"^({place.idd.pattern})", 1)
        after = digits.str.slice(idd.str.len_chars().fill_null(0))
        dialled = idd.is_not_null() & (after.str.len_chars() > 0) & ~after.str.starts_with("0")
    else:
        after, dialled = digits, pl.lit(False)
    plus = digits.str.starts_with("+")
    trunk = digits.str.starts_with(place.trunk) if place.trunk else pl.lit(False)
    staged = part.with_columns(digits=pl.col("cell").str.replace_all(SEPARATORS, "")).with_columns(
        kind=pl.when(plus | dialled)
        .then(pl.lit("international"))
        .when(trunk)
        .then(pl.lit("trunk"))
        .otherwise(pl.lit("bare")),
        international=pl.when(plus).then(digits.str.slice(1)).when(dialled).then(after).otherwise(digits),
    )
    kind = pl.col("kind")
    code = pl.col("international").str.extract(COUNTRY_CODE_PREFIX, 1)
    return staged.with_columns(
        p_code=pl.when(kind != "trunk").then(code.cast(pl.Int64)),
        p_national=pl.col("international").str.slice(code.str.len_chars().fill_null(0)),
        h_code=pl.lit(place.code, pl.Int64),
        h_national=_national(place),
    )


def _national(place: Home) -> pl.Expr:
    """The national number the region's parser reads from a trunk or bare row, where it certainly strips
    exactly the trunk prefix (or nothing); null where it may strip or rewrite more (the per-row path's)."""
    digits, kind = pl.col("digits"), pl.col("kind")
    if place.simple:
        stripped = digits.str.slice(len(place.trunk))
        return pl.when(kind == "trunk").then(stripped).when(kind == "bare").then(digits)
    prefix = digits.str.extract(f"^({place.parsing})", 1) if place.parsing else pl.lit(None, pl.String)
    choices = [((kind == "bare") & prefix.is_null(), digits)]
    if place.trunk and not place.transform:
        choices.append(((kind == "trunk") & (prefix == place.trunk), digits.str.slice(len(place.trunk))))
    return _first_of(choices)


def _validity(readings: pl.DataFrame, which: str) -> pl.DataFrame:
    """(at, {which}_valid) for one reading of every row: true (libphonenumber calls it valid), false (and
    its parser could not make it valid either), null (unknown: the per-row path decides)."""
    name = f"{which}_valid"
    frame = readings.select("at", code=pl.col(f"{which}_code"), national=pl.col(f"{which}_national"))
    judged = [frame.filter(pl.col("code").is_null()).select("at", pl.lit(False).alias(name))]  # no country code
    for (code,), group in frame.filter(pl.col("code").is_not_null()).partition_by("code", as_dict=True).items():
        if group.height >= SMALL_GROUP:
            judged.append(group.select("at", _judged(int(code)).alias(name)))
        else:  # a query costs milliseconds whatever its size: a few rows are judged one by one, alike
            verdicts = [_judged_one(int(code), national) for national in group["national"]]
            judged.append(group.select("at", pl.Series(name, verdicts, dtype=pl.Boolean)))
    return pl.concat(judged)


def _judged_one(code: int, national: str | None) -> bool | None:
    """``_judged`` for one number."""
    if national is None or national.startswith("0") or not MIN_NATIONAL <= len(national) <= MAX_NATIONAL:
        return None
    if valid_for(code) is None:
        return None
    if phonenumbers.is_valid_number(phonenumbers.PhoneNumber(country_code=code, national_number=int(national))):
        return True
    stripping = _parsing_prefix(code)
    return None if stripping and re.match(f"(?:{stripping})", national) else False


@functools.cache
def _judged(code: int) -> pl.Expr:
    national = pl.col("national")
    rule = valid_for(code)
    if rule is None:
        return pl.lit(None, pl.Boolean)
    sound = national.is_not_null() & ~national.str.starts_with("0")
    sound = sound & national.str.len_chars().is_between(MIN_NATIONAL, MAX_NATIONAL)
    stripping = _parsing_prefix(code)  # the parser strips it when that leaves a valid number
    certain = ~national.str.contains(f"^(?:{stripping})") if stripping else pl.lit(True)
    return pl.when(~sound).then(None).when(rule).then(True).when(certain).then(False).otherwise(None)


def _parsing_prefix(code: int) -> str | None:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(phonenumbers.region_code_for_country_code(code))
    return metadata.national_prefix_for_parsing if metadata is not None else None
