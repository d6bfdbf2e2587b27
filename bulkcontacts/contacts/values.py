"""Custom attribute values: source cell → the typed value sent, per ``[mapping] types``. No I/O.

``converter(kind, options)`` is the one definition of what a cell becomes; ``certainly_converts`` is a Polars
expression that is true only where that converter certainly succeeds (a sound under-approximation for the
column-wise fast path: anything it is unsure of is false and left to the converter).

Rules:

- number / integer: with ``decimal`` set, that mark is the decimal mark and the other mark, a space, NBSP
  (U+00A0) or narrow NBSP (U+202F) separates thousands: one separator per value, groups of 3 digits after a
  first group of 1 to 3 (``1.2.3`` is no number). ASCII digits, an optional sign and exponent. Without
  ``decimal``, text holding a comma is refused with a message naming the setting (never guessed); other text
  is read as Python's ``float`` reads it, as before. Infinite, not-a-number and overflowing values are refused.
  An int when no decimal part or exponent is written (exactly: ``int`` of the digits), else a float; integer
  takes whole numbers only (``3.0`` and ``1e3`` are whole).
- date: ``date_formats`` (strftime patterns) are tried in order, the first that reads the text wins. Without
  them: ISO 8601 (a date or a date-time), then ``%m/%d/%Y``, ``%d.%m.%Y`` and ``%d/%m/%Y``, refused as
  ambiguous when two readings give different dates (``01/02/2020``). Years have 4 digits unless a pattern says
  ``%y``. The empty markers exports write (``0/0/00``, ``00.00.0000``, ``0000-00-00``, also with a zero time)
  raise ``EmptyValue``, whatever the patterns. Output: ``YYYY-MM-DD``.
- boolean: ``true_values`` / ``false_values`` replace the defaults when given; compared stripped, NFC-normalized
  and lower-cased. Defaults: true/false, yes/no, y/n, 1/0, t/f, ja/nein, oui/non, sí/no, and ``si`` (no accent,
  as often typed) for true.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

import polars as pl

from bulkcontacts.text import shorten

KINDS = ("as-is", "string", "number", "integer", "boolean", "date")
DEFAULT_TRUE = ("true", "yes", "y", "1", "t", "ja", "oui", "sí", "si")
DEFAULT_FALSE = ("false", "no", "n", "0", "f", "nein", "non")
DEFAULT_DATE_FORMATS = ("%m/%d/%Y", "%d.%m.%Y", "%d/%m/%Y")  # after ISO 8601
THOUSANDS_SPACES = " \u00a0\u202f"
EMPTY_DATE = re.compile(r"^0{1,4}([./-])0{1,2}\1(?:00|0000)(?:[ T]00:00(?::00)?)?$")
MAX_NUMBER_CHARS = 300  # fewer digits than that: always below float's largest (about 1.8e308)


@dataclass(frozen=True, slots=True)
class ValueOptions:
    """How typed text is read: ``[mapping] decimal``, ``date_formats``, ``true_values``, ``false_values``."""

    decimal: Literal[",", "."] | None = None
    date_formats: tuple[str, ...] | None = None
    true_values: tuple[str, ...] | None = None
    false_values: tuple[str, ...] | None = None


class EmptyValue(Exception):
    """The cell holds an "empty" marker (``0/0/00``): the attribute is left out; the row is not rejected."""


# -- options ------------------------------------------------------------------------------------------------


def check_options(options: ValueOptions) -> None:
    """Raises ``ValueError`` naming the ``[mapping]`` key when the options cannot be used: a decimal mark other
    than "," or ".", a date pattern that does not read back a whole date, empty or overlapping word lists."""
    if options.decimal not in (None, ",", "."):
        raise ValueError(f'[mapping] decimal is {options.decimal!r}; it must be "," or "."')
    if options.date_formats is not None:
        if not options.date_formats:
            raise ValueError("[mapping] date_formats is empty; leave it out for the defaults")
        for pattern in options.date_formats:
            _check_pattern(pattern)
    true, false = _words(options)
    for key, given in (("true_values", options.true_values), ("false_values", options.false_values)):
        if given is not None and (not given or any(not _word(word) for word in given)):
            raise ValueError(f"[mapping] {key} must list at least one word, and no empty one")
    both = sorted(true & false)
    if both:
        raise ValueError(f"[mapping] true_values and false_values both hold {', '.join(map(repr, both))}")


def _check_pattern(pattern: str) -> None:
    sample = dt.date(2001, 11, 23)  # year, month and day all differ, the day is no month
    try:
        read = dt.datetime.strptime(sample.strftime(pattern), pattern).date()
    except ValueError as error:
        raise ValueError(f"[mapping] date_formats: {pattern!r} is not a date pattern ({error})") from None
    if read != sample:
        raise ValueError(
            f"[mapping] date_formats: {pattern!r} does not read a whole date; "
            "it needs a year (%Y or %y), a month (%m) and a day (%d), as in %d/%m/%Y"
        )


@functools.lru_cache(maxsize=64)
def _words(options: ValueOptions) -> tuple[frozenset[str], frozenset[str]]:
    true = options.true_values if options.true_values is not None else DEFAULT_TRUE
    false = options.false_values if options.false_values is not None else DEFAULT_FALSE
    return frozenset(map(_word, true)), frozenset(map(_word, false))


def _word(text: str) -> str:
    """How a boolean word is compared: stripped, NFC, lower case."""
    return unicodedata.normalize("NFC", text.strip()).lower()


# -- converters ---------------------------------------------------------------------------------------------


def converter(kind: str, options: ValueOptions) -> Callable[[Any], Any]:
    """The function turning a non-empty cell into the attribute's value for ``kind`` (one of ``KINDS``). It
    raises ``ValueError`` (a short message naming the value and the fix) for a value it refuses, and
    ``EmptyValue`` for a date's empty marker. Raises ``ValueError`` here for an unknown kind or bad options."""
    check_options(options)
    if kind == "as-is":
        return plain
    if kind == "string":
        return _string
    if kind == "number":
        return functools.partial(_as_number, decimal=options.decimal)
    if kind == "integer":
        return functools.partial(_as_integer, decimal=options.decimal)
    if kind == "boolean":
        true, false = _words(options)
        return functools.partial(
            _as_boolean,
            true=true,
            false=false,
            custom=options.true_values is not None or options.false_values is not None,
        )
    if kind == "date":
        return functools.partial(_as_date, formats=options.date_formats)
    raise ValueError(f"unknown type {kind!r}; the types are {', '.join(KINDS)}")


