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

import numpy as np
import phonenumbers
import polars as pl

from bulkcontacts.contacts.mapping import EMAIL, ContactMapper
from bulkcontacts.contacts.phone_rules import COUNTRY_CODES, ascii_digits, metadata_of, python_rule, valid_for
from bulkcontacts.contacts.phones import MAX_NATIONAL, MIN_NATIONAL, Home, home
from bulkcontacts.contacts.regions import names as region_names
from bulkcontacts.contacts.values import certainly_converts, certainly_empty

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
SMALL_GROUP = 2_000  # rows of one country code below which Python judges them faster than a query


def country_key(text: pl.Expr) -> pl.Expr:
    """A cell as ``regions.region_of`` looks it up: whitespace runs as one space (Python's ``split`` and
    ``join``), trimmed, lower case (alike in both engines for ASCII text)."""
    return text.str.replace_all(f"[{PY_SPACE}]+", " ").str.strip_chars(" ").str.to_lowercase()


def _stripped(column: str) -> pl.Expr:
    return pl.col(column).str.strip_chars(PY_SPACE_CHARS)


def _empty(column: str) -> pl.Expr:
    return pl.col(column).is_null() | (_stripped(column) == "")


class FastPath:
    """Built once per run from the per-row mapper; ``outcomes(frame)`` (or ``phones(frame)``) per batch."""

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
        self._facts = [
            self._sole_value().alias("sole"),
            pl.col("cell").str.contains(PLAIN_PHONE).alias("plain"),
            pl.col("filled").is_null().alias("no_phone"),
            *self._region(),
            self._set_code().alias("set_code"),
            self._named().alias("named"),
            self._email().alias("email_ok"),
            self._attributes().alias("attributes_ok"),
        ]

    def phones(self, frame: pl.DataFrame) -> pl.Series:
        """Per row: the phone the per-row mapper would send, where it certainly accepts the row; null where
        it must decide (or certainly refuses the row)."""
        return self.outcomes(frame)["phone"]

    def outcomes(self, frame: pl.DataFrame, first: int | None = None) -> pl.DataFrame:
        """Per row, ``phone``: the phone the per-row mapper would send where it certainly accepts the row;
        ``code``: the reason code it would give where it certainly refuses it; both null where it must
        decide. Accepted rows that ``"auto"`` read as national numbers though valid internationally too are
        counted in the mapper's ``ambiguous`` (``first``: the frame's first row number, so that only the rows
        the run owns count)."""
        schema = frame.schema
        if any(schema.get(column) != pl.String for column in self.columns):
            return pl.DataFrame(
                {"phone": [None] * frame.height, "code": [None] * frame.height}, {"phone": PHONE, "code": pl.String}
            )
        facts = (  # lazy: the optimiser computes each repeated test (a cell's emptiness, say) once
            frame.lazy()
            .select(pl.col(column).alias(name) for column, name in self.alias.items())
            .with_columns(self._first_filled().alias("filled"))
            .with_columns(_first_value(pl.col("filled"), self.mapper.mapping.multi_value_separator).alias("cell"))
            .select(pl.int_range(pl.len(), dtype=pl.Int64).alias("at"), "cell", *self._facts)
            .collect()
        )
        odd = facts.filter(~pl.col("plain").fill_null(True))  # few: the others are plain phones or none
        unreadable = odd.select("at", unreadable=_unreadable(pl.col("cell").str.strip_chars(PY_SPACE_CHARS)))
        facts = facts.join(unreadable, on="at", how="left", maintain_order="left")  # rows stay in file order
        judged = self._judge_phones(facts)
        decided = (
            facts.lazy()
            .join(judged.lazy(), on="at", how="left", maintain_order="left")
            .select("at", *_verdict(self.mapper.mapping.phone_without_plus))
            .collect()
        )
        accepted = decided.filter(pl.col("phone").is_not_null() & pl.col("other").is_not_null())
        if accepted.height:
            example = accepted.row(0, named=True)
            rows = accepted.height if first is None else (accepted["at"] + first).to_list()
            self.mapper.ambiguous.add(
                rows, example["cell"].strip(), example["phone"], example["other"], example["region"]
            )
        return decided.select("phone", "code")

    def _judge_phones(self, facts: pl.DataFrame) -> pl.DataFrame:
        """(at, number, other, invalid, ambiguous) of the rows whose phone the rule certainly reads one way."""
        plain = facts.filter(pl.col("sole").is_not_null() & pl.col("plain") & pl.col("region").is_not_null())
        policy = self.mapper.mapping.phone_without_plus
        parts = [
            _decide(part.select("at", "cell", "sole"), home(str(region)), policy)
            for (region,), part in plain.partition_by("region", as_dict=True).items()
        ]
        return pl.concat(parts) if parts else _decide(plain.select("at", "cell", "sole"), home(""), policy)

    def _first_filled(self) -> pl.Expr:
        """The first non-empty phone cell (the per-row rule tries the others only when it holds no valid
        number: those rows are left to it)."""
        columns = self.phone_columns
        cell: pl.Expr = pl.when(~_empty(columns[0])).then(pl.col(columns[0]))
        if len(columns) > 1:
            cell = pl.coalesce([pl.when(~_empty(column)).then(pl.col(column)) for column in columns])
        return cell

    def _sole_value(self) -> pl.Expr:
        """True where the first value is the row's only phone value (so its failure is the row's), false
        where others follow it; null where there is no phone at all."""
        separator = self.mapper.mapping.multi_value_separator
        several = pl.col("filled").str.contains(separator, literal=True)
        if len(self.phone_columns) > 1:
            filled = pl.sum_horizontal((~_empty(column)).cast(pl.Int32) for column in self.phone_columns)
            several = several | (filled > 1)
        return pl.when(pl.col("filled").is_null()).then(None).otherwise(~several)

    def _region(self) -> list[pl.Expr]:
        """``region``: each row's (its country column's, else the default), null where unknown or unsure;
        ``unknown_country``: the per-row mapper certainly knows no such country."""
        default = self.mapper.mapping.default_country
        if self.country is None:
            return [pl.lit(default).alias("region"), pl.lit(False).alias("unknown_country")]
        named = region_names()
        key = country_key(pl.col(self.country))
        ascii_key = key.str.contains("^[ -~]*$")  # Polars' and Python's lower-casing agree on ASCII
        known = key.replace_strict(list(named), list(named.values()), default=None)
        empty = _empty(self.country)
        return [
            pl.when(empty).then(pl.lit(default)).when(ascii_key).then(known).alias("region"),
            (~empty & ascii_key & known.is_null()).alias("unknown_country"),
        ]

    # -- everything but the phone --------------------------------------------------------------------------

    def _set_code(self) -> pl.Expr:
        """The code of the first ``reject_when_set`` column holding a value (checked before anything else)."""
        columns = self.mapper.reject_when_set
        set_code = _first_of([(~_empty(self.alias[column]), pl.lit(f"{column}_set")) for column in columns])
        return set_code.cast(pl.String)

    def _named(self) -> pl.Expr:
        if self.mapper.mapping.missing_name == "phone":
            return pl.lit(True)
        core = self.mapper.core_columns
        names = [
            self.alias[column] for field in ("full_name", "first_name", "last_name") for column in core.get(field, [])
        ]
        return pl.any_horizontal(~_empty(column) for column in names) if names else pl.lit(False)

    def _email(self) -> pl.Expr:
        """True where the email sent (the first non-empty) is well formed or there is none, false where it
        certainly is not (ASCII: both regex engines read it alike), null where unsure."""
        if "email" not in self.mapper.core_columns:
            return pl.lit(True)
        columns = [self.alias[column] for column in self.mapper.core_columns["email"]]
        first = pl.coalesce([pl.when(~_empty(column)).then(_stripped(column)) for column in columns])
        # On ASCII text Python's ``\s`` is Rust's plus \x1c-\x1f: there both engines read ``EMAIL`` alike.
        well_formed = first.str.contains(EMAIL.pattern.replace(r"\s", r"\s\x1c-\x1f"))
        ascii_text = first.str.len_bytes() == first.str.len_chars()
        return pl.when(first.is_null()).then(True).when(ascii_text).then(well_formed)

    def _attributes(self) -> pl.Expr:
        """True where every typed attribute certainly converts (or is empty, or an empty marker)."""
        mapper, mapping, alias = self.mapper, self.mapper.mapping, self.alias
        checks = []
        for column, name, _ in mapper.attributes:
            kind = mapping.types.get(name, mapping.types.get(column, "as-is"))
            if kind not in ("as-is", "string"):  # text as text never fails: no check (thousands of columns)
                text = _stripped(alias[column])
                options = mapper.value_options
                checks.append(
                    _empty(alias[column]) | certainly_converts(text, kind, options) | certainly_empty(text, kind)
                )
        return pl.all_horizontal(checks) if checks else pl.lit(True)


