"""Which rows of a batch the per-row mapper would certainly accept, and their phones, decided column-wise.

The per-row ``ContactMapper`` stays the one definition of what a row becomes. This module proves, with
Polars expressions over a whole batch, that a row is of the plain kind it would accept as it stands: text
cells, a phone in one of the common shapes that libphonenumber's own rules (``phone_rules``) call valid, a
name, a well-formed email or none, attribute values its converters certainly take. Those rows get their
phone from here and skip the parser; every other row (a rejection, or a shape only the full parser knows) is
left to the per-row mapper, so every reason and every payload is exactly its own.
"""

from __future__ import annotations

import polars as pl

from bulkcontacts.contacts.mapping import EMAIL, FALSE_WORDS, TRUE_WORDS, ContactMapper
from bulkcontacts.contacts.phone_rules import COUNTRY_CODES, region_codes, valid_for

COUNTRY_CODE_PREFIX = "^(" + "|".join(str(code) for code in sorted(COUNTRY_CODES)) + ")"

# Python's whitespace (``str.isspace``: what ``str.strip`` and ``re``'s ``\s`` take), listed once (a test checks
# it), and spelt for Polars' regex engine, whose ``\s`` differs.
PY_SPACE_CHARS = (
    "\x09\x0a\x0b\x0c\x0d\x1c\x1d\x1e\x1f\x20\x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
PY_SPACE = "".join(f"\\x{{{ord(char):x}}}" for char in PY_SPACE_CHARS)
PLAIN_PHONE = r"^ *\+?[0-9 \-.()/]*[0-9][0-9 \-.()/]* *$"  # ASCII only, at most one "+", at the start
SEPARATORS = r"[ \-.()/]"
NUMBER = r"^[+-]?(?:[0-9]{1,300}(?:\.[0-9]{0,300})?|\.[0-9]{1,300})$"  # never past float's range
INTEGER = r"^[+-]?[0-9]{1,300}$"
DATE = r"^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}$"


def _stripped(column: str) -> pl.Expr:
    return pl.col(column).str.strip_chars(PY_SPACE_CHARS)


def _empty(column: str) -> pl.Expr:
    return pl.col(column).is_null() | (_stripped(column) == "")


class FastPath:
    """Built once per run from the per-row mapper; ``phones(frame)`` per batch."""

    def __init__(self, mapper: ContactMapper) -> None:
        self.mapper = mapper
        mapping = mapper.mapping
        # Every column the mapper reads must be text for this path to decide (a Parquet float can be NaN).
        self.columns = {
            *mapper.core_columns.values(),
            *mapper.reject_when_set,
            *(column for column, _, _ in mapper.attributes),
        }
        typed = [column for column, name, _ in mapper.attributes if name in mapping.types or column in mapping.types]
        checked = sorted({*mapper.core_columns.values(), *mapper.reject_when_set, *typed})  # what the query reads
        # The query names them column_0, column_1, …: a source column called "code" or "ok" meets no
        # column of the query's own.
        self.alias = {column: f"column_{index}" for index, column in enumerate(checked)}
        self.phone_column = self.alias[mapper.core_columns["phone_number"]]
        self.country_code, self.trunk = region_codes(mapping.default_country)
        self._row_checks = self._checks()

    def phones(self, frame: pl.DataFrame) -> pl.Series:
        """Per row: the phone the per-row mapper would send, where it certainly accepts the row; null where
        the per-row mapper must decide. One query for the default region's numbers; numbers written with
        another country code are judged by that code's rules afterwards."""
        schema = frame.schema
        if any(schema.get(column) != pl.String for column in self.columns) or not self.country_code:
            return pl.Series("phone", [None] * frame.height, dtype=pl.Int64)
        code, national = pl.col("code"), pl.col("national")
        home = valid_for(self.country_code)
        split = (
            # Only what it reads: files can be thousands of columns wide.
            self._phone_parts(frame.select(pl.col(column).alias(name) for column, name in self.alias.items()).lazy())
            .with_columns(
                ok=self._row_checks,
                valid=pl.when(code == self.country_code).then(home if home is not None else False).otherwise(None),
            )
            .select(
                "code",
                "national",
                phone=pl.when(pl.col("ok") & pl.col("valid"))
                .then((code.cast(pl.String) + national).cast(pl.Int64))
                .otherwise(None),
                elsewhere=pl.col("ok") & (code != self.country_code),
            )
            .collect()
        )
        if not split["elsewhere"].any():
            return split["phone"]
        return self._other_codes(split)

    def _other_codes(self, split: pl.DataFrame) -> pl.Series:
        """The phones of rows whose number has another country code, each code by its own rules."""
        phones: list[int | None] = split["phone"].to_list()
        rows = split.with_row_index("at").filter(pl.col("elsewhere"))
        for (code,), group in rows.group_by("code"):
            rule = valid_for(int(code))
            if rule is None:
                continue
            valid = group.select(rule.fill_null(False)).to_series()
            for at, national in zip(group.filter(valid)["at"], group.filter(valid)["national"], strict=True):
                phones[at] = int(f"{code}{national}")
        return pl.Series("phone", phones, dtype=pl.Int64)

    # -- the phone ----------------------------------------------------------------------------------------

    def _phone_parts(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        """(country code, national number) as the quick path of ``normalize_phone`` reads them, where the
        phone is plain; nulls elsewhere. Country codes are a prefix code: at most one starts a number."""
        raw = pl.col(self.phone_column)
        staged = frame.with_columns(
            digits=raw.str.replace_all(SEPARATORS, ""), plain=raw.str.contains(PLAIN_PHONE)
        ).with_columns(international=pl.col("digits").str.starts_with("+"), rest=pl.col("digits").str.slice(1))
        trunk, digits = self.trunk, pl.col("digits")
        here = digits
        if trunk:
            trunk_written = digits.str.starts_with(trunk) & ~digits.str.starts_with(trunk * 2)
            here = pl.when(trunk_written).then(digits.str.slice(len(trunk))).otherwise(digits)
        international = pl.col("international")
        staged = staged.with_columns(
            code=pl.when(international)
            .then(pl.col("rest").str.extract(COUNTRY_CODE_PREFIX))
            .otherwise(pl.lit(str(self.country_code)))
        ).with_columns(
            national=pl.when(international)
            .then(pl.col("rest").str.slice(pl.col("code").str.len_chars()))
            .otherwise(here)
        )
        national = pl.col("national")
        sound = pl.col("plain") & ~national.str.starts_with("0") & national.str.len_chars().is_between(4, 14)
        return staged.select(
            pl.when(sound).then(pl.col("code").cast(pl.Int64)).alias("code"),
            pl.when(sound).then(national).alias("national"),
            *[pl.col(name) for name in self.alias.values()],
        )

    # -- everything but the phone --------------------------------------------------------------------------

    def _checks(self) -> pl.Expr:
        """True where nothing but the phone could make the per-row mapper reject the row."""
        mapper, mapping, alias = self.mapper, self.mapper.mapping, self.alias
        checks = [_empty(alias[column]) for column in mapper.reject_when_set]
        core = {field: alias[column] for field, column in mapper.core_columns.items()}
        if mapping.missing_name != "phone":
            named = [~_empty(core[field]) for field in ("full_name", "first_name", "last_name") if field in core]
            checks.append(pl.any_horizontal(named) if named else pl.lit(False))
        if "email" in core:
            email = EMAIL.pattern.replace(r"\s", PY_SPACE)
            checks.append(_empty(core["email"]) | _stripped(core["email"]).str.contains(email))
        for column, name, _ in mapper.attributes:
            kind = mapping.types.get(name, mapping.types.get(column, "as-is"))
            if kind not in ("as-is", "string"):  # text as text never fails: no check (thousands of columns)
                checks.append(_empty(alias[column]) | _converts(alias[column], kind))
        return pl.all_horizontal(checks) if checks else pl.lit(True)


def _converts(column: str, kind: str) -> pl.Expr:
    """Where the attribute's converter certainly takes the (non-empty) text."""
    text = _stripped(column)
    if kind == "number":
        return text.str.replace_all(",", "").str.contains(NUMBER)
    if kind == "integer":
        return text.str.replace_all(",", "").str.contains(INTEGER)
    if kind == "boolean":  # ASCII only: Python's and Polars' lower-casing agree there
        return text.str.contains("^[A-Za-z0-9]+$") & text.str.to_lowercase().is_in(sorted(TRUE_WORDS | FALSE_WORDS))
    if kind == "date":
        return text.str.contains(DATE) & text.str.to_date("%Y-%m-%d", strict=False).is_not_null()
    return pl.lit(False)
