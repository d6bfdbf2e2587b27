"""libphonenumber's validity rules as Polars expressions, built from its own metadata.

``is_valid_number`` for a number (country code, national number without a leading zero) means: the region
the number belongs to (the only one of its country code, or the first of them whose leading digits match
or whose rules accept it) has a general pattern and at least one number type (fixed line, mobile, toll
free, …) whose possible lengths and pattern both fit the national number. The same test, written as
expressions over a column of national numbers, decides a million numbers in a fraction of a second.
Non-geographic codes (region "001": +800, +881, …) are decided by their own metadata, as libphonenumber
does.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import phonenumbers
import polars as pl
from phonenumbers import PhoneMetadata

NON_GEOGRAPHIC = "001"
TYPES = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)
COUNTRY_CODES = frozenset(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)


def _matches(national: pl.Expr, desc: object) -> pl.Expr | None:
    """``_is_number_matching_desc``: the desc's possible lengths (when it lists any) and its whole pattern."""
    pattern = getattr(desc, "national_number_pattern", None)
    if not pattern:
        return None
    test = national.str.contains(f"^(?:{ascii_digits(pattern)})$")
    lengths = getattr(desc, "possible_length", ()) or ()
    return national.str.len_chars().is_in(list(lengths)) & test if lengths else test


def _type_known(national: pl.Expr, metadata: PhoneMetadata) -> pl.Expr:
    """``_number_type_helper(...) != UNKNOWN``."""
    general = _matches(national, metadata.general_desc)
    kinds = [
        found
        for name in TYPES
        if (found := _matches(national, getattr(metadata, name))) is not None
        and not (name == "mobile" and metadata.same_mobile_and_fixed_line_pattern)
    ]
    if general is None or not kinds:
        return pl.lit(False)
    return general & pl.any_horizontal(kinds)


def ascii_digits(pattern: str) -> str:
    """libphonenumber's ``\\d`` as ``[0-9]`` for Polars' engine, whose ``\\d`` is Unicode's (tens of times
    larger automata: megabytes a pattern; national numbers here are ASCII digits, so nothing else changes)."""
    return pattern.replace(r"\d", "[0-9]")


@functools.cache
def metadata_of(country_code: int) -> list[PhoneMetadata] | None:
    """The metadata of the code's regions, in libphonenumber's order (a non-geographic code's own, such as
    +800 or +881); None when some are missing."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code)
    if not regions:
        return None
    if tuple(regions) == (NON_GEOGRAPHIC,):
        found = PhoneMetadata.metadata_for_nongeo_region(country_code)
        return [found] if found is not None else None
    if NON_GEOGRAPHIC in regions:
        return None
    metadata = [PhoneMetadata.metadata_for_region(region) for region in regions]
    known = [found for found in metadata if found is not None]
    return known if len(known) == len(metadata) else None


@functools.cache
def valid_for(country_code: int) -> pl.Expr | None:
    """An expression over ``pl.col("national")`` that is true where libphonenumber calls the number valid,
    or None when this module does not decide that country code."""
    known = metadata_of(country_code)
    if known is None:
        return None
    national = pl.col("national")
    if len(known) == 1:
        return _type_known(national, known[0])
    # Several regions share the code: the number belongs to the first whose leading digits match (or, when
    # it has none, whose rules know the number), and is valid by that region's rules.
    valid: pl.Expr = pl.lit(False)
    for region in reversed(known):  # built from the last: the first region that fits decides
        valid = pl.when(_belongs(national, region)).then(_type_known(national, region)).otherwise(valid)
    return valid


def _belongs(national: pl.Expr, region: PhoneMetadata) -> pl.Expr:
    if region.leading_digits:
        return national.str.contains(f"^(?:{ascii_digits(region.leading_digits)})")
    return _type_known(national, region)


Rule = Callable[[str], bool]


@functools.cache
def python_rule(country_code: int) -> Rule | None:
    """``valid_for`` as a Python function over one national number (precompiled patterns: a few
    microseconds, for the codes of too few rows to be worth a query); None where ``valid_for`` is."""
    known = metadata_of(country_code)
    if known is None:
        return None
    rules = [(_leading(region), _python_type_known(region)) for region in known]
    if len(rules) == 1:
        return rules[0][1]

    def valid(national: str) -> bool:
        for leading, type_known in rules:  # the first region the number belongs to decides
            if leading.match(national) if leading is not None else type_known(national):
                return type_known(national)
        return False

    return valid


def _leading(region: PhoneMetadata) -> re.Pattern[str] | None:
    return re.compile(f"(?:{region.leading_digits})") if region.leading_digits else None


def _python_type_known(metadata: PhoneMetadata) -> Rule:
    """``_type_known`` for one number: the general desc, then one alternation of the types whose possible
    lengths admit the number's length (one regex call where the types would take one each)."""
    general, general_lengths = _desc(metadata.general_desc)
    kinds = [
        found
        for name in TYPES
        if (found := _desc(getattr(metadata, name)))[0] is not None
        and not (name == "mobile" and metadata.same_mobile_and_fixed_line_pattern)
    ]
    if general is None or not kinds:
        return lambda national: False
    general_pattern = re.compile(f"(?:{general})")

    @functools.cache
    def types_of_length(length: int) -> re.Pattern[str] | None:
        admitted = [pattern for pattern, lengths in kinds if not lengths or length in lengths]
        return re.compile("|".join(f"(?:{pattern})" for pattern in admitted)) if admitted else None

    def known(national: str) -> bool:
        if general_lengths and len(national) not in general_lengths or not general_pattern.fullmatch(national):
            return False
        types = types_of_length(len(national))
        return types is not None and types.fullmatch(national) is not None

    return known


def _desc(desc: object) -> tuple[str | None, frozenset[int]]:
    """A desc's pattern (None without one) and possible lengths (empty: any)."""
    pattern = getattr(desc, "national_number_pattern", None) or None
    return pattern, frozenset(getattr(desc, "possible_length", ()) or ())