def _first_value(cell: pl.Expr, separator: str) -> pl.Expr:
    """A cell's first value, where it holds several."""
    split = cell.str.split(separator).list.first()
    return pl.when(cell.str.contains(separator, literal=True)).then(split).otherwise(cell)


def _unreadable(text: pl.Expr) -> pl.Expr:
    """True where the per-row rule refuses the (ASCII, stripped) value before reading any number: characters
    a phone cannot have, no digit at all, or scientific notation that lost digits (``phones.read_phone``)."""
    allowed = f"^[0-9{PY_SPACE}\\-.()+/]+$"
    scientific = r"^[+-]?[0-9]+(?:[.,]([0-9]+))?[eE]([+-]?[0-9]+)$"  # phones.SCIENTIFIC, for ASCII
    written = text.str.extract(scientific, 1).str.len_chars().fill_null(0)
    exponent = text.str.extract(scientific, 2).cast(pl.Int32, strict=False)  # null past Int32: undecided
    lost_digits = (exponent > written).fill_null(False)  # 9.19877E+11: Decimal's exponent is positive
    characters = ~text.str.contains(scientific) & ~text.str.contains(allowed)
    no_digit = text.str.contains(allowed) & ~text.str.contains("[0-9]")
    ascii_text = text.str.contains("^[\\x00-\\x7f]*$")
    return (ascii_text & (characters | no_digit | lost_digits)).fill_null(False)


