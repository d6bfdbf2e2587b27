"""``bulkcontacts init``'s decisions, from a file's ``FileStats``: the phone columns and the region their numbers
fit best, names, email, a country column, tags, and the types and decimal mark of the other columns. Each
decision carries the one-line reason the spec and the summary show. Pure functions; nothing here reads a file.

Thresholds (shares of a column's filled cells): a phone column 50% phone-shaped, then 50% valid numbers by the
phone rule; an email column 50% email-shaped; a country column 80% region names or codes; a yes/no column
95% yes/no words; a date column 80% date-shaped and 90% read by the date converter; a number column 95% read by
the number converter with the decimal mark most of its cells show.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import phonenumbers

from bulkcontacts.contacts.inspect import ColumnStats, FileStats
from bulkcontacts.contacts.mapping import CORE_FIELDS, DEFAULT_COLUMNS, column_key
from bulkcontacts.contacts.phones import PhoneError, country_code_of, pretty, read_phone
from bulkcontacts.contacts.presets import PRESETS, resolve
from bulkcontacts.contacts.regions import region_of
from bulkcontacts.contacts.values import EmptyValue, ValueOptions, converter
from bulkcontacts.errors import UsageError

MOSTLY = 0.5
COUNTRY_SHARE, BOOLEAN_SHARE, NUMBER_SHARE = 0.8, 0.95, 0.95
DATE_SHAPED, DATE_READ = 0.8, 0.9
SCORED = 5_000  # phones read under each candidate region (the chosen one then reads every sampled phone)
FALLBACK_REGIONS = ("IN", "US", "GB", "DE", "FR", "BR", "AU", "NG")
DATE_FORMATS = ("%d.%m.%Y", "%d/%m/%Y", "%m/%d/%Y", "%Y-%m-%d", "%d-%m-%Y", "%m-%d-%Y", "%d.%m.%y", "%m/%d/%y")
# The mapping's own names for each field, and a few more that only a person reading the header would take.
FIRST = {*DEFAULT_COLUMNS["first_name"], "first", "nombre", "forename"}
LAST = {*DEFAULT_COLUMNS["last_name"], "last", "familienname", "nom"}
FULL = {*DEFAULT_COLUMNS["full_name"], "display_name", "contact"}
TAGS = {"tags", "tag", "labels", "label", "categories", "category"}
NOT_A_COUNTRY = ("state", "province", "bundesland", "county", "city")
COUNTRY_WORDS = ("country", "land", "pays", "pais", "país", "nation")  # a header that may name a country column


@dataclass(frozen=True, slots=True)
class Decision:
    """One ``[mapping]`` key: its value and why."""

    key: str
    value: Any
    why: str


@dataclass
class Phones:
    """The phone columns and what the phone rule made of their sampled cells under ``region``."""

    columns: list[str]
    region: str
    read: int  # sampled phones valid under region
    sampled: int
    complete: bool  # every phone-shaped cell was read (no sampling)
    total: int  # phone-shaped cells in the file
    without_plus: int
    ambiguous: int = 0
    example: str | None = None
    scores: list[tuple[str, int]] = field(default_factory=list)  # (region, valid of the scored phones)
    countryless: bool = False  # read and scored: the phones of the rows whose country cell is empty
    scored: int = 0  # phones read under every candidate region


@dataclass
class Findings:
    preset: str | None
    phones: Phones
    mapping: list[Decision]
    notes: list[str]


CountrylessPhones = Callable[[str, list[str]], list[str]]  # (country column, phone columns) → phone cells


def decide(stats: FileStats, preset: str | None, countryless: CountrylessPhones | None = None) -> Findings:
    """Every decision, or ``UsageError`` when no column holds phone numbers. ``countryless``: a second look at
    the file for the phones of the rows whose country cell is empty (the only ones ``default_country`` reads)."""
    notes: list[str] = []
    preset_keys = resolve(PRESETS[preset], stats.columns) if preset else {}
    phones = find_phones(stats, preset)
    used = set(phones.columns) | _named_by(preset_keys)
    country = [] if "country_column" in preset_keys else _country(stats, used)
    country_column = preset_keys.get("country_column") or (country[0].value if country else None)
    if country_column is not None:  # each row has its region: the default is for the rows without one
        blank = countryless(country_column, phones.columns) if countryless is not None else None
        phones = find_phones(stats, preset, _regions_named(stats[country_column]), blank)
    mapping = _phone_decisions(stats, phones, preset) + country
    if preset is None:
        mapping += _people(stats, used)
        mapping += _tags(stats, used)
    if preset is None or preset_keys.get("custom_attributes") != "none":
        mapping += _types(stats, used, notes)
    return Findings(preset, phones, mapping, notes)


def _named_by(keys: dict[str, Any]) -> set[str]:
    """The columns a preset's mapping names."""
    named: set[str] = set()
    for key, value in keys.items():
        if key in CORE_FIELDS or key == "country_column":
            named.update([value] if isinstance(value, str) else value)
    return named


