"""Every rule issue 20 added (fallback columns, multi-value cells, a country column, each phone policy,
decimal commas, dates and booleans as people write them), on export-shaped data: the column-wise path maps
and counts every row as the per-row mapper does, and decides most rows itself."""

import csv
import random
from collections import Counter

import phonenumbers
import pytest

from bulkcontacts.config.mapping import MappingSpec
from bulkcontacts.config.sources import FileSource
from bulkcontacts.contacts.columnar import FastPath
from bulkcontacts.contacts.mapping import ContactMapper, Rejection
from bulkcontacts.io.readers import FileReader
from bulkcontacts.jobs.rows import Tally, mapped_batches, tally_batches

EXPORT_COLUMNS = ["Name", "Phone 1 - Value", "Phone 2 - Value", "Country", "Amount", "Newsletter", "Birthday"]
COUNTRIES = ["", "", "India", "IN", "germany", "DE", "United States", "us", "GB", "United Kingdom", "Atlantis"]


def export_phone(rng: random.Random, numbers: list[tuple[int, str]]) -> str:
    """A phone as exports write it: mostly digits with the country code and no "+", then every other shape."""
    code, national = rng.choice(numbers)
    n3, rest = national[:3], national[3:]
    shapes = [
        (f"{code}{national}", 40),
        (f"{n3} {rest}", 8),
        (f"{n3}-{rest}", 6),
        (f"0{n3} {rest}", 8),
        (f"+{code} {n3} {rest}", 8),
        (f"00{code} {national}", 4),
        (f"(+{code}) {n3}-{rest}", 4),
        (f"1 ({n3}) {rest}", 2),
        (f"{national}", 6),
        (f"+{code} {national} ::: +{code} {national[:-1]}9", 4),
        (f"{national[:4]}", 3),
        ("9.18230E+11", 1),
        ("4,91701E+11", 1),
        ("", 5),
    ]
    return rng.choices([shape for shape, _ in shapes], [weight for _, weight in shapes])[0]


def export_rows(count: int, seed: int) -> list[dict[str, str]]:
    rng = random.Random(seed)
    numbers = [
        (example.country_code, str(example.national_number))
        for region in ("IN", "DE", "US", "GB")
        for kind in (0, 1)
        if (example := phonenumbers.example_number_for_type(region, kind)) is not None
    ]
    varied = [(code, national[:-3] + f"{rng.randrange(1000):03d}") for code, national in numbers for _ in range(50)]
    return [
        {
            "Name": rng.choice(["Ana Rao", "Jörg Müller", "", "Zoë"]),
            "Phone 1 - Value": export_phone(rng, varied),
            "Phone 2 - Value": export_phone(rng, varied) if rng.random() < 0.3 else "",
            "Country": rng.choice(COUNTRIES),
            "Amount": rng.choice(["99,90", "1.234,56", "12,5", "7", "", "1,2,3", "abc"]),
            "Newsletter": rng.choice(["ja", "nein", "yes", "", "vielleicht"]),
            "Birthday": rng.choice(["31.12.2019", "3/14/1985", "0/0/00", "01/02/2020", "", "2019-12-31"]),
        }
        for _ in range(count)
    ]


@pytest.mark.parametrize("policy", ["auto", "strict", "international", "national"])
@pytest.mark.parametrize("region", ["DE", "IN", "US"])
def test_every_new_rule_maps_column_wise_as_per_row_on_export_shaped_data(tmp_path, policy, region):
    """Fallback columns, multi-value cells, a country column, each phone policy, decimal commas, dates and
    booleans as people write them: the column-wise path gives the per-row mapper's payloads and reasons row
    for row, and decides most rows itself."""
    count = 3_000
    rows = export_rows(count, seed=len(policy) + len(region))
    path = tmp_path / "export.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, EXPORT_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    mapping = MappingSpec(
        phone_number=["Phone 1 - Value", "Phone 2 - Value"],
        full_name="Name",
        default_country=region,
        country_column="Country",
        phone_without_plus=policy,
        decimal=",",
        types={"Amount": "number", "Newsletter": "boolean", "Birthday": "date"},
    )
    reader = FileReader(FileSource(type="file", path=path, batch_rows=1_000))
    slow = ContactMapper(mapping, reader.columns(), "chan")
    expected = [slow.map(row) for _, batch in reader.batches() for row in batch]
    fast = ContactMapper(mapping, reader.columns(), "chan")
    got = [outcome for _, outcomes in mapped_batches(reader, fast, None, 0) for outcome in outcomes]
    assert got == expected
    assert (fast.ambiguous.rows, fast.ambiguous.example is None) == (
        slow.ambiguous.rows,
        slow.ambiguous.example is None,
    )
    codes = Counter(outcome.code for outcome in expected if isinstance(outcome, Rejection))
    assert codes["unknown_country"] and codes["bad_value"] and codes["bad_phone"]
    assert policy != "strict" or region != "DE" or codes["ambiguous_phone"]
    decided = [phone for batch in reader.frames() for phone in FastPath(fast).phones(batch.frame).to_list()]
    accepted = sum(not isinstance(outcome, Rejection) for outcome in expected)
    assert sum(phone is not None for phone in decided) >= 0.8 * accepted  # the fast path engages on real shapes
    tally = Tally()  # the dry run's counts: rows the column-wise path refuses are counted from its columns
    for _ in tally_batches(reader, ContactMapper(mapping, reader.columns(), "chan"), None, tally):
        pass
    rejected = [outcome for outcome in expected if isinstance(outcome, Rejection)]
    assert tally.rejected == Counter(outcome.code for outcome in rejected)
    assert tally.to_send == count - len(rejected)
    first_reasons: dict[str, str] = {}
    for outcome in rejected:
        first_reasons.setdefault(outcome.code, outcome.reason)
    assert tally.examples == first_reasons
