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
    ("windows1252.csv", "", 2, "windows1252.csv, line 2, column 20: byte 0xe9 is not valid utf-8", None, None),
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
    ("binary.csv", "", 2, "is not valid utf-8; set [source] encoding", None, None),
    ("compressed.csv.gz", "", 2, "is compressed; decompress it first", None, None),
    ("gzip_named.csv", "", 2, "the file is gzip-compressed; decompress it first (gunzip gzip_named.csv)", None, None),
    ("zstd_named.csv", "", 2, "the file is zstd-compressed", None, None),
    ("bom_only.csv", "", 2, "the file is empty", None, None),
    ("cr_only.csv", "", 0, "every row is accounted for", 2, 0),
    ("nul_bytes.csv", "", 2, "nul_bytes.csv, line 2: a NUL byte", None, None),
    ("nested.jsonl", "", 1, "every row is accounted for", 0, 3),  # an object attribute is refused too
    ("nested_phone.parquet", "", 1, "every row is accounted for", 0, 2),
    ("huge_numbers.jsonl", "", 1, "every row is accounted for", 0, 3),
    ("huge_amount.csv", "", 0, "every row is accounted for", 2, 0),
    ("json_array.jsonl", "", 2, "json_array.jsonl, line 1: a JSONL line must be an object", None, None),
    ("not_object.jsonl", "", 2, "not_object.jsonl, line 2: a JSONL line must be an object", None, None),
    ("no_phone_column.csv", "", 2, "looks ';'-separated; set [source] delimiter = \";\"", None, None),
    ("no_phone_column.csv", 'delimiter = ";"', 0, "every row is accounted for", 1, 0),
    ("empty_header_name.csv", "", 2, "line 1: column 2 of the header has no name", None, None),
    ("no_rows.parquet", "", 0, "every row is accounted for", 0, 0),
    ("wide_header.csv", "", 0, "every row is accounted for", 1, 0),
    (".", 'format = "csv"', 2, "is a folder; point it at the file", None, None),
    ("header_only.csv", 'encoding = "utf-99"', 2, "[source] encoding: is not an encoding Python knows", None, None),
]


def run(args):
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    output = result.output  # stdout and stderr, interleaved
    assert "Traceback" not in output
    return result.exit_code, output


@pytest.mark.parametrize(
    "name, source_extra, code, words, created, rejected",
    CASES,
    ids=[f"{case[0]}{'+' + case[1] if case[1] else ''}" for case in CASES],
)
def test_each_file_gives_its_documented_outcome(tmp_path, name, source_extra, code, words, created, rejected):
    spec = tmp_path / "job.toml"
    spec.write_text(
        f'''[job]
name = "bad"
[source]
type = "file"
path = "{BAD / name}"
{source_extra}
[sink]
type = "rampwin"
api_key = "${{RAMPWIN_API_KEY}}"
integration_id = "corpus"
''',
        encoding="utf-8",
    )
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


SPECS = [
    ("bad_toml.toml", "is not valid TOML"),
    ("wrong_types.toml", "[run] concurrency"),
    ("unknown_provider.toml", "'hubspot' is not a known type"),
    ("missing_table.toml", "the [sink] table is missing"),
    ("rate_zero.toml", "[run] rate: rate must be above zero"),
    ("rate_negative.toml", "[run] rate: rate must be above zero (got -5)"),
    ("concurrency_zero.toml", "[run] concurrency: must be greater than or equal to 1 (got 0)"),
    ("timeout_negative.toml", "[run] request_timeout: must be greater than 0"),
    ("attempts_huge.toml", "[run] max_attempts: must be less than or equal to 100"),
    ("headroom_too_big.toml", "[run] rate_headroom: must be less than 0.5"),
    ("unknown_run_key.toml", "[run] ratelimit: unknown key; remove it or check its spelling"),
    ("job_name_path.toml", "[job] name: use letters, digits"),
    ("duplicate_key.toml", "not valid TOML: Cannot overwrite a value (at line 13"),
    ("unset_env.toml", "environment variable BULKCONTACTS_UNSET_A is not set; export BULKCONTACTS_UNSET_A=..."),
    ("misspelt_table.toml", "[sorce] is not a table bulkcontacts knows; did you mean [source]?"),
    ("unknown_sink.toml", "[sink] type: 'salesforce' is not a known type"),
    ("unknown_encoding.toml", "[source] encoding: is not an encoding Python knows"),
    ("delimiter_long.toml", "[source] delimiter: must be exactly one character"),
    ("batch_rows_zero.toml", "[source] batch_rows: must be greater than or equal to 1"),
    ("source_missing.toml", "[source] path:"),
    ("source_directory.toml", "is a folder; point it at the file to read"),
    ("lookalike_host.toml", "[sink] base_url: plain http:// to localhost.attacker.example"),
    ("userinfo_host.toml", "[sink] base_url: user-info before the host"),
    ("bad_country.toml", "[mapping] default_country: 'XX' is not a two-letter region code"),
    ("bad_custom_type.toml", "[mapping] types.amount: must be 'string', 'number'"),
    ("tags_not_table.toml", "[mapping] tags: must be a table"),
    ("missing_column.toml", "[mapping] email: column 'mail' is not in the source"),
    ("binary_spec.toml", "is not UTF-8 text"),
]
EMULATED_SPECS = [  # their secrets are unset here: --emulate fills them, and the check behind them shows
    ("bad_updated_after.toml", "[source] updated_after: must be an ISO 8601 date"),
    ("bad_filters.toml", "[source] filters.0.0.field_name: required key is missing"),
]


@pytest.mark.parametrize("name, words", SPECS + [(name, words) for name, words in EMULATED_SPECS])
def test_broken_specs_give_one_line_naming_the_problem(name, words):
    emulate = ["--emulate"] if (name, words) in EMULATED_SPECS else []
    exit_code, output = run(["validate", str(BAD / name), *emulate])
    assert exit_code == 2, output
    assert words in " ".join(output.split())
    assert len(output.strip().splitlines()) == 1


def test_a_state_dir_that_is_a_file_is_named(tmp_path):
    exit_code, output = run(["run", str(BAD / "state_dir_file.toml"), "-q"])
    assert exit_code == 2 and "header_only.csv is a file; point [run] state_dir" in " ".join(output.split())


def test_the_corpus_has_at_least_forty_cases():
    assert len(CASES) + len(SPECS) + len(EMULATED_SPECS) >= 40