def _verdict(policy: str) -> list[pl.Expr]:
    """The row's outcome from its facts, checks in the per-row mapper's order: ``reject_when_set``, the
    country, the phone, the name, the email, the attributes. A check decides only when every check before it
    certainly passed."""
    number = pl.col("number")
    phone_bad = pl.col("no_phone") | pl.col("unreadable").fill_null(False) | pl.col("invalid").fill_null(False)
    code = _first_of(
        [
            (pl.col("set_code").is_not_null(), pl.col("set_code")),
            (pl.col("unknown_country"), pl.lit("unknown_country")),
            (pl.col("region").is_null(), pl.lit(None, pl.String)),
            (phone_bad & pl.col("sole").fill_null(True), pl.lit("bad_phone")),
            (
                pl.col("ambiguous").fill_null(False) & pl.col("sole") & pl.lit(policy == "strict"),
                pl.lit("ambiguous_phone"),
            ),
            (number.is_null(), pl.lit(None, pl.String)),
            (~pl.col("named"), pl.lit("no_name")),
            (~pl.col("email_ok").fill_null(True), pl.lit("bad_email")),
        ]
    )
    sure = pl.col("email_ok").fill_null(False) & pl.col("attributes_ok")
    accepted = code.is_null() & number.is_not_null() & pl.col("named") & sure
    return [
        pl.when(accepted).then(number).alias("phone"),
        code.alias("code"),
        pl.when(accepted).then(pl.col("other")).alias("other"),
        pl.col("cell"),
        pl.col("region"),
    ]