def _shown(value: Any) -> str:
    return repr(shorten(value, 60)) if isinstance(value, str) else repr(value)


ALLOWED = "a custom attribute is text, a number, true/false or a list of text"
FLATTEN = "flatten it into columns of its own, or leave the column out ([mapping] ignore)"


def plain(value: Any) -> Any:
    """A source value as JSON the create call takes: strings stripped, dates as ISO text, a list of text as a
    list of stripped text, other scalars unchanged. Refused (``ValueError``): a number JSON cannot carry
    (infinite, not a number: ``1e400`` in a JSONL file), an object, a list holding anything but text (a
    JSONL object or list, a Parquet struct or list): the API would answer only "Validation error"."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value!r} is not a finite number")
    if isinstance(value, dict):
        raise ValueError(f"holds an object ({_json(value)}); {ALLOWED}: {FLATTEN}")
    if isinstance(value, (list, tuple)):
        odd = [item for item in value if not isinstance(item, str)]
        if odd:
            raise ValueError(f"holds a list with {_kind(odd[0])} in it ({_json(value)}); {ALLOWED}: {FLATTEN}")
        return [item.strip() for item in value]
    return value


def text_of(value: Any) -> str:
    """A value that must be one piece of text (a core field, a ``string`` attribute); a nested value (a JSONL
    object or list, a Parquet struct or list) is refused, never written as its Python form."""
    if isinstance(value, (dict, list, tuple)):
        kind = "an object" if isinstance(value, dict) else "a list"
        raise ValueError(f"holds {kind} ({_json(value)}) where text is expected; {FLATTEN}")
    return str(plain(value))


def _json(value: Any) -> str:
    return shorten(json.dumps(value, default=str), 60)


def _kind(item: Any) -> str:
    if item is None:
        return "a null"
    if isinstance(item, bool):
        return "a boolean"
    if isinstance(item, (int, float)):
        return "a number"
    return "an object" if isinstance(item, dict) else "a list" if isinstance(item, (list, tuple)) else "a value"


def _string(value: Any) -> str:
    return text_of(value)


def _grouped(decimal: str) -> re.Pattern[str]:
    separators = re.escape(("." if decimal == "," else ",") + THOUSANDS_SPACES)
    return re.compile(
        rf"(?P<sign>[+-]?)(?P<whole>[0-9]+|[0-9]{{1,3}}(?P<sep>[{separators}])[0-9]{{3}}(?:(?P=sep)[0-9]{{3}})*)?"
        rf"(?:{re.escape(decimal)}(?P<fraction>[0-9]*))?(?P<exponent>[eE][+-]?[0-9]+)?"
    )


GROUPED = {mark: _grouped(mark) for mark in ",."}


def _number_literal(text: str, decimal: str | None) -> str:
    """``text`` as Python's ``float`` reads it; ``ValueError`` where it is no number under ``decimal``."""
    if decimal is None:
        if "," in text:
            raise ValueError(
                f'{_shown(text)} has a comma: set [mapping] decimal = "," if it is the decimal mark, '
                'or decimal = "." if it separates thousands'
            )
        return text
    found = GROUPED[decimal].fullmatch(text)
    if found is None or not (found["whole"] or found["fraction"]):
        setting = f"[mapping] decimal = {json.dumps(decimal)}"
        raise ValueError(f"{_shown(text)} is not a number with {setting} (thousands in groups of 3)")
    whole = (found["whole"] or "").replace(found["sep"] or " ", "")
    fraction = "" if found["fraction"] is None else "." + found["fraction"]
    return found["sign"] + whole + fraction + (found["exponent"] or "")