# -- phones -------------------------------------------------------------------------------------------------


def find_phones(
    stats: FileStats, preset: str | None, named: list[str] | None = None, countryless: list[str] | None = None
) -> Phones:
    """The phone columns and the region under which most of their phones read as valid. With a country column:
    ``named``, the regions it names, the most common first; ``countryless``, the phones of the rows it leaves
    empty, which alone decide the default (with none, the most common region named is the default)."""
    candidates = _phone_candidates(stats, preset)
    values = [value for name in candidates for value in stats[name].phone_sample.values]
    scored = values if countryless is None else countryless
    regions = list(dict.fromkeys([*(named or [])[:2], *candidate_regions(scored)]))
    thinned = _thinned(scored, SCORED)
    scores = [(region, _valid(thinned, [region])) for region in regions]
    region = max(scores, key=lambda score: score[1])[0]  # the first of equals: the most common country code
    if countryless == [] and named:
        region = named[0]
    readable = [region, *(named or [])[:3]]  # a column of a country file holds the numbers of several regions
    kept = [name for name in candidates if _valid_share(stats[name], readable) >= MOSTLY or preset]
    if not kept:
        raise UsageError(
            f"no column holds phone numbers: {_looked_at(stats, candidates)}; "
            "name the column in [mapping] phone_number of a spec you write yourself"
        )
    kept.sort(key=lambda name: -stats[name].filled)  # stable: the file's order among equals
    found = _phones_read(stats, kept, region, scores, countryless)
    found.scored = len(thinned)
    return found


def _phone_candidates(stats: FileStats, preset: str | None) -> list[str]:
    if preset is not None:
        named = resolve(PRESETS[preset], stats.columns).get("phone_number", [])
        found = [name for name in named if stats[name].phones]
    else:
        found = [
            name for name in stats.columns if stats[name].phones and stats[name].share(stats[name].phones) >= MOSTLY
        ]
    if not found:
        raise UsageError(f"no column holds phone numbers: {_looked_at(stats, [])}; nothing written")
    return found


def _looked_at(stats: FileStats, candidates: list[str]) -> str:
    shown = candidates or stats.columns
    shares = ", ".join(f"{name!r} ({stats[name].share(stats[name].phones):.0%} phone-shaped)" for name in shown[:12])
    more = f" and {len(shown) - 12} more" if len(shown) > 12 else ""
    return f"looked at {len(shown)} column{'s' if len(shown) != 1 else ''}: {shares}{more}"


def _regions_named(column: ColumnStats) -> list[str]:
    found = Counter(region for value in column.country_sample.values if (region := region_of(value)))
    return [region for region, _ in found.most_common()]


def candidate_regions(values: list[str]) -> list[str]:
    """The regions of the country codes the phones most often start with (after "+", "00", or none), the most
    common first; then the common regions (national numbers, with a trunk 0 or without)."""
    codes: Counter[int] = Counter()
    for value in values:
        digits = re.sub(r"\D", "", value)
        digits = digits[2:] if value.lstrip().startswith("00") else digits
        code = country_code_of(digits)
        if code is not None and len(digits) > len(str(code)):
            codes[code] += 1
    regions = [phonenumbers.region_code_for_country_code(code) for code, _ in codes.most_common(6)]
    found = list(dict.fromkeys(region for region in regions if region not in ("001", "ZZ")))[:3]
    return list(dict.fromkeys([*found, *FALLBACK_REGIONS]))  # 98… may be Iran's code or an Indian mobile