def _decide(part: pl.DataFrame, place: Home, policy: str) -> pl.DataFrame:
    """Per row of one region (columns at, cell): ``number``, the phone the rule certainly reads (null where
    unsure); ``other``, the international reading ``"auto"`` passed over (an ambiguous row); ``invalid``,
    true where every reading is certainly invalid; ``ambiguous``, both readings valid (``"strict"`` refuses)."""
    if not place.code:
        empty = {"at": pl.Int64, "number": PHONE, "other": PHONE, "invalid": pl.Boolean, "ambiguous": pl.Boolean}
        return pl.DataFrame(schema=empty)
    judged = _judged_readings(part, place, policy)
    # Too many digits for 64 bits: null (no valid number is that long, so no valid reading is lost).
    p_number = (pl.col("p_code").cast(pl.String) + pl.col("p_national")).cast(PHONE, strict=False)
    h_number = (pl.lit(str(place.code)) + pl.col("h_national")).cast(PHONE, strict=False)
    p_valid, p_invalid = pl.col("p_valid").fill_null(False), (~pl.col("p_valid")).fill_null(False)
    h_valid, h_invalid = pl.col("h_valid").fill_null(False), (~pl.col("h_valid")).fill_null(False)
    kind = pl.col("kind")
    bare, international, trunk = kind == BARE, kind == INTERNATIONAL, kind == TRUNK
    dropped_plus = bare & p_valid & (pl.col("p_code") == place.code)
    undropped = bare & (p_invalid | (pl.col("p_code") != place.code).fill_null(False))  # (a) certainly not
    both = undropped & h_valid & p_valid  # ambiguous: "auto" counts, "strict" refuses
    choices = [(international & p_valid, p_number), (trunk & h_valid, h_number)]
    other = pl.lit(None, PHONE)
    if policy == "international":
        choices += [(bare & p_valid, p_number), (bare & p_invalid & h_valid, h_number)]
    elif policy == "national":
        choices += [(bare & h_valid, h_number), (bare & h_invalid & p_valid, p_number)]
    else:
        choices.append((dropped_plus, p_number))
        if policy == "auto":  # strict leaves both to the per-row path, which refuses them
            choices.append((both, h_number))
            other = _first_of([(both, p_number)])
        choices += [(undropped & h_valid & p_invalid, h_number), (undropped & h_invalid & p_valid, p_number)]
    # A trunk number the parser may keep whole: certainly invalid only when too short even so.
    lengths = _lengths(place.code)
    short = pl.col("digits").str.len_chars() < min(lengths) if lengths else pl.lit(False)
    invalid = (international & p_invalid) | (trunk & short) | (bare & p_invalid & h_invalid)
    return judged.lazy().select("at", number=_first_of(choices), other=other, invalid=invalid, ambiguous=both).collect()


def _judged_readings(part: pl.DataFrame, place: Home, policy: str) -> pl.DataFrame:
    """The readings with their validity: the international one's everywhere, the national one's where the
    international one did not already decide the row."""
    readings = _readings(part, place)
    judged = readings.with_columns(p_valid=_validity(readings["p_code"], readings["p_national"]))
    p_valid, bare = pl.col("p_valid").fill_null(False), pl.col("kind") == BARE
    by_p = bare & p_valid if policy == "international" else bare & p_valid & (pl.col("p_code") == place.code)
    if policy == "national":
        return judged.with_columns(h_valid=_validity(judged["h_code"], judged["h_national"]))
    wanted = np.flatnonzero(judged.select(~((pl.col("kind") == INTERNATIONAL) | by_p)).to_series().to_numpy())
    h_valid = pl.Series("h_valid", dtype=pl.Boolean).extend_constant(None, judged.height)
    if len(wanted):
        h_valid = h_valid.scatter(
            wanted, _validity(judged["h_code"].gather(wanted), judged["h_national"].gather(wanted))
        )
    return judged.with_columns(h_valid)


