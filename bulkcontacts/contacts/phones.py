"""Phone numbers → the digits Rampwin wants (country code + national number, as an int).

Pure functions. One rule reads a number, in a region (README "Reading phone numbers"):

1. With an international prefix (``+``, ``00``, or the region's own, such as ``011`` in the US): read
   internationally.
2. Starting with the region's national trunk prefix (``0`` in DE, IN, GB…; ``1`` in the US): national.
3. Digits only otherwise: (a) beginning with the region's own country code with a valid rest, it is that
   number (the ``+`` was dropped); else (b) the national reading if valid; else (c) the international
   reading ``+digits`` if valid. (b) and (c) both valid is *ambiguous*: ``phone_without_plus = "auto"``
   takes (b) and says so, ``"international"`` prefers (c), ``"national"`` (b), ``"strict"`` refuses.
   (c) is for a value written as one run of digits, as spreadsheets and CRMs export a number that lost its
   "+"; one written with spaces, dashes or brackets follows a national grouping: (a) or (b) only.

Validity is libphonenumber's. Separators people write (spaces, dashes, dots, brackets, slashes) are ignored;
a spreadsheet's scientific notation, with either decimal mark, is accepted only when every digit survived.
A cell may hold several numbers (Google's ``" ::: "``): the first that reads as valid wins.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import phonenumbers

PhonePolicy = Literal["auto", "international", "national", "strict"]
SCIENTIFIC = re.compile(r"^[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+$")
PHONE_CHARACTERS = re.compile(r"^[\d\s\-.()+/]+$")
SEPARATORS = re.compile(r"[\s\-.()/]+")
DIGIT = re.compile(r"\d")
MIN_NATIONAL, MAX_NATIONAL = 4, 14  # what the quick checks decide; anything else is the parser's call


class PhoneError(ValueError):
    """The value is not a usable phone number; the message says why, ``code`` groups the reasons."""

    code = "bad_phone"


class AmbiguousPhone(PhoneError):
    """Digits that are a valid national number and a valid international one (``"strict"`` refuses them)."""

    code = "ambiguous_phone"


@dataclass(frozen=True, slots=True)
class Reading:
    """A number as read; ``other``: the international reading that was valid too and not taken (auto)."""

    number: int
    other: int | None = None
    written: str = ""  # as written, when ``other`` is set


@dataclass
class Ambiguities:
    """How many phones ``"auto"`` read as national numbers although they were valid international numbers
    written without "+", with the first one's two readings (what ``validate``, the dry run and the summary
    show)."""

    rows: int = 0
    example: str | None = None
    owned: Callable[[int], bool] | None = None  # the rows this run counts (a shard's, a retry's); None: every row

    def add(self, rows: int | list[int], written: str, as_national: int, as_international: int, region: str) -> None:
        """``rows``: the row numbers read so (counted where this run owns them), or a number of rows."""
        owned = self.owned
        count = rows if isinstance(rows, int) else sum(1 for row in rows if owned is None or owned(row))
        if count and self.example is None:
            self.example = f"{written!r} read as {pretty(as_national)} in {region}, not as {pretty(as_international)}"
        self.rows += count

    def notes(self) -> list[str]:
        """What to tell the user: the advice, when any phone was read so."""
        return [self.advice()] if self.rows else []

    def advice(self) -> str:
        """One line: how many, an example, the key that decides."""
        return (
            f'{self.rows:,} phone{"s" if self.rows != 1 else ""} written without "+" could be read two ways '
            f"and {'were' if self.rows != 1 else 'was'} read as national numbers (e.g. {self.example}); "
            'if they are international, set [mapping] phone_without_plus = "international" '
            '("strict" rejects them instead)'
        )


@dataclass(frozen=True, slots=True)
class Home:
    """What the rule needs of a region: its country code, trunk prefix and international dialling prefix;
    ``simple``: its parser strips nothing but the trunk prefix (so the quick checks and the column-wise path
    may read its national numbers)."""

    region: str
    code: int
    trunk: str
    idd: re.Pattern[str] | None
    simple: bool
    parsing: str | None  # libphonenumber's national prefix for parsing: what its parser may strip
    transform: bool  # its parser rewrites, not only strips, what that prefix matched
    idd_prefixes: tuple[str, ...] = ()  # ``idd`` as plain digit strings, in its order, where it is one

    def after_idd(self, digits: str) -> str | None:
        """The digits after the region's international prefix, when they start with one (as
        libphonenumber reads it: a country code never starts with 0)."""
        found = self.idd.match(digits) if self.idd else None
        if found is None or found.end() >= len(digits) or digits[found.end()] == "0":
            return None
        return digits[found.end() :]


@functools.cache
def home(region: str) -> Home:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        return Home(region, 0, "", None, False, None, False)
    trunk = metadata.national_prefix or ""
    parsing = metadata.national_prefix_for_parsing
    simple = metadata.national_prefix_transform_rule is None and parsing in (None, trunk)
    # "00" is read as an international prefix everywhere (the ITU's recommendation; no national number
    # starts with it), the region's own prefix too ("011" in the US).
    own = metadata.international_prefix
    idd = re.compile(f"(?:{own})" if own and re.fullmatch(f"(?:{own})", "00") else f"(?:{own})|00" if own else "00")
    transform = metadata.national_prefix_transform_rule is not None
    plain = (own,) if own == "00" else (own, "00") if own and own.isdigit() else ()
    return Home(region, metadata.country_code or 0, trunk, idd, simple, parsing, transform, plain)


def normalize_phone(value: object, region: str, policy: PhonePolicy = "auto") -> int:
    """Country code + national number as an int (``919876543210``), or ``PhoneError``."""
    return read_phone(value, region, policy).number


def read_phone(value: object, region: str, policy: PhonePolicy = "auto", region_note: str | None = None) -> Reading:
    """One value by the rule above, or ``PhoneError`` (``AmbiguousPhone`` under ``"strict"``); ``region_note``:
    where the region came from, for the reason (default: "default region XX")."""
    text = _as_text(value)
    if not text:
        raise PhoneError("phone number is empty")
    if SCIENTIFIC.match(text):
        text = _from_scientific(text)
    if not PHONE_CHARACTERS.match(text):
        raise PhoneError(f"phone number {text!r} has characters a phone number cannot have")
    note = region_note or f"default region {region}"
    compact = SEPARATORS.sub("", text)
    if not compact.isascii():  # other scripts' digits, as libphonenumber reads them
        compact = DIGIT.sub(lambda digit: str(int(digit.group())), compact)
    if compact.startswith("+0"):
        raise PhoneError(f"{text!r} is not a phone number")  # no country code starts with 0
    if compact.startswith("+") and compact[1:].isdigit():
        return Reading(_or_invalid(international(compact[1:]), text, note))
    if not compact.isdigit():
        raise PhoneError(f"{text!r} is not a phone number")
    place = home(region)
    after = place.after_idd(compact)
    if after is not None:
        return Reading(_or_invalid(international(after), text, note))
    if place.trunk and compact.startswith(place.trunk):
        return Reading(_or_invalid(national(compact, place), text, note))
    return _digits_only(compact, text, place, policy, note)


def first_valid(
    cells: Sequence[Any], region: str, policy: PhonePolicy, separator: str, region_note: str | None = None
) -> Reading:
    """The first number that reads as valid, over the cells in order and each cell's values in order; else
    the first value's ``PhoneError`` (``"phone number is empty"`` when every cell is empty)."""
    failed: PhoneError | None = None
    for value in _values(cells, separator):
        try:
            return read_phone(value, region, policy, region_note)
        except PhoneError as error:
            failed = failed or error
    raise failed or PhoneError("phone number is empty")