def _as_number(value: Any, decimal: str | None) -> int | float:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    if isinstance(value, (int, float)):
        number: int | float = plain(value)
        return number
    # Only text is written with the source's marks; other objects (a Parquet decimal) print with a ".".
    literal = _number_literal(value.strip(), decimal) if isinstance(value, str) else str(value).strip()
    try:
        number = float(literal)
    except ValueError:
        raise ValueError(f"{_shown(value)} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{_shown(value)} is not a finite number")
    if "." in literal or "e" in literal.lower():
        return number
    return int(literal)  # whole as written: exact, not rounded through float


def _as_integer(value: Any, decimal: str | None) -> int:
    number = _as_number(value, decimal)
    if isinstance(number, float) and not number.is_integer():
        raise ValueError(f"{_shown(value)} is not a whole number")
    return int(number)


def _as_boolean(value: Any, true: frozenset[str], false: frozenset[str], custom: bool) -> bool:
    if isinstance(value, bool):
        return value
    word = _word(str(value))
    if word in true:
        return True
    if word in false:
        return False
    if custom:
        accepted = f"{', '.join(sorted(true))} for true; {', '.join(sorted(false))} for false"
    else:
        accepted = "true/false, yes/no, y/n, 1/0, t/f, ja/nein, oui/non, sí/no"
    raise ValueError(f"{_shown(value)} is not a boolean: use {accepted} (or set [mapping] true_values/false_values)")


def _as_date(value: Any, formats: tuple[str, ...] | None) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    if EMPTY_DATE.match(text):
        raise EmptyValue(text)
    if formats is not None:
        for pattern in formats:
            read = _strptime(text, pattern)
            if read is not None:
                return read.isoformat()
        raise ValueError(f"{_shown(value)} does not match [mapping] date_formats = {json.dumps(list(formats))}")
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        pass
    readings = {pattern: read for pattern in DEFAULT_DATE_FORMATS if (read := _strptime(text, pattern)) is not None}
    if len(set(readings.values())) > 1:
        (first, one), (second, other) = readings.items()
        raise ValueError(
            f"{_shown(value)} could be {one} ({first}) or {other} ({second}): "
            f'set [mapping] date_formats = ["{second}"] (or ["{first}"])'
        )
    if readings:
        return next(iter(readings.values())).isoformat()
    raise ValueError(f"{_shown(value)} is not a date like 2024-05-08 or 31.12.2019; set [mapping] date_formats")


def _strptime(text: str, pattern: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text, pattern).date()
    except ValueError:
        return None


# -- the fast path's proof ----------------------------------------------------------------------------------


def certainly_empty(text: pl.Expr, kind: str) -> pl.Expr:
    """Over the stripped text: true only where the converter certainly raises ``EmptyValue`` (a date column's
    empty marker, ``0/0/00``): the attribute is left out, the row is not refused."""
    if kind != "date":
        return pl.lit(False)
    marker = r"^0{1,4}(?:\.0{1,2}\.|/0{1,2}/|-0{1,2}-)(?:00|0000)(?:[ T]00:00(?::00)?)?$"  # EMPTY_DATE, spelt out
    return text.str.contains(marker).fill_null(False)


def certainly_converts(text: pl.Expr, kind: str, options: ValueOptions) -> pl.Expr:
    """Over the stripped, non-empty text of a String column: true only where ``converter(kind, options)``
    certainly returns a value (raises neither ``ValueError`` nor ``EmptyValue``); false where unsure.
    ASCII shapes only, so that Polars' and Python's readings of the text cannot differ."""
    check_options(options)
    if kind in ("as-is", "string"):
        proof = pl.lit(True)  # text as text never fails
    elif kind in ("number", "integer"):
        proof = _number_shape(text, kind, options.decimal)
    elif kind == "boolean":
        proof = _boolean_words(text, options)
    elif kind == "date":
        formats = options.date_formats
        checks = [_pattern_reads(text, pattern) for pattern in formats] if formats else _default_dates(text)
        proof = ~text.str.contains(r"^0+[./-]0+[./-]0+") & pl.any_horizontal(checks)
    else:
        raise ValueError(f"unknown type {kind!r}; the types are {', '.join(KINDS)}")
    return pl.when(text.is_not_null()).then(proof.fill_null(False)).otherwise(False)  # one per row, never null