def _first_of(choices: list[tuple[pl.Expr, pl.Expr]]) -> pl.Expr:
    """The value of the first condition that holds, else null."""
    if not choices:
        return pl.lit(None)
    chain: Any = pl
    for condition, value in choices:
        chain = chain.when(condition).then(value)
    return chain.otherwise(None)  # type: ignore[no-any-return]


INTERNATIONAL, TRUNK, BARE = 0, 1, 2  # a row's kind: with an international prefix, a trunk prefix, neither


def _readings(part: pl.DataFrame, place: Home) -> pl.DataFrame:
    """Each row's kind and its readings: ``p`` the international one (country code, national number), ``h``
    the national number in the region (where its parser certainly strips only the trunk prefix)."""
    digits = pl.col("digits")
    after, dialled = _dialled(place)
    plus = digits.str.starts_with("+")
    trunk = digits.str.starts_with(place.trunk) if place.trunk else pl.lit(False)
    kind = pl.when(plus | dialled).then(INTERNATIONAL).when(trunk).then(TRUNK).otherwise(BARE).cast(pl.Int8)
    international = pl.when(plus).then(digits.str.slice(1)).when(dialled).then(after).otherwise(digits)
    return (
        part.lazy()
        .with_columns(digits=pl.col("cell").str.replace_all(SEPARATORS, ""))
        .with_columns(kind=kind, international=international)
        .with_columns(
            code_text=_country_code(pl.col("international")),
            # No grouping written: only digits between the spaces (a plain cell: digits, separators, a "+").
            one_run=(pl.col("cell").str.strip_chars(" ").str.len_bytes() == pl.col("digits").str.len_bytes())
            & ~pl.col("digits").str.starts_with("+"),
        )
        .select(
            "at",
            "digits",
            "kind",
            # No international reading after a trunk prefix, nor for bare digits written with a national
            # grouping (but the region's own code: a dropped "+").
            p_code=pl.when(
                (pl.col("kind") == INTERNATIONAL)
                | (pl.col("kind") == BARE) & (pl.col("one_run") | (pl.col("code_text") == str(place.code)))
            ).then(pl.col("code_text").cast(pl.Int64)),
            p_national=pl.col("international").str.slice(pl.col("code_text").str.len_chars().fill_null(0)),
            h_code=pl.lit(place.code, pl.Int64),
            h_national=_national(place),
        )
        .collect()
    )


def _dialled(place: Home) -> tuple[pl.Expr, pl.Expr]:
    """(the digits after the region's international prefix, whether one was dialled), as ``Home.after_idd``."""
    digits = pl.col("digits")
    if len(place.idd_prefixes) == 1:  # "00": one plain prefix (most regions); ``after`` counts only where dialled
        prefix = place.idd_prefixes[0]
        after = digits.str.slice(len(prefix))
        return after, digits.str.starts_with(prefix) & (after.str.len_chars() > 0) & ~after.str.starts_with("0")
    if place.idd_prefixes:  # "00", "011": plain prefix tests
        written = _first_of([(digits.str.starts_with(prefix), pl.lit(len(prefix))) for prefix in place.idd_prefixes])
    elif place.idd is not None:
        written = digits.str.extract(f"^({ascii_digits(place.idd.pattern)})", 1).str.len_chars()
    else:
        return digits, pl.lit(False)
    after = digits.str.slice(written.fill_null(0))
    return after, written.is_not_null() & (after.str.len_chars() > 0) & ~after.str.starts_with("0")


def _country_code(digits: pl.Expr) -> pl.Expr:
    """The country code the digits start with, as text: one lookup of their first three characters."""
    starts, codes = _codes_by_start()
    return digits.str.slice(0, 3).replace_strict(starts, codes, default=None, return_dtype=pl.String)


@functools.cache
def _codes_by_start() -> tuple[pl.Series, pl.Series]:
    """Every string of one to three digits, and the country code it starts with (codes are a prefix code: at
    most one does; none starts with 0)."""
    table: dict[str, str] = {}
    for length in (1, 2, 3):
        for start in (str(number).zfill(length) for number in range(10**length)):
            found = (start[:size] for size in range(1, length + 1) if int(start[:size]) in COUNTRY_CODES)
            code = next(found, None) if start[0] != "0" else None
            if code is not None:
                table[start] = code
    return pl.Series(list(table), dtype=pl.String), pl.Series(list(table.values()), dtype=pl.String)