def _thinned(values: list[str], most: int) -> list[str]:
    return values[:: max(1, len(values) // most)][:most]


def _valid(values: list[str], regions: list[str]) -> int:
    """How many of the values read as a valid number in one of the regions."""
    return sum(1 for value in values if any(_reads(value, region) for region in regions))


def _reads(value: str, region: str) -> bool:
    try:
        read_phone(value, region, "auto")
    except PhoneError:
        return False
    return True


def _valid_share(column: ColumnStats, regions: list[str]) -> float:
    """The share of the column's filled cells that read as valid numbers (shape share × sampled validity)."""
    sample = column.phone_sample.values
    return column.share(column.phones) * (_valid(sample, regions) / len(sample) if sample else 0.0)


def _phones_read(
    stats: FileStats, columns: list[str], region: str, scores: list[tuple[str, int]], countryless: list[str] | None
) -> Phones:
    """What the rule makes of the sampled phones under ``region`` (with a country column: of the rows without
    a country, the only ones read in it)."""
    found = Phones(
        columns,
        region,
        0,
        0,
        all(stats[name].phone_sample.complete for name in columns),
        sum(stats[name].phones for name in columns),
        sum(stats[name].phones - stats[name].international for name in columns),
        scores=scores,
        countryless=countryless is not None,
    )
    values = (
        countryless if countryless is not None else [v for name in columns for v in stats[name].phone_sample.values]
    )
    for value in values:
        found.sampled += 1
        try:
            reading = read_phone(value, region, "auto")
        except PhoneError:
            continue
        found.read += 1
        if reading.other is not None:
            found.ambiguous += 1
            found.example = found.example or (
                f"{value!r} is {pretty(reading.number)} in {region}, or {pretty(reading.other)}"
            )
    return found


def _phone_decisions(stats: FileStats, phones: Phones, preset: str | None) -> list[Decision]:
    decisions: list[Decision] = []
    if preset is None:
        value: Any = phones.columns[0] if len(phones.columns) == 1 else phones.columns
        filled = ", ".join(f"{name!r} {stats[name].filled:,} filled" for name in phones.columns)
        why = "most cells read as phone numbers" + (
            "; tried in this order, the most filled first" if len(phones.columns) > 1 else ""
        )
        decisions.append(Decision("phone_number", value, f"{why} ({filled})"))
    sample = "" if phones.complete else " (a sample spread over the file)"
    others = ", ".join(f"{region}: {valid:,}" for region, valid in phones.scores if region != phones.region)
    decisions.append(
        Decision(
            "default_country",
            phones.region,
            f"{phones.read:,} of {phones.sampled:,} phones{sample}"
            f"{' of rows with no country' if phones.countryless else ''} read as valid {phones.region} numbers"
            f"{f' (of {phones.scored:,} scored, {others})' if others else ''}; "
            f'{phones.without_plus:,} of {phones.total:,} lack "+"',
        )
    )
    if phones.ambiguous:
        decisions.append(
            Decision(
                "phone_without_plus",
                "auto",
                f"{phones.ambiguous:,} phones read two ways, e.g. {phones.example}; auto takes the "
                f'{phones.region} reading; "international" takes the other, "strict" rejects them',
            )
        )
    return decisions


# -- people, tags, country ----------------------------------------------------------------------------------


def _people(stats: FileStats, used: set[str]) -> list[Decision]:
    by_kind: dict[str, list[str]] = {"first_name": [], "last_name": [], "full_name": []}
    for name in stats.columns:
        key = column_key(name)
        kind = "first_name" if key in FIRST else "last_name" if key in LAST else "full_name" if key in FULL else None
        if kind and name not in used and stats[name].filled:
            by_kind[kind].append(name)
    decisions = []
    if by_kind["first_name"] and not by_kind["last_name"] and by_kind["full_name"]:  # Name;Vorname
        column = by_kind["full_name"].pop(0)
        why = f"named {column!r} next to {by_kind['first_name'][0]!r}: the family name"
        decisions.append(Decision("last_name", column, why))
        why = f"built from first_name + last_name ({column!r} alone is only the family name)"
        decisions.append(Decision("full_name", [], why))
    for kind, names in by_kind.items():
        if names:
            decisions.append(Decision(kind, names[0], f"the column is named {names[0]!r}"))
    used.update(decision.value for decision in decisions if isinstance(decision.value, str))
    return decisions + _emails(stats, used)


def _emails(stats: FileStats, used: set[str]) -> list[Decision]:
    found = [
        name
        for name in stats.columns
        if name not in used and stats[name].filled and stats[name].share(stats[name].emails) >= MOSTLY
    ]
    if not found:
        return []
    found.sort(key=lambda name: -stats[name].filled)
    used.update(found)
    counts = ", ".join(f"{stats[name].emails:,} of {stats[name].filled:,} in {name!r}" for name in found)
    return [Decision("email", found[0] if len(found) == 1 else found, f"cells shaped like emails: {counts}")]


def _tags(stats: FileStats, used: set[str]) -> list[Decision]:
    for name in stats.columns:
        if column_key(name) in TAGS and name not in used:
            used.add(name)
            separator = _separator(stats[name])
            return [
                Decision("tags", {"column": name, "separator": separator}, f"named {name!r}; split on {separator!r}")
            ]
    return []


def _separator(column: ColumnStats) -> str:
    """The separator most cells hold (" ::: " first: its cells hold ":" and spaces too); "," when none."""
    counts = column.separators
    if counts.get(" ::: "):
        return " ::: "
    best = max(counts, key=lambda separator: counts[separator], default=",")
    return best if counts.get(best) else ","


def _country(stats: FileStats, used: set[str]) -> list[Decision]:
    found = [
        name
        for name in stats.columns
        if name not in used
        and stats[name].filled
        and stats[name].share(stats[name].countries) >= COUNTRY_SHARE
        and stats[name].share(stats[name].booleans) < MOSTLY
        and any(word in name.lower() for word in COUNTRY_WORDS)  # "Jo" is a first name, and Jordan's code
        and not any(word in name.lower() for word in NOT_A_COUNTRY)
    ]
    if not found:
        return []
    name = max(found, key=lambda column: stats[column].filled)
    used.add(name)
    column = stats[name]
    why = (
        f"{column.countries:,} of {column.filled:,} cells name a country: the row's region (if empty: default_country)"
    )
    return [Decision("country_column", name, why)]


# -- types --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Kind:
    """A column's type, why, and the one date pattern reading it (``needs_pattern``: the defaults do not)."""

    kind: str
    why: str
    pattern: str | None = None
    needs_pattern: bool = False


def _types(stats: FileStats, used: set[str], notes: list[str]) -> list[Decision]:
    free = [name for name in stats.columns if name not in used]
    comma, point = sum(stats[name].comma for name in free), sum(stats[name].point for name in free)
    mark = "," if comma > point else "."
    kinds = {name: kind for name in free if (kind := _kind(stats[name], mark, notes, name)) is not None}
    decisions = []
    if any(kind.kind == "number" for kind in kinds.values()):
        why = f'{max(comma, point):,} numbers use "{mark}" as the decimal mark, {min(comma, point):,} the other'
        decisions.append(Decision("decimal", mark, why))
    if any(kind.needs_pattern for kind in kinds.values()):  # date_formats replaces the defaults for every column
        formats = list(dict.fromkeys(kind.pattern for kind in kinds.values() if kind.pattern))
        decisions.append(Decision("date_formats", formats, "the default patterns read some dates two ways"))
    if kinds:
        types = {name: kind.kind for name, kind in kinds.items()}
        decisions.append(Decision("types", types, "; ".join(f"{name}: {kind.why}" for name, kind in kinds.items())))
    return decisions


def _kind(column: ColumnStats, mark: str, notes: list[str], name: str) -> Kind | None:
    if not column.filled:
        return None
    if column.share(column.booleans) >= BOOLEAN_SHARE:
        return Kind("boolean", f"{column.booleans:,}/{column.filled:,} yes/no")
    if column.share(column.dates) >= DATE_SHAPED:
        return _date_kind(column, notes, name)
    evidence, converts = (column.comma, column.as_comma) if mark == "," else (column.point, column.as_point)
    if evidence and column.share(converts) >= NUMBER_SHARE:
        return Kind("number", f"{converts:,}/{column.filled:,} numbers")
    if (column.point if mark == "," else column.comma) and not evidence:
        notes.append(f"{name!r} holds numbers with the other decimal mark; left as text")
    return None


def _date_kind(column: ColumnStats, notes: list[str], name: str) -> Kind | None:
    sample = column.date_sample.values
    scored = sorted(
        ((_dates_read(sample, ValueOptions(date_formats=(pattern,))), pattern) for pattern in DATE_FORMATS),
        key=lambda score: -score[0],
    )
    (best, pattern), (second, _) = scored[0], scored[1]
    single = pattern if best >= DATE_READ * len(sample) else None
    read = _dates_read(sample, ValueOptions())
    if read >= DATE_READ * len(sample):
        return Kind("date", f"{read:,}/{len(sample):,} dates", single)
    if single and best > second:
        return Kind("date", f"{best:,}/{len(sample):,} dates as {pattern}", single, needs_pattern=True)
    notes.append(f"{name!r} looks like dates that no single pattern reads; left as text (set date_formats)")
    return None


def _dates_read(sample: list[str], options: ValueOptions) -> int:
    convert = converter("date", options)
    count = 0
    for value in sample:
        try:
            convert(value)
        except EmptyValue:
            pass
        except ValueError:
            continue
        count += 1
    return count