def _values(cells: Sequence[Any], separator: str) -> Iterator[Any]:
    for cell in cells:
        if isinstance(cell, str):
            for part in cell.split(separator) if separator and separator in cell else (cell,):
                if part.strip():
                    yield part
        elif cell is not None:
            yield cell


def _digits_only(compact: str, text: str, place: Home, policy: PhonePolicy, note: str) -> Reading:
    as_international = international(compact)
    dropped_plus = as_international if as_international and str(as_international).startswith(str(place.code)) else None
    if not text.isdigit():  # written with a national grouping: a number of the region (its code may lead)
        as_international = dropped_plus
    as_national = national(compact, place)
    if policy == "international":
        found = as_international or as_national
    elif policy == "national":
        found = as_national or as_international
    elif dropped_plus:
        found = dropped_plus
    elif as_national and as_international and as_national != as_international:
        if policy == "strict":
            raise AmbiguousPhone(ambiguity(text, as_national, as_international, place.region))
        return Reading(as_national, other=as_international, written=text)
    else:
        found = as_national or as_international
    return Reading(_or_invalid(found, text, note))


def ambiguity(text: str, as_national: int, as_international: int, region: str) -> str:
    """Why a number is ambiguous, and the key that decides."""
    return (
        f"{text!r} reads as {pretty(as_national)} in {region} or as {pretty(as_international)} "
        '(with its "+" dropped); set [mapping] phone_without_plus = "national" or "international"'
    )


