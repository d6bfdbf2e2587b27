"""The column-wise path gives exactly what the per-row mapper gives: the same payloads, rejections, reasons
and row numbers, row for row, and the dry run's counts and example reasons from them."""

import csv
import random
from collections import Counter
from pathlib import Path

import phonenumbers
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bulkcontacts.config.mapping import MappingSpec
from bulkcontacts.config.sources import FileSource
from bulkcontacts.contacts.columnar import FastPath
from bulkcontacts.contacts.duplicates import DuplicatePhones, KnownRepeats
from bulkcontacts.contacts.mapping import ContactMapper, Rejection
from bulkcontacts.io.readers import FileReader
from bulkcontacts.jobs.rows import Tally, mapped_batches, tally_batches

REGIONS = ["IN", "US", "GB", "DE", "IT", "BR", "AE", "SG", "FR", "AU", "CA", "RU", "KZ", "NG", "MX", "JP"]
COLUMNS = [
    "phone",
    "first_name",
    "last_name",
    "full_name",
    "email",
    "plan",
    "amount",
    "seats",
    "vip",
    "signup",
    "tags",
    "deleted_at",
    "city",
]
MAPPING = {
    "types": {"amount": "number", "seats": "integer", "vip": "boolean", "signup": "date"},
    "tags": {"column": "tags", "separator": ";"},
    "reject_when_set": ["deleted_at"],
    "decimal": ".",
}


def national_numbers(rng: random.Random) -> list[tuple[int, str]]:
    """(country code, national number) from libphonenumber's own examples for every type, in 16 regions."""
    found = []
    for region in REGIONS:
        for kind in range(11):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                found.append((example.country_code, str(example.national_number)))
    return found


def phone(rng: random.Random, numbers: list[tuple[int, str]], earlier: list[str]) -> str:
    if earlier and rng.random() < 0.05:
        return rng.choice(earlier)  # a duplicate, written the same or not
    code, national = rng.choice(numbers)
    if rng.random() < 0.3:  # a near miss: one digit changed, one added or dropped
        at = rng.randrange(len(national))
        national = rng.choice(
            [
                national[:at] + str(rng.randrange(10)) + national[at + 1 :],
                national + str(rng.randrange(10)),
                national[:-1],
            ]
        )
    n3, rest = national[:3], national[3:]
    shapes = [
        f"+{code} {national}",
        f"+{code}{national}",
        f"0{national}",
        national,
        f"{code}{national}",
        f"00{code} {national}",
        f"({n3}) {rest}",
        f"+{code} (0){national}",
        f"{n3}-{rest}",
        f"+{code}-{n3}-{rest}",
        f"+{code}.{n3}.{rest}",
        f"  +{code} {national}  ",
        f"+{code}\t{national}",
        f"+{code}\u00a0{national}",
        f"{national}e0",
        "9.19876543210E+11",
        "9.19877E+11",
        "",
        "   ",
        "n/a",
        f"+{code} {n3}+{rest}",
        f"+{code} {national} ext. 12",
        "+" + "1" * 17,
        f"{code}{national}".translate(str.maketrans("0123456789", "०१२३४५६७८९")),
        f"/{national}/",
        f"+{code}//{national}",
    ]
    return rng.choice(shapes)


