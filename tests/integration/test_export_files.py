"""The committed exports in the exact shapes people bring (tests/data/exports: Google Contacts in both
generations, Outlook with a BOM and a quoted header, a German Excel file in cp1252 with ";" and decimal commas,
HubSpot with a country column, vCards), read through the documented keys: the dry run's counts are the ones
the files were written to hold (counts.json, checked with phonenumbers when written), the column-wise path
maps every row as the per-row mapper, and ``bulkcontacts init``'s spec rejects no row the hand-written one
accepts."""

import json
from pathlib import Path

import pytest

from bulkcontacts.config.load import load_spec
from bulkcontacts.contacts.duplicates import DuplicatePhones
from bulkcontacts.contacts.mapping import ContactMapper, Rejection
from bulkcontacts.io.readers import FileReader
from bulkcontacts.jobs.init import init_job
from bulkcontacts.jobs.rows import Tally, mapped_batches, tally_batches
from bulkcontacts.jobs.validate import check_job

EXPORTS = Path(__file__).resolve().parents[1] / "data" / "exports"
KINDS = json.loads((EXPORTS / "counts.json").read_text(encoding="utf-8"))["kinds"]
SENT = ("valid", "valid_multi", "valid_second_column", "cc_no_plus", "ambiguous", "no_country")
REFUSED = {
    "invalid_phone": "bad_phone",
    "no_phone": "bad_phone",
    "no_name": "no_name",
    "bad_email": "bad_email",
    "duplicate": "duplicate_in_file",
    "unknown_country": "unknown_country",
}
HAND_WRITTEN = {  # [source] keys, [mapping] keys: what a person writes after reading the README
    "google-contacts.csv": ('preset = "google-contacts"', 'default_country = "US"'),
    "google-contacts-legacy.csv": ('preset = "google-contacts"', 'default_country = "US"'),
    "outlook.csv": ('preset = "outlook"', 'default_country = "GB"'),
    "excel-de.csv": (
        'delimiter = ";"\nencoding = "cp1252"',
        'default_country = "DE"\nphone_number = "Telefon"\nfirst_name = "Vorname"\nlast_name = "Name"\n'
        'email = "E-Mail"\ndecimal = ","\ntypes = { Betrag = "number", Newsletter = "boolean", Geburtstag = "date" }',
    ),
    "hubspot.csv": ('preset = "hubspot"', 'default_country = "IN"'),
    "contacts.vcf": ('preset = "vcard"', 'default_country = "IN"'),
}


def hand_spec(folder: Path, name: str) -> Path:
    source, mapping = HAND_WRITTEN[name]
    spec = folder / f"{Path(name).stem}.toml"
    spec.write_text(
        f'[job]\nname = "hand"\n\n[source]\ntype = "file"\npath = "{EXPORTS / name}"\n{source}\n\n'
        '[sink]\ntype = "rampwin"\napi_key = "${RAMPWIN_API_KEY}"\nintegration_id = "chan"\n\n'
        f"[mapping]\n{mapping}\n",
        encoding="utf-8",
    )
    return spec


def outcomes(spec_path: Path) -> tuple[list[object], list[object], ContactMapper]:
    """Every row's outcome by the column-wise path (as ``run`` maps), and by the per-row mapper alone."""
    spec = load_spec(spec_path, emulate=True)
    reader = FileReader(spec.source)
    columns = reader.columns()
    fast = ContactMapper(spec.mapping, columns, "chan", spec.source.preset)
    got = [outcome for _, outcomes in mapped_batches(reader, fast, DuplicatePhones(), 0) for outcome in outcomes]
    slow = ContactMapper(spec.mapping, columns, "chan", spec.source.preset)
    duplicates = DuplicatePhones()
    expected = [duplicates.check(slow.map(row)) for _, batch in reader.batches() for row in batch]
    return got, expected, fast


@pytest.mark.parametrize("name", sorted(HAND_WRITTEN))
def test_each_export_reads_as_it_was_written(tmp_path, name):
    spec_path = hand_spec(tmp_path, name)
    got, expected, mapper = outcomes(spec_path)
    assert got == expected
    kinds = KINDS[name]
    want: dict[str, int] = {}
    for kind, count in kinds.items():
        if kind not in SENT:
            want[REFUSED[kind]] = want.get(REFUSED[kind], 0) + count
    spec = load_spec(spec_path, emulate=True)
    reader = FileReader(spec.source)
    tally = Tally()
    dry_mapper = ContactMapper(spec.mapping, reader.columns(), "chan", spec.source.preset)
    for _ in tally_batches(reader, dry_mapper, DuplicatePhones(), tally):
        pass
    assert dict(tally.rejected) == want
    assert tally.to_send == sum(count for kind, count in kinds.items() if kind in SENT)
    assert dry_mapper.ambiguous.rows == kinds.get("ambiguous", 0)  # the dry run counts them and says so


@pytest.mark.parametrize("name", sorted(HAND_WRITTEN))
def test_inits_spec_rejects_no_row_the_hand_written_one_accepts(tmp_path, name, monkeypatch):
    monkeypatch.setenv("RAMPWIN_API_KEY", "k")
    monkeypatch.setenv("RAMPWIN_INTEGRATION_ID", "chan")
    written = init_job(EXPORTS / name, tmp_path / "init.toml", None, force=False)
    spec = load_spec(written.spec_path, emulate=True)
    assert check_job(spec, 5).rows == sum(KINDS[name].values())  # validate accepts it
    by_init, _, _ = outcomes(written.spec_path)
    by_hand, _, _ = outcomes(hand_spec(tmp_path, name))
    refused_by_init = {row for row, outcome in enumerate(by_init) if isinstance(outcome, Rejection)}
    refused_by_hand = {row for row, outcome in enumerate(by_hand) if isinstance(outcome, Rejection)}
    assert refused_by_init <= refused_by_hand, [by_init[row] for row in sorted(refused_by_init - refused_by_hand)]
    sent = [
        (a["phone_number"], b["phone_number"])
        for a, b in zip(by_init, by_hand, strict=True)
        if isinstance(a, dict) and isinstance(b, dict)
    ]
    assert all(left == right for left, right in sent)  # the same numbers, read the same way
