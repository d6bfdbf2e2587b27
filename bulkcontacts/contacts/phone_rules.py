"""libphonenumber's validity rules as Polars expressions, built from its own metadata.

``is_valid_number`` for a number (country code, national number without a leading zero) means: the region
the number belongs to (the only one of its country code, or the first of them whose leading digits match
or whose rules accept it) has a general pattern and at least one number type (fixed line, mobile, toll
free, …) whose possible lengths and pattern both fit the national number. The same test, written as
expressions over a column of national numbers, decides a million numbers in a fraction of a second.
Country codes shared with non-geographic entities (region "001") are left undecided (None): the per-row
parser decides those.
"""

from __future__ import annotations

import functools

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
    test = national.str.contains(f"^(?:{pattern})$")
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


@functools.cache
def valid_for(country_code: int) -> pl.Expr | None:
    """An expression over ``pl.col("national")`` that is true where libphonenumber calls the number valid,
    or None when this module does not decide that country code."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code)
    if not regions or NON_GEOGRAPHIC in regions:
        return None
    national = pl.col("national")
    metadata = [PhoneMetadata.metadata_for_region(region) for region in regions]
    known = [found for found in metadata if found is not None]
    if len(known) != len(metadata):
        return None
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
        return national.str.contains(f"^(?:{region.leading_digits})")
    return _type_known(national, region)


@functools.cache
def region_codes(region: str) -> tuple[int, str]:
    """(country code, national prefix) of a region."""
    metadata = PhoneMetadata.metadata_for_region(region)
    return (metadata.country_code or 0, metadata.national_prefix or "") if metadata else (0, "")