def pretty(number: int) -> str:
    """``+91 98765 43210``: how a person writes the number."""
    parsed = phonenumbers.parse(f"+{number}", None)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _or_invalid(number: int | None, text: str, note: str) -> int:
    if number is None:
        raise PhoneError(f"{text!r} is not a valid phone number ({note})")
    return number


def international(digits: str) -> int | None:
    """``+digits`` when libphonenumber calls it valid (its E.164 digits), else None."""
    code = country_code_of(digits)
    if code is None:
        return None
    quick = _valid(code, digits[len(str(code)) :])
    return quick if quick is not None else _parsed(f"+{digits}", None)


def country_code_of(digits: str) -> int | None:
    """The country code the digits start with (codes are a prefix code: at most one does), or None."""
    if not digits or digits[0] == "0":
        return None  # no country code starts with 0
    for length in (1, 2, 3):
        if int(digits[:length]) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            return int(digits[:length])
    return None


def national(digits: str, place: Home) -> int | None:
    """The digits as a number of the region (its trunk prefix stripped) when valid, else None."""
    if place.simple and place.code:
        trunk = place.trunk
        written = digits[len(trunk) :] if trunk and digits.startswith(trunk) else digits
        quick = _valid(place.code, written)
        if quick is not None:
            return quick
    return _parsed(digits, place.region)


def _parsed(text: str, region: str | None) -> int | None:
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return int(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)[1:])


def _valid(country_code: int, national_number: str) -> int | None:
    """The number when libphonenumber calls (code, national) valid as written; None for "ask the parser"
    (leading zeros are significant in some regions, and odd lengths are the parser's call)."""
    if not national_number or national_number[0] == "0" or not MIN_NATIONAL <= len(national_number) <= MAX_NATIONAL:
        return None
    number = phonenumbers.PhoneNumber(country_code=country_code, national_number=int(national_number))
    return int(f"{country_code}{national_number}") if phonenumbers.is_valid_number(number) else None


def _as_text(value: object) -> str:
    if isinstance(value, (dict, list, tuple)):
        kind = "an object" if isinstance(value, dict) else "a list"
        raise PhoneError(f"the phone column holds {kind}, not a phone number")
    if isinstance(value, bool):
        raise PhoneError(f"phone number {value!r} is a boolean")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not value.is_integer() or abs(value) >= 2**53:
            raise PhoneError(f"phone number {value!r} is not a whole number")
        return str(int(value))
    return str(value).strip() if value is not None else ""


def _from_scientific(text: str) -> str:
    try:
        number = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise PhoneError(f"{text!r} is not a phone number") from None
    exponent = number.as_tuple().exponent
    if not isinstance(exponent, int):
        raise PhoneError(f"{text!r} is not a phone number")  # NaN, Infinity
    if exponent > 0:  # e.g. 9.19877E+11: the last six digits were never written
        raise PhoneError(
            f"phone number {text!r} lost digits in scientific notation; "
            "format the column as text in the spreadsheet and export it again"
        )
    if number != number.to_integral_value():
        raise PhoneError(f"phone number {text!r} is not a whole number")
    return str(int(number))
