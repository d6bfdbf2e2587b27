"""Contact files shaped like real exports, not like our own generator: phones written the many ways people and
tools write them, bad rows among them, quoted multi-line notes, non-ASCII names.

Deterministic: the same ``count`` and ``seed`` give the same rows, byte for byte. Standard library only, plus
``phonenumbers`` for real number prefixes (its example numbers, the trailing digits varied; each prefix is kept
only if every number tried under it is valid, so the numbers written are valid by construction).

``python -m benchmarks.shapes ROWS PATH [SEED]`` writes ``realistic_rows(ROWS, SEED)`` to PATH (the benchmarks
write their big files in a child process: a big parent would inflate the peak RSS later children report).
"""

from __future__ import annotations

import bisect
import csv
import functools
import math
import random
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import phonenumbers

# ── The mix of ``realistic_rows``: (kind, share of rows in percent). Shares add up to 100. ──────────────────
# "Good" kinds carry a valid number (Indian unless the kind says otherwise); "bad" kinds are rows a careful
# importer must reject, or a number it cannot honestly recover.
REALISTIC_MIX: tuple[tuple[str, float], ...] = (
    ("in_cc_no_plus", 45.0),  # 918230210706
    ("in_national_spaced", 9.0),  # 98230 21070
    ("in_national_dashed", 6.0),  # 98230-21070
    ("in_national_plain", 2.0),  # 9823021070
    ("in_trunk_zero", 4.0),  # 098230 21070
    ("in_plus_spaced", 7.0),  # +91 98230 21070
    ("in_double_zero", 3.0),  # 0091 98230 21070
    ("in_bracketed", 3.0),  # (+91) 98230-21070
    ("foreign_plus", 5.0),  # +1 650-555-0100, +44 7911 123456, +49 1512 3456789
    ("foreign_no_plus", 4.0),  # 16505550100, 447911123456, 4915123456789
    # bad rows: 12 %
    ("bad_letters", 2.0),  # 98230 2107O, N/A, call me
    ("bad_short", 2.0),  # 12345
    ("bad_scientific", 1.5),  # 9.18230E+11 (Excel lost the last digits)
    ("bad_empty_phone", 1.5),
    ("bad_no_name", 2.0),  # a valid number, no name
    ("bad_email", 2.0),  # a valid number, an email that is not one
    ("duplicate_rewritten", 1.0),  # an earlier row's number, written another way
)
GOOD_KINDS = frozenset(kind for kind, _ in REALISTIC_MIX[:10])
REALISTIC_COLUMNS = ("phone", "name", "email", "notes", "tags", "amount")


@dataclass(frozen=True)
class Number:
    """A valid number: its country calling code and national significant number."""

    region: str
    code: int
    national: str

    @property
    def e164(self) -> str:
        return f"+{self.code}{self.national}"


@functools.cache
def _prefixes(region: str, kind: str, length: int) -> tuple[str, ...]:
    """Prefixes of ``length`` digits under which every number tried is a valid ``kind`` number: the example
    number's own prefix, and others made by varying its digits after the first (a fixed seed: deterministic)."""
    wanted = getattr(phonenumbers.PhoneNumberType, kind)
    example = phonenumbers.example_number_for_type(region, wanted)
    national = str(example.national_number)
    rng = random.Random(f"{region}-{kind}")
    candidates = [national[:length]]
    firsts = "6789" if region == "IN" else national[0]  # Indian mobiles start 6 to 9
    candidates += sorted({rng.choice(firsts) + "".join(rng.choices("0123456789", k=length - 1)) for _ in range(400)})
    if region == "US":  # area codes people know; the exchange varied
        candidates += [area + str(rng.randint(200, 999)) for area in ("650", "415", "212", "310", "617") * 8]
    kept: list[str] = []
    for prefix in dict.fromkeys(candidates):
        trials = (prefix + "".join(rng.choices("0123456789", k=len(national) - length)) for _ in range(40))
        if all(_is(phonenumbers.parse(f"+{example.country_code}{digits}"), wanted) for digits in trials):
            kept.append(prefix)
    return tuple(kept)


