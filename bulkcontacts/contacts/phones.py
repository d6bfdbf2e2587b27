"""Phone numbers → the digits Rampwin wants (country code + national number, as an int).

Pure functions. Accepts what people and spreadsheets write (``+91 98765-43210``, ``098765 43210``,
``(+91) 98765 43210``, a bare national number, ``0091 …``) and validates with libphonenumber's metadata.
A number a spreadsheet turned into scientific notation is accepted only when every digit survived.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal, InvalidOperation

import phonenumbers

SCIENTIFIC = re.compile(r"^[+-]?\d+(?:\.\d+)?[eE][+-]?\d+$")
PHONE_CHARACTERS = re.compile(r"^[\d\s\-.()+/]+$")
SEPARATORS = re.compile(r"[\s\-.()/]+")


class PhoneError(ValueError):
    """The value is not a usable phone number; the message says why."""


def normalize_phone(value: object, default_region: str) -> int:
    """Return country code + national number as an int (``919876543210``) or raise ``PhoneError``."""
    text = _as_text(value)
    if not text:
        raise PhoneError("phone number is empty")
    if SCIENTIFIC.match(text):
        text = _from_scientific(text)
    if not PHONE_CHARACTERS.match(text):
        raise PhoneError(f"phone number {text!r} has characters a phone number cannot have")
    quick = _quick(SEPARATORS.sub("", text), default_region)
    if quick is not None:
        return quick
    try:
        parsed = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        raise PhoneError(f"{text!r} is not a phone number") from None
    if not phonenumbers.is_valid_number(parsed):
        raise PhoneError(f"{text!r} is not a valid phone number (default region {default_region})")
    return int(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)[1:])


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
        number = Decimal(text)
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


def _valid(country_code: int, national: str) -> int | None:
    if not national or national[0] == "0" or not 4 <= len(national) <= 14:
        return None  # leading zeros are significant in some regions: leave those to the full parser
    number = phonenumbers.PhoneNumber(country_code=country_code, national_number=int(national))
    return int(f"{country_code}{national}") if phonenumbers.is_valid_number(number) else None


@functools.lru_cache(maxsize=64)
def _region_codes(region: str) -> tuple[int, str]:
    """(country code, national prefix) of a region."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    return (metadata.country_code or 0, metadata.national_prefix or "") if metadata else (0, "")


def _quick(digits: str, region: str) -> int | None:
    """The common shapes, without the full parser (a third of its cost); None means "ask the parser".
    Only ever returns numbers libphonenumber itself calls valid."""
    if digits.startswith("+"):
        rest = digits[1:]
        if not rest.isdigit():  # a second "+" inside: the parser's call
            return None
        for length in (1, 2, 3):
            if rest[:length].isdigit() and int(rest[:length]) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
                return _valid(int(rest[:length]), rest[length:])
        return None
    if not digits.isdigit():
        return None
    code, trunk = _region_codes(region)
    if not code:
        return None
    if trunk and digits.startswith(trunk) and not digits.startswith(trunk * 2):
        return _valid(code, digits[len(trunk) :])
    # A national number that is valid as written is what the parser keeps too; anything else (a country
    # code written without "+", say) is the parser's call.
    return _valid(code, digits)