def generated_rows(count: int, seed: int) -> list[dict[str, str]]:
    rng = random.Random(seed)
    numbers = national_numbers(rng)
    rows, earlier = [], []
    for _ in range(count):
        written = phone(rng, numbers, earlier)
        earlier.append(written)
        clean = rng.random() < 0.6  # most rows are plain; the rest try every edge at once
        rows.append(
            {
                "phone": written,
                "first_name": "Ana" if clean else rng.choice(["Ana", " Ravi ", "", "Zoë", "\u2003", "José"]),
                "last_name": rng.choice(["Rao", "", "  ", "Müller"]),
                "full_name": "" if clean else rng.choice(["", "", "Ana Rao", " x ", "\x1c"]),
                "email": rng.choice(["", "a@b.co", " ok@ex.com "])
                if clean
                else rng.choice(
                    ["", "a@b.co", "bad@", "a b@c.de", "x@y.z.", " ok@ex.com ", "ü@ex.in", "a@b\u00a0c.de"]
                ),
                "plan": rng.choice(["gold", "", " silver "]),
                "amount": rng.choice(["12", "1,200.50", "-3", ".5", "1.", " 7 ", ""])
                if clean
                else rng.choice(["12", "1,200.50", "abc", "", "1e3", "1_000", "inf", "nan", "1" * 400]),
                "seats": rng.choice(["3", "+4", "1,000", ""]) if clean else rng.choice(["3.0", "3.5", "x", "", "-0"]),
                "vip": rng.choice(["yes", "No", "TRUE", "0", " y ", ""]) if clean else rng.choice(["maybe", "İ", ""]),
                "signup": rng.choice(["2024-05-08", ""])
                if clean
                else rng.choice(["2024-02-30", "0000-01-01", "2024-5-8", "2024-05-08T10:00:00Z", "0999-12-31", ""]),
                "tags": rng.choice(["a;b", "", "vip", '["x", "y"]', " ; "]),
                "deleted_at": "" if clean or rng.random() < 0.9 else "2024-01-01",
                "city": rng.choice(["Pune", "", "=cmd()"]),
            }
        )
    return rows


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.mark.parametrize("region", ["IN", "US", "GB", "BR"])
def test_the_column_wise_path_maps_every_row_as_the_per_row_mapper(tmp_path, region):
    count = 16_000 if region == "IN" else 8_000  # 40,000 rows in all, 16 regions' numbers in each
    rows = generated_rows(count, seed=len(region))
    reader = FileReader(FileSource(type="file", path=write(tmp_path / "rows.csv", rows), batch_rows=5_000))
    mapping = MappingSpec(default_country=region, **MAPPING)
    mapper = ContactMapper(mapping, reader.columns(), "chan")
    without_duplicates = [mapper.map(row) for _, batch in reader.batches() for row in batch]
    duplicates = DuplicatePhones()
    expected = [duplicates.check(outcome) for outcome in without_duplicates]

    got = [
        (row, outcome)
        for batch, outcomes in mapped_batches(reader, mapper, DuplicatePhones(count), 0)
        for row, outcome in enumerate(outcomes, batch.first)
    ]
    assert [row for row, _ in got] == list(range(count))
    assert [outcome for _, outcome in got] == expected
    repeats = {row for row, outcome in got if isinstance(outcome, Rejection) and outcome.code == "duplicate_in_file"}
    shard = KnownRepeats(repeats)
    known = [outcome for _, outcomes in mapped_batches(reader, mapper, shard, 0) for outcome in outcomes]
    assert known == expected and repeats  # a shard's driver's repeats reject the same rows

    tally = Tally()
    for _ in tally_batches(reader, mapper, DuplicatePhones(count), tally):
        pass
    rejected = [outcome for outcome in expected if isinstance(outcome, Rejection)]
    assert tally.rows == count and tally.to_send == count - len(rejected)
    assert tally.rejected == Counter(outcome.code for outcome in rejected)
    first_reasons = {}
    for outcome in rejected:
        first_reasons.setdefault(outcome.code, outcome.reason)
    assert tally.examples == first_reasons
    assert list(tally.by_first_row()) == list(first_reasons)  # the kinds in the order the file first shows them
    decided = [phone for batch in reader.frames() for phone in FastPath(mapper).phones(batch.frame).to_list()]
    for phone, outcome in zip(decided, without_duplicates, strict=True):
        assert phone is None or outcome["phone_number"] == phone  # accepted by the mapper itself, same phone
    assert sum(phone is not None for phone in decided) > count // 10  # the column-wise path decided many rows


PHONEISH = st.text(alphabet="0123456789 +-.()/\t\u00a0e0١", min_size=0, max_size=20)