def _is(number: phonenumbers.PhoneNumber, wanted: int) -> bool:
    kinds = {wanted, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
    return phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in kinds


class Numbers:
    """Distinct valid numbers of one region and type, in a seeded order that looks random: the n-th number is
    an affine permutation of n over (prefixes × tails), so none repeats until all are used. ``checked``: each
    number is also checked on its own, and skipped if invalid (for the few prefixes a sample can misjudge)."""

    def __init__(self, region: str, kind: str, seed: int, *, checked: bool = False) -> None:
        example = phonenumbers.example_number_for_type(region, getattr(phonenumbers.PhoneNumberType, kind))
        self.region, self.code, self.checked = region, example.country_code, checked
        self.wanted = getattr(phonenumbers.PhoneNumberType, kind)
        length = {"US": 6}.get(region, 3)
        rng = random.Random(f"{seed}-{region}-{kind}")
        self.prefixes = list(_prefixes(region, kind, length))
        rng.shuffle(self.prefixes)
        self.tail = len(str(example.national_number)) - length
        self.size = len(self.prefixes) * 10**self.tail
        self.step = rng.randrange(self.size // 3, self.size)
        while math.gcd(self.step, self.size) != 1:
            self.step += 1
        self.offset = rng.randrange(self.size)
        self.issued = 0

    def next(self) -> Number:
        while True:
            if self.issued >= self.size:
                raise OverflowError(f"{self.region}: no distinct numbers left")
            spot = (self.issued * self.step + self.offset) % self.size
            self.issued += 1
            tail, prefix = divmod(spot, len(self.prefixes))
            number = Number(self.region, self.code, f"{self.prefixes[prefix]}{tail:0{self.tail}d}")
            if not self.checked or _is(phonenumbers.parse(number.e164), self.wanted):
                return number


# ── How numbers are written ─────────────────────────────────────────────────────────────────────────────────


def national_grouped(number: Number) -> str:
    """The number as its country writes it nationally, e.g. ``098230 21070``, ``(650) 555-0100``."""
    parsed = phonenumbers.parse(number.e164)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


def international(number: Number) -> str:
    """``+91 98230 21070``, ``+1 650-555-0100``, ``+44 7911 123456``."""
    parsed = phonenumbers.parse(number.e164)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def indian(number: Number, shape: str) -> str:
    """An Indian mobile (ten digits) in one of the shapes CRM exports hold."""
    digits = number.national
    head, tail = digits[:5], digits[5:]
    return {
        "in_cc_no_plus": f"91{digits}",
        "in_national_spaced": f"{head} {tail}",
        "in_national_dashed": f"{head}-{tail}",
        "in_national_plain": digits,
        "in_trunk_zero": f"0{head} {tail}",
        "in_plus_spaced": f"+91 {head} {tail}",
        "in_double_zero": f"0091 {head} {tail}",
        "in_bracketed": f"(+91) {head}-{tail}",
    }[shape]


def scientific(digits: str) -> str:
    """What Excel shows (and saves) for a long number in a General cell: ``9.18230E+11``."""
    return f"{int(digits):.5E}".replace("E+0", "E+")


# ── Names, emails, notes ────────────────────────────────────────────────────────────────────────────────────

FIRST_NAMES = (
    "Aarav", "Ananya", "Priya", "Rohan", "Saanvi", "Vihaan", "Ishaan", "Diya", "Kavya", "Arjun", "Zoë", "José",
    "Łukasz", "Søren", "Chloé", "Renée", "Jürgen", "Siobhán", "Nguyễn", "Aïcha", "प्रिया", "அருண்", "Meera",
    "Farhan", "Sneha", "Vikram", "Lakshmi", "Gaurav", "Neha", "Rahul",
)  # fmt: skip
LAST_NAMES = (
    "Sharma", "Iyer", "Patel", "Reddy", "D'Souza", "Nair", "Khan", "Gupta", "Menon", "Banerjee", "Müller",
    "Núñez", "O'Brien", "Gößling", "Đặng", "शर्मा", "முருகன்", "Fernandes", "Chatterjee", "Kulkarni",
)  # fmt: skip
ASCII_FIRST = {"Zoë": "zoe", "José": "jose", "Łukasz": "lukasz", "Søren": "soren", "Chloé": "chloe",
               "Renée": "renee", "Jürgen": "juergen", "Siobhán": "siobhan", "Nguyễn": "nguyen", "Aïcha": "aicha",
               "प्रिया": "priya", "அருண்": "arun"}  # fmt: skip
DOMAINS = ("gmail.com", "yahoo.co.in", "outlook.com", "rediffmail.com", "example.co.in", "company.com")
NOTES = (
    'Met at "TechSummit", Pune\nWants a demo; call after 5pm',
    "Prefers WhatsApp, not calls",
    'Said: "send the brochure, then follow up"',
    "Renewal due in March,\r\nask about the gold plan",
    "Referred by Meera, 2 seats, maybe 5",
    "Line 1\nLine 2\nLine 3, with a comma",
)
BAD_EMAILS = ("ananya@", "rohan.gmail.com", "priya@@example.com", "no email", "kavya@example")
LETTER_PHONES = ("N/A", "call me", "not given", "-")
TAGS = ("", "", "", "a;b", "vip", "lead;pune", "customer;gold", "b")


def _name(rng: random.Random) -> tuple[str, str]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    return f"{first} {last}", ASCII_FIRST.get(first, first.lower())


def _amount(rng: random.Random) -> str:
    return "" if rng.random() < 0.1 else f"{rng.randint(0, 250_000) / 100:.2f}"


def _cumulative(mix: tuple[tuple[str, float], ...]) -> tuple[list[str], list[float]]:
    kinds, edges, total = [], [], 0.0
    for kind, share in mix:
        total += share
        kinds.append(kind)
        edges.append(total)
    assert abs(total - 100.0) < 1e-9, total
    return kinds, edges


class _Realistic:
    """The state ``realistic_kinds`` keeps between rows: the number sources and recent Indian numbers."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.india = Numbers("IN", "MOBILE", seed)
        self.abroad = [Numbers(region, "MOBILE", seed, checked=True) for region in ("US", "GB", "DE")]
        self.recent: list[Number] = []  # earlier rows' Indian numbers, for duplicates written another way

    def indian(self, shape: str) -> str:
        number = self.india.next()
        if len(self.recent) < 1000:
            self.recent.append(number)
        else:
            self.recent[self.rng.randrange(1000)] = number
        return indian(number, shape)

    def phone(self, kind: str) -> str:
        rng = self.rng
        if kind.startswith("in_"):
            return self.indian(kind)
        if kind in ("foreign_plus", "foreign_no_plus"):
            number = rng.choice(self.abroad).next()
            return international(number) if kind == "foreign_plus" else number.e164[1:]
        if kind == "bad_letters":
            digits = indian(self.india.next(), "in_national_spaced")
            return rng.choice((digits[:-1] + "O", digits[:3] + "I" + digits[4:], rng.choice(LETTER_PHONES)))
        if kind == "bad_short":
            return str(rng.randint(100, 999_999))
        if kind == "bad_scientific":
            return scientific(f"91{self.india.next().national}")
        if kind == "bad_empty_phone":
            return ""
        if kind == "duplicate_rewritten":
            earlier = rng.choice(self.recent)
            return indian(earlier, rng.choice(("in_plus_spaced", "in_national_dashed", "in_trunk_zero")))
        # bad_no_name, bad_email: the number itself is fine
        return self.indian(rng.choice(("in_cc_no_plus", "in_national_spaced", "in_plus_spaced")))


def realistic_kinds(count: int, seed: int = 0) -> Iterator[tuple[str, dict[str, str]]]:
    """``realistic_rows`` with each row's kind (a name of ``REALISTIC_MIX``)."""
    state = _Realistic(seed)
    rng = state.rng
    kinds, edges = _cumulative(REALISTIC_MIX)
    for row in range(count):
        kind = kinds[min(bisect.bisect_right(edges, rng.random() * 100), len(kinds) - 1)]
        if kind == "duplicate_rewritten" and not state.recent:
            kind = "in_cc_no_plus"
        name, handle = _name(rng)
        email = f"{handle}.{row}@{rng.choice(DOMAINS)}"
        phone = state.phone(kind)
        if kind == "bad_no_name":
            name = ""
        if kind == "bad_email":
            email = rng.choice(BAD_EMAILS)
        notes = rng.choice(NOTES) if rng.random() < 0.15 else ""
        yield (
            kind,
            {
                "phone": phone,
                "name": name,
                "email": email,
                "notes": notes,
                "tags": rng.choice(TAGS),
                "amount": _amount(rng),
            },
        )


def realistic_rows(count: int, seed: int = 0) -> Iterator[dict[str, str]]:
    """``count`` rows of an Indian-default CRM export (columns ``REALISTIC_COLUMNS``), mixed as
    ``REALISTIC_MIX`` says: mostly valid numbers in many shapes, about 12 % bad rows."""
    for _, row in realistic_kinds(count, seed):
        yield row


def write_csv(
    path: Path,
    rows: Iterable[dict[str, str]],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    bom: bool = False,
    crlf: bool = False,
    quoting: int = csv.QUOTE_MINIMAL,
    columns: list[str] | None = None,
) -> Path:
    """Rows (dicts; the first one's keys are the header unless ``columns``) as a delimited file.
    ``bom``: a byte order mark first (Outlook, Excel's "CSV UTF-8"); ``crlf``: Windows line ends;
    ``quoting``: ``csv.QUOTE_ALL`` quotes the header too, as Outlook does."""
    iterator = iter(rows)
    first = next(iterator, None)
    header = columns or (list(first) if first is not None else [])
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding=encoding, newline="") as handle:
        if bom:
            handle.write("\ufeff")
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n", quoting=quoting)
        writer.writerow(header)
        if first is not None:
            writer.writerow([first.get(column, "") for column in header])
        for row in iterator:
            writer.writerow([row.get(column, "") for column in header])
    return path


if __name__ == "__main__":
    write_csv(Path(sys.argv[2]), realistic_rows(int(sys.argv[1]), int(sys.argv[3]) if len(sys.argv) > 3 else 0))
