"""Phone numbers → the digits Rampwin wants (country code + national number, as an int).

Pure functions. Accepts what people and spreadsheets write (``+91 98765-43210``, ``098765 43210``,
``(+91) 98765 43210``, a bare national number, ``0091 …``) and validates with libphonenumber's metadata.
A number a spreadsheet turned into scientific notation is accepted only when every digit survived.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import phonenumbers

SCIENTIFIC = re.compile(r"^[+-]?\d+(?:\.\d+)?[eE][+-]?\d+$")
PHONE_CHARACTERS = re.compile(r"^[\d\s\-.()+/]+$")


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
    try:
        parsed = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        raise PhoneError(f"{text!r} is not a phone number") from None
    if not phonenumbers.is_valid_number(parsed):
        raise PhoneError(f"{text!r} is not a valid phone number (default region {default_region})")
    return int(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)[1:])


def _as_text(value: object) -> str:
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
    if number.as_tuple().exponent > 0:  # e.g. 9.19877E+11: the last six digits were never written
        raise PhoneError(f"phone number {text!r} lost digits in scientific notation; "
                         "format the column as text in the spreadsheet and export it again")
    if number != number.to_integral_value():
        raise PhoneError(f"phone number {text!r} is not a whole number")
    return str(int(number))
