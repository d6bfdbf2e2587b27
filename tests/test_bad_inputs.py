"""The bad-input corpus (tests/data/bad/): each file's documented outcome, and never a traceback."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from bulkcontacts.cli import cli
from tests.helpers import read_csv

BAD = Path(__file__).resolve().parent / "data" / "bad"

# file, extra [source] lines, exit code, words in the output, created, rejected
CASES = [
    ("ragged.csv", "", 2, "ragged.csv, line 3: 4 fields where the header has 3", None, None),
    ("unterminated_quote.csv", "", 2, "a quote is never closed", None, None),
    ("windows1252.csv", "", 2, "byte 46 is not valid utf-8", None, None),
    ("windows1252.csv", 'encoding = "cp1252"', 0, "every row is accounted for", 1, 0),
    ("latin1.csv", "", 2, "set [source] encoding", None, None),
    ("latin1.csv", 'encoding = "latin-1"', 0, "every row is accounted for", 1, 0),
    ("utf16_bom.csv", "", 0, "every row is accounted for", 1, 0),
    ("empty.csv", "", 2, "the file is empty", None, None),
    ("header_only.csv", "", 0, "every row is accounted for", 0, 0),
    ("duplicate_headers.csv", "", 2, "the header repeats column 'name'", None, None),
    ("big_cell.csv", "", 0, "every row is accounted for", 2, 0),
    ("excel_scientific.csv", "", 1, "every row is accounted for", 1, 1),
    ("phone_formats.csv", "", 0, "every row is accounted for", 7, 0),
    ("blank_lines.csv", "", 0, "every row is accounted for", 2, 0),
    ("wrong_types.parquet", "", 0, "every row is accounted for", 2, 0),
    ("truncated.parquet", "", 2, "cannot read it as PARQUET", None, None),
    ("broken_line.jsonl", "", 2, "broken_line.jsonl, line 3, column", None, None),
]


def run(args):
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    output = result.output  # stdout and stderr, interleaved
    assert "Traceback" not in output
    return result.exit_code, output


@pytest.mark.parametrize("name, source_extra, code, words, created, rejected", CASES,
                         ids=[f"{case[0]}{'+' + case[1] if case[1] else ''}" for case in CASES])
def test_each_file_gives_its_documented_outcome(tmp_path, name, source_extra, code, words, created, rejected):
    spec = tmp_path / "job.toml"
    spec.write_text(f'''[job]
name = "bad"
[source]
type = "file"
path = "{BAD / name}"
{source_extra}
[sink]
type = "rampwin"
api_key = "${{RAMPWIN_API_KEY}}"
integration_id = "corpus"
''', encoding="utf-8")
    state = tmp_path / "state" / "bad"
    exit_code, output = run(["run", str(spec), "--emulate", "-q", "--state-dir", str(state)])
    assert exit_code == code, output
    assert words.lower() in " ".join(output.split()).lower()
    if created is not None:
        assert len(read_csv(state / "created.csv")) == created
        outcomes = read_csv(state / "rejected.csv")
        assert len(outcomes) == rejected
        assert all(line["reason"] for line in outcomes)
    else:
        assert len(output.strip().splitlines()) == 1  # one clear line; nothing was sent


def test_scientific_notation_rejection_says_the_digits_were_lost(tmp_path):
    test_each_file_gives_its_documented_outcome(tmp_path, "excel_scientific.csv", "", 1, "accounted", 1, 1)
    (line,) = read_csv(tmp_path / "state" / "bad" / "rejected.csv")
    assert line["row"] == "0" and "lost digits" in line["reason"] and line["phone"] == "9.19877E+11"


@pytest.mark.parametrize("name, words", [
    ("bad_toml.toml", "is not valid TOML"),
    ("wrong_types.toml", "[run] concurrency"),
    ("unknown_provider.toml", "'hubspot' is not a known type"),
    ("missing_table.toml", "the [sink] table is missing"),
])
def test_broken_specs_give_one_line_naming_the_problem(name, words):
    exit_code, output = run(["validate", str(BAD / name)])
    assert exit_code == 2 and words in " ".join(output.split())
