"""The export-shaped fixtures (tests/data/exports) are what benchmarks/make_exports.py writes, and hold the
rows their counts.json says."""

from __future__ import annotations

import csv
import filecmp
import io
import json
from pathlib import Path

from benchmarks.make_exports import FIXTURES, FOLDER, make
from benchmarks.shapes import REALISTIC_MIX, realistic_kinds, realistic_rows

ENCODINGS = {"excel-de.csv": "cp1252", "outlook.csv": "utf-8-sig"}


def test_fixtures_are_regenerated_byte_for_byte(tmp_path: Path) -> None:
    make(tmp_path)
    names = [*FIXTURES, "counts.json", "README.md"]
    _, mismatch, errors = filecmp.cmpfiles(FOLDER, tmp_path, names, shallow=False)
    assert (mismatch, errors) == ([], [])


def _rows(name: str) -> int:
    data = (FOLDER / name).read_bytes()
    if name.endswith(".vcf"):
        return data.count(b"BEGIN:VCARD\r\n")
    text = data.decode(ENCODINGS.get(name, "utf-8"))
    return len(list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";" if "excel-de" in name else ",")))


def test_counts_match_the_files() -> None:
    counts = json.loads((FOLDER / "counts.json").read_text(encoding="utf-8"))["kinds"]
    assert set(counts) == set(FIXTURES)
    for name, kinds in counts.items():
        assert sum(kinds.values()) == _rows(name), name
        assert 40 <= _rows(name) <= 200


def test_export_headers_and_encodings() -> None:
    outlook = (FOLDER / "outlook.csv").read_bytes()
    assert outlook.startswith(b'\xef\xbb\xbf"First Name","Middle Name",') and b"\r\n" in outlook
    german = (FOLDER / "excel-de.csv").read_bytes()
    assert german.startswith(b"Name;Vorname;Telefon;E-Mail;Betrag;Newsletter;Geburtstag;Notiz\r\n")
    assert "ü".encode("cp1252") in german and b"4,91701E+11" in german
    google = (FOLDER / "google-contacts.csv").read_text(encoding="utf-8")
    assert google.startswith("First Name,Middle Name,Last Name,Phonetic First Name,") and " ::: " in google


def test_realistic_rows_are_deterministic_and_mixed() -> None:
    first = list(realistic_rows(3000, seed=7))
    assert first == list(realistic_rows(3000, seed=7)) != list(realistic_rows(3000, seed=8))
    kinds = [kind for kind, _ in realistic_kinds(3000, seed=7)]
    for kind, share in REALISTIC_MIX:
        assert abs(kinds.count(kind) / 30 - share) < 1.5, kind