def _national(place: Home) -> pl.Expr:
    """The national number the region's parser reads from a trunk or bare row, where it certainly strips
    exactly the trunk prefix (or nothing); null where it may strip or rewrite more (the per-row path's)."""
    digits, kind = pl.col("digits"), pl.col("kind")
    if place.simple:
        stripped = digits.str.slice(len(place.trunk))
        return pl.when(kind == TRUNK).then(stripped).when(kind == BARE).then(digits)
    prefix = digits.str.extract(f"^({ascii_digits(place.parsing)})", 1) if place.parsing else pl.lit(None, pl.String)
    choices = [((kind == BARE) & prefix.is_null(), digits)]
    if place.trunk and not place.transform:
        choices.append(((kind == TRUNK) & (prefix == place.trunk), digits.str.slice(len(place.trunk))))
    return _first_of(choices)


def _validity(codes: pl.Series, nationals: pl.Series) -> pl.Series:
    """One reading's validity per row (in the rows' order): true (libphonenumber calls it valid), false (and
    its parser could not make it valid either), null (unknown: the per-row path decides). Lengths are
    screened for every code at once; the rules' patterns run only on numbers of a length they could accept,
    a query per code with many such rows, one by one for the rest (a query costs milliseconds, whatever its
    size)."""
    frame = pl.DataFrame({"code": codes, "national": nationals})
    screen = frame.select(_screen()).to_series().to_numpy()
    valid = pl.Series(np.zeros(len(screen), dtype=bool)).scatter(np.flatnonzero(screen == UNSURE), None)
    to_rule = np.flatnonzero(screen == TO_RULE)
    if not len(to_rule):
        return valid
    ruled = frame[to_rule]
    code_of = ruled["code"].to_numpy()
    found, sizes = np.unique(code_of, return_counts=True)
    rare = np.ones(len(to_rule), dtype=bool)
    for code in found[sizes >= SMALL_GROUP].tolist():
        rows = np.flatnonzero(code_of == code)
        rare[rows] = False
        valid = valid.scatter(to_rule[rows], ruled[rows].select(_ruled(code)).to_series())
    if rare.any():
        few = ruled.filter(pl.Series(rare))
        verdicts = [_ruled_one(code, national) for code, national in zip(few["code"], few["national"], strict=True)]
        valid = valid.scatter(to_rule[rare], pl.Series(verdicts, dtype=pl.Boolean))
    return valid


def _ruled_one(code: int, national: str) -> bool | None:
    """``_ruled`` for one screened number."""
    rule = python_rule(code)
    assert rule is not None  # screened: only codes with rules come here
    if national.startswith("0") and _parsing_prefix(code) == "0":  # kept or stripped, whichever is viable
        either = rule(national) or national[1:].startswith("0") or rule(national[1:])
        return None if either else False
    if rule(national):
        return True
    stripping = _stripping(code)
    return None if stripping is not None and stripping.match(national) else False


@functools.cache
def _stripping(code: int) -> re.Pattern[str] | None:
    prefix = _parsing_prefix(code)
    return re.compile(f"(?:{prefix})") if prefix else None


SCREENED_OUT, UNSURE, TO_RULE = 0, 1, 2


