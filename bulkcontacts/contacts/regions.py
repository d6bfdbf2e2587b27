"""A country column's value → the phone region libphonenumber knows it by.

Accepted, case-insensitively and with spaces trimmed: the ISO 3166 alpha-2 code (``DE``), the alpha-3 code
(``DEU``), the English short, common or official name (``Germany``, ``United States of America``) as the
``pycountry`` package has them, and a few names exports commonly write (``UK``, ``USA``, ``Russia``).
"""

from __future__ import annotations

import functools

import phonenumbers
import pycountry

ALIASES = {
    "uk": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "usa": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "united states of america": "US",
    "america": "US",
    "russia": "RU",
    "south korea": "KR",
    "korea": "KR",
    "north korea": "KP",
    "vietnam": "VN",
    "iran": "IR",
    "syria": "SY",
    "laos": "LA",
    "bolivia": "BO",
    "venezuela": "VE",
    "tanzania": "TZ",
    "moldova": "MD",
    "czech republic": "CZ",
    "turkey": "TR",
    "ivory coast": "CI",
    "cape verde": "CV",
    "macedonia": "MK",
    "palestine": "PS",
    "taiwan": "TW",
    "brunei": "BN",
    "uae": "AE",
    "hong kong": "HK",
    "macau": "MO",
    "macao": "MO",
}


@functools.cache
def names() -> dict[str, str]:
    """Every accepted spelling (lower case) → region code."""
    found: dict[str, str] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        if code not in phonenumbers.SUPPORTED_REGIONS:
            continue
        for name in (code, country.alpha_3, country.name, *_optional(country)):
            found.setdefault(name.lower(), code)
    for alias, code in ALIASES.items():
        found.setdefault(alias, code)
    return found


def _optional(country: object) -> list[str]:
    return [value for key in ("common_name", "official_name") if isinstance(value := getattr(country, key, None), str)]


def region_of(value: str) -> str | None:
    """The region a country cell names, or None when it names none this tool knows."""
    return names().get(" ".join(value.split()).lower())