def _number_shape(text: pl.Expr, kind: str, decimal: str | None) -> pl.Expr:
    fraction = "" if kind == "integer" else r"(?:\.[0-9]*)?|\.[0-9]+"
    whole = "[0-9]+"
    if decimal is not None:
        separators = ("." if decimal == "," else ",") + THOUSANDS_SPACES
        groups = "|".join(rf"[0-9]{{1,3}}(?:{re.escape(mark)}[0-9]{{3}})+" for mark in separators)
        whole = f"(?:[0-9]+|{groups})"
        mark = re.escape(decimal)
        fraction = "" if kind == "integer" else rf"(?:{mark}[0-9]*)?|{mark}[0-9]+"
    shape = rf"^[+-]?(?:{whole}{fraction})$"
    return text.str.contains(shape) & (text.str.len_chars() < MAX_NUMBER_CHARS)


def _boolean_words(text: pl.Expr, options: ValueOptions) -> pl.Expr:
    """Printable ASCII lower-cases alike in Polars and Python; other words only as spelt in ``exact``."""
    true, false = _words(options)
    words = true | false
    spellings = {form for word in words for form in (word, word.upper(), word.capitalize(), word.title())}
    exact = sorted(form for form in spellings if not form.isascii() and _word(form) in words)
    ascii_words = sorted(word for word in words if word.isascii())
    lowered = text.str.contains(r"^[\x20-\x7e]+$") & text.str.to_lowercase().is_in(ascii_words)
    return lowered | text.is_in(exact) if exact else lowered


# strptime's own readings of these directives are supersets of these (ASCII, no leading space).
DIRECTIVES = {
    "%Y": "([1-9][0-9]{3})",
    "%y": "([0-9]{2})",
    "%m": "(0?[1-9]|1[0-2])",
    "%d": "(0?[1-9]|[12][0-9]|3[01])",
}
SAFE_LITERALS = frozenset("/.-,_:;")
LATE_DAY = "(1[3-9]|2[0-9]|3[01])"  # no month: a day/month reading of it fails


def _default_dates(text: pl.Expr) -> list[pl.Expr]:
    iso = (
        text.str.contains(r"^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}$")
        & text.str.to_date("%Y-%m-%d", strict=False).is_not_null()
    )
    return [
        iso,
        _pattern_reads(text, "%d.%m.%Y"),
        _pattern_reads(text, "%m/%d/%Y", day=LATE_DAY),  # only m/d/Y reads it: unambiguous
        _pattern_reads(text, "%d/%m/%Y", day=LATE_DAY),
    ]


def _pattern_reads(text: pl.Expr, pattern: str, day: str = DIRECTIVES["%d"]) -> pl.Expr:
    """True where ``strptime(text, pattern)`` certainly gives a date; ``pl.lit(False)`` for a pattern not of the
    simple kind proven here: %Y or %y, %m, %d once each, parted by punctuation (each directive's text is then a
    whole run of digits, read alike by strptime and by this regex)."""
    tokens = re.findall(r"%.|[^%]+", pattern)
    fields = [token for token in tokens if token in DIRECTIVES]
    simple = (
        sorted(field.replace("%y", "%Y") for field in fields) == ["%Y", "%d", "%m"]
        and all(token in DIRECTIVES or set(token) <= SAFE_LITERALS for token in tokens)
        and all(a not in DIRECTIVES or b not in DIRECTIVES for a, b in zip(tokens, tokens[1:], strict=False))
    )
    if not simple:
        return pl.lit(False)
    regex = "^" + "".join(day if t == "%d" else DIRECTIVES.get(t, re.escape(t)) for t in tokens) + "$"
    part = {field: text.str.extract(regex, fields.index(field) + 1) for field in fields}
    if "%y" in part:
        short = part["%y"].cast(pl.Int32)
        year = pl.when(short <= 68).then(short + 2000).otherwise(short + 1900).cast(pl.String)  # strptime's rule
    else:
        year = part["%Y"]
    iso = pl.concat_str([year, part["%m"].str.pad_start(2, "0"), part["%d"].str.pad_start(2, "0")], separator="-")
    return _all_true([text.str.contains(regex), iso.str.to_date("%Y-%m-%d", strict=False).is_not_null()])


def _all_true(checks: Iterable[pl.Expr]) -> pl.Expr:
    return pl.all_horizontal(list(checks)).fill_null(False)