@functools.cache
def _screen() -> pl.Expr:
    """The first steps of judging a number (columns code, national), from tables of every country code: what
    its length (and a leading zero) already says: invalid, unsure, or the rules decide. A null code is no
    country code: invalid."""
    code, national = pl.col("code"), pl.col("national")
    length = national.str.len_chars().cast(pl.Int64)
    shortest, prefixes, patterned, ruled, possible = _code_facts()
    prefix = code.replace_strict(list(prefixes), list(prefixes.values()), default=None, return_dtype=pl.String)
    any_prefix = code.is_in(patterned)
    strippable = any_prefix | national.str.starts_with(prefix).fill_null(False)
    least = code.replace_strict(list(shortest), list(shortest.values()), default=None, return_dtype=pl.Int64)
    short = (length < least).fill_null(False)
    # A length no number of the code has, as written and with its national prefix stripped (when it has one).
    stripped_length = length - prefix.str.len_chars().fill_null(0).cast(pl.Int64)
    odd_stripped = ~any_prefix & ~(code * LENGTH_KEY + stripped_length).is_in(possible)
    odd = least.is_not_null() & ~(code * LENGTH_KEY + length).is_in(possible) & (~strippable | odd_stripped)
    # A leading zero is part of the number, or the code's literal national prefix (then both readings are
    # judged); a prefix given as a pattern leaves it to the parser.
    sound = ~(national.str.starts_with("0") & any_prefix) & length.is_between(MIN_NATIONAL, MAX_NATIONAL)
    screen = pl.when(code.is_null()).then(SCREENED_OUT).when(national.is_null()).then(UNSURE)
    screen = screen.when(short | odd).then(SCREENED_OUT).when(~sound | ~code.is_in(ruled)).then(UNSURE)
    return screen.otherwise(TO_RULE).cast(pl.Int8)


LENGTH_KEY = 100  # code × 100 + length: one integer per (country code, possible length)


@functools.cache
def _code_facts() -> tuple[dict[int, int], dict[int, str], list[int], list[int], list[int]]:
    """Over every country code: the shortest national number, the literal national prefix its parser may
    strip, the codes whose prefix is a pattern, the codes ``phone_rules`` decide, and every possible
    (code, length) as ``code × LENGTH_KEY + length``."""
    shortest, prefixes, patterned, ruled, possible = {}, {}, [], [], []
    for code in sorted(COUNTRY_CODES):
        lengths, stripping = _lengths(code), _parsing_prefix(code)
        if lengths:
            shortest[code] = min(lengths)
            possible += [code * LENGTH_KEY + length for length in sorted(lengths)]
        if stripping and stripping.isdigit():
            prefixes[code] = stripping
        elif stripping:
            patterned.append(code)
        if metadata_of(code) is not None:  # as ``valid_for(code) is not None``, without building its rules
            ruled.append(code)
    return shortest, prefixes, patterned, ruled, possible


@functools.cache
def _ruled(code: int) -> pl.Expr:
    """libphonenumber's rules (``phone_rules``): valid, certainly invalid, or unsure (the parser may strip)."""
    rule = valid_for(code)
    assert rule is not None
    stripping = _parsing_prefix(code)
    certain = ~pl.col("national").str.contains(f"^(?:{ascii_digits(stripping)})") if stripping else pl.lit(True)
    if stripping == "0":  # a leading zero may be kept or stripped: unsure here (``_ruled_one`` judges both)
        rule = pl.when(~pl.col("national").str.starts_with("0")).then(rule)
    return pl.when(rule).then(True).when(certain).then(False).otherwise(None)


@functools.cache
def _lengths(code: int) -> frozenset[int]:
    """The lengths a national number of this code can have (libphonenumber's possible lengths, over its
    regions), when its parser only ever strips digits; empty when unsure. Shorter is invalid however it is
    read; another length is invalid unless the parser may strip a prefix first."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code, ())
    metadata = [phonenumbers.PhoneMetadata.metadata_for_region(region) for region in regions]
    lengths = [found.general_desc.possible_length if found and found.general_desc else () for found in metadata]
    main = phonenumbers.PhoneMetadata.metadata_for_region(phonenumbers.region_code_for_country_code(code))
    if not lengths or not all(lengths) or main is None or main.national_prefix_transform_rule:
        return frozenset()
    return frozenset(length for found in lengths for length in found)


def _parsing_prefix(code: int) -> str | None:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(phonenumbers.region_code_for_country_code(code))
    return metadata.national_prefix_for_parsing if metadata is not None else None
