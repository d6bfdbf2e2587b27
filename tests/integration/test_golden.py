"""The quick start's outcome files, byte for byte as release 0.2.0 wrote them (tests/data/golden/, made by
that release): every row number, phone, reason and source cell unchanged by the column-wise data plane.
Only the contact ids differ (the emulator makes new ones)."""

import csv
import shutil
from pathlib import Path

import pytest

from bulkcontacts.jobs import EXIT_REJECTIONS
from tests.helpers import run_cli

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "data" / "golden"


@pytest.mark.parametrize("source", ["contacts.csv", "contacts.parquet"])
def test_the_sample_import_writes_the_releases_outcome_files(tmp_path, source):
    spec = tmp_path / "import.toml"
    shutil.copy(ROOT / "samples" / source, tmp_path / source)
    text = (ROOT / "jobs" / "import-contacts.toml").read_text(encoding="utf-8")
    text = text.replace('rate = "200/s"', 'rate = "2000/s"')  # the emulator's own limit is off: no wait
    spec.write_text(text.replace("../samples/contacts.csv", source), encoding="utf-8")
    done = run_cli("run", str(spec), "--emulate", "-q", "--state-dir", str(tmp_path / "state"))
    assert done.returncode == EXIT_REJECTIONS, done.stdout + done.stderr
    rejected = (tmp_path / "state" / "rejected.csv").read_bytes()
    assert rejected == (GOLDEN / f"{source}.rejected.csv").read_bytes()
    with open(tmp_path / "state" / "created.csv", newline="", encoding="utf-8") as handle:
        header, *lines = list(csv.reader(handle))
    created = [header[:2]] + sorted(([row, phone] for row, phone, _ in lines), key=lambda line: int(line[0]))
    with open(GOLDEN / f"{source}.created.csv", newline="", encoding="utf-8") as handle:
        assert created == list(csv.reader(handle))