EMAILISH = st.text(alphabet="ab.@ \t\x1c\x7fü\u00a0", max_size=10)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    phones=st.lists(st.one_of(PHONEISH, st.text(max_size=12)), min_size=1, max_size=40),
    region=st.sampled_from(REGIONS),
    policy=st.sampled_from(["auto", "strict", "international", "national"]),
    names=st.lists(st.text(max_size=6), min_size=3, max_size=3),
    emails=st.lists(st.one_of(EMAILISH, st.just("a@b.co")), min_size=1, max_size=40),
)
@example(  # more digits than 64 bits hold, after a dropped "+": once an error of the column-wise path
    phones=["91000000000000000000"], region="IN", policy="auto", names=["", "", ""], emails=["a@b.co"]
)
def test_a_row_the_column_wise_path_decides_is_decided_alike_by_the_mapper(phones, region, policy, names, emails):
    """Accepted with that phone, or refused with that reason code: never a row the mapper sees otherwise."""
    import polars as pl

    frame = pl.DataFrame(
        {
            "phone": phones,
            "first_name": [names[0]] * len(phones),
            "email": [emails[at % len(emails)] for at in range(len(phones))],
            "amount": [names[2]] * len(phones),
        }
    )
    mapping = MappingSpec(default_country=region, phone_without_plus=policy, types={"amount": "number"})
    mapper = ContactMapper(mapping, frame.columns, "c")
    decided = FastPath(mapper).outcomes(frame)
    for row, phone, code in zip(frame.to_dicts(), decided["phone"], decided["code"], strict=True):
        outcome = mapper.map(row)
        if phone is not None:
            assert not isinstance(outcome, Rejection), (row, phone)
            assert outcome["phone_number"] == phone
        if code is not None:
            assert isinstance(outcome, Rejection) and outcome.code == code, (row, code, outcome)


def test_the_whitespace_list_is_pythons():
    from bulkcontacts.contacts.columnar import PY_SPACE_CHARS

    assert "".join(chr(code) for code in range(0x110000) if chr(code).isspace()) == PY_SPACE_CHARS


def test_source_columns_named_like_the_querys_own_change_nothing():
    import polars as pl

    frame = pl.DataFrame(
        {
            "code": ["+91 98765 43210", "12"],
            "national": ["Ana", "Ravi"],
            "ok": ["3", "x"],
            "valid": ["a@b.co", "a@b.co"],
            "column_0": ["yes", "yes"],
        }
    )
    mapping = MappingSpec(phone_number="code", full_name="national", email="valid", types={"ok": "integer"})
    mapper = ContactMapper(mapping, frame.columns, "c")
    decided = FastPath(mapper).phones(frame).to_list()
    assert decided == [919876543210, None]  # row 2: a short phone and a bad integer, left to the mapper
    assert mapper.map(frame.to_dicts()[0])["ok"] == 3


def test_a_refusal_the_mapper_words_otherwise_leaves_the_batch_to_the_mapper(tmp_path, monkeypatch):
    """Should the two paths ever disagree, the dry run's counts are still the per-row mapper's."""
    import polars as pl

    rows = generated_rows(3_000, seed=11)
    reader = FileReader(FileSource(type="file", path=write(tmp_path / "rows.csv", rows)))
    mapping = MappingSpec(default_country="IN", **MAPPING)
    mapper = ContactMapper(mapping, reader.columns(), "chan")
    expected = Counter(
        outcome.code
        for _, batch in reader.batches()
        for row in batch
        if isinstance(outcome := mapper.map(row), Rejection)
    )
    real = FastPath.outcomes

    def wrong(self, frame, first=None):  # every refusal given a code the mapper never gives
        decided = real(self, frame, first)
        return decided.with_columns(code=pl.when(pl.col("code").is_not_null()).then(pl.lit("not_a_reason")))

    monkeypatch.setattr(FastPath, "outcomes", wrong)
    tally = Tally()
    for _ in tally_batches(reader, ContactMapper(mapping, reader.columns(), "chan"), None, tally):
        pass
    assert tally.rejected == expected and "not_a_reason" not in tally.rejected
