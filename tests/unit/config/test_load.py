from pathlib import Path

import pytest

from bulkcontacts.config.load import load_spec
from bulkcontacts.config.rates import parse_rate
from bulkcontacts.errors import UsageError

GOOD = """
[job]
name = "t"
[source]
type = "file"
path = "data.csv"
[sink]
type = "rampwin"
api_key = "${RAMPWIN_API_KEY}"
integration_id = "chan"
[run]
rate = "600/min"
"""


def spec_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "job.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_spec_loads_with_env_secret_and_relative_path(tmp_path):
    spec = load_spec(spec_file(tmp_path, GOOD))
    assert spec.sink.api_key.get_secret_value() == "test-api-key-5f1c9a"
    assert spec.source.path == tmp_path / "data.csv"
    assert spec.run.rate == 10.0
    assert "test-api-key" not in repr(spec)


@pytest.mark.parametrize(
    "text, message",
    [
        (GOOD.replace('rate = "600/min"', 'rate = "fast"'), r"\[run\] rate: rate 'fast' is not like"),
        (GOOD.replace('name = "t"', 'name = "t"\ncolour = "red"'), r"\[job\] colour: unknown key"),
        (GOOD.replace('integration_id = "chan"', ""), r"\[sink\] integration_id: required key is missing"),
        (GOOD.replace("[run]", '[run]\nconcurrency = "many"'), r"\[run\] concurrency"),
        (GOOD.replace('type = "rampwin"', 'type = "hubspot"'), r"\[sink\] type: 'hubspot' is not a known type"),
        (
            GOOD.replace('"${RAMPWIN_API_KEY}"', '"sk-live-123"'),
            r"\[sink\] api_key: secrets are read from the environment",
        ),
        (GOOD.replace("${RAMPWIN_API_KEY}", "${NOT_SET_ANYWHERE}"), "NOT_SET_ANYWHERE is not set"),
        (GOOD.replace("[sink]", '[sink]\nbase_url = "http://api.example.com"'), "plain http://"),
        (GOOD.replace('name = "t"', 'name = "../../etc"'), r"\[job\] name"),
        (GOOD.replace("[source]", "[source"), "not valid TOML"),
        (GOOD.replace('[job]\nname = "t"', ""), r"the \[job\] table is missing"),
    ],
)
def test_bad_specs_give_one_line_naming_the_key(tmp_path, text, message):
    with pytest.raises(UsageError, match=message) as caught:
        load_spec(spec_file(tmp_path, text))
    assert "\n" not in str(caught.value)


def test_missing_env_is_filled_when_emulating(tmp_path):
    spec = load_spec(spec_file(tmp_path, GOOD.replace("${RAMPWIN_API_KEY}", "${NOT_SET_ANYWHERE}")), emulate=True)
    assert spec.sink.api_key.get_secret_value() == "emulated-not_set_anywhere"


def test_loopback_http_is_allowed(tmp_path):
    spec = load_spec(spec_file(tmp_path, GOOD.replace("[sink]", '[sink]\nbase_url = "http://127.0.0.1:9/rampwin"')))
    assert spec.sink.base_url.startswith("http://127.0.0.1")


def test_missing_spec_file(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        load_spec(tmp_path / "nope.toml")


@pytest.mark.parametrize("text, per_second", [("20/s", 20), ("600/min", 10), ("3600/h", 1), (5, 5), ("1.5/s", 1.5)])
def test_rates(text, per_second):
    assert parse_rate(text) == pytest.approx(per_second)


def test_a_misspelt_table_is_named_with_the_likely_one(tmp_path):
    with pytest.raises(UsageError, match=r"\[sorce\] is not a table bulkcontacts knows; did you mean \[source\]"):
        load_spec(spec_file(tmp_path, GOOD.replace("[source]", "[sorce]")))


def test_every_unset_variable_is_named_in_one_message(tmp_path):
    text = GOOD.replace("${RAMPWIN_API_KEY}", "${UNSET_KEY_A}").replace('"chan"', '"${UNSET_CHANNEL_B}"')
    with pytest.raises(
        UsageError, match="UNSET_CHANNEL_B, UNSET_KEY_A are not set; export UNSET_CHANNEL_B=... UNSET_KEY_A=..."
    ):
        load_spec(spec_file(tmp_path, text))


def test_a_job_name_instead_of_a_file_suggests_the_spec(tmp_path, monkeypatch):
    (tmp_path / "jobs").mkdir()
    spec_file(tmp_path / "jobs", GOOD).rename(tmp_path / "jobs" / "import-contacts.toml")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match=r"did you mean jobs/import-contacts.toml\?"):
        load_spec(Path("import-contacts"))


def test_state_dir_and_paths_are_relative_to_the_spec_and_written_plainly(tmp_path, monkeypatch):
    (tmp_path / "jobs").mkdir()
    spec = spec_file(tmp_path / "jobs", GOOD.replace('"data.csv"', '"../samples/data.csv"'))
    monkeypatch.chdir(tmp_path)
    loaded = load_spec(Path("jobs/job.toml"))
    assert loaded.source.path == Path("samples/data.csv")
    assert loaded.state_dir() == Path("jobs/.bulkcontacts/t")
    assert loaded.state_dir(Path("elsewhere")) == Path("elsewhere")
    monkeypatch.chdir(tmp_path / "jobs")  # from another directory, the same state
    assert load_spec(spec.relative_to(tmp_path / "jobs")).state_dir().resolve() == (tmp_path / "jobs/.bulkcontacts/t")


def test_a_provider_source_is_identified_by_its_data_not_its_address(tmp_path):
    from bulkcontacts.jobs.exports import source_fingerprint

    text = """
[job]
name = "e"
[source]
type = "tether"
base_url = "http://127.0.0.1:4000/tether"
token = "${TETHER_TOKEN}"
status = "new"
[sink]
type = "file"
path = "out.csv"
"""
    first = load_spec(spec_file(tmp_path, text), emulate=True)
    moved = load_spec(spec_file(tmp_path, text.replace(":4000", ":5001")), emulate=True)
    filtered = load_spec(spec_file(tmp_path, text.replace('"new"', '"lost"')), emulate=True)
    assert source_fingerprint(first.source) == source_fingerprint(moved.source)
    assert first.mapping_fingerprint() == moved.mapping_fingerprint()
    assert source_fingerprint(first.source) != source_fingerprint(filtered.source)


@pytest.mark.parametrize(
    "url, message",
    [
        ("http://localhost.evil.example/", "plain http:// to localhost.evil.example"),
        ("http://127.0.0.1.nip.example:8080", "plain http:// to 127.0.0.1.nip.example"),
        ("http://localhost@attacker.example/", "user-info"),
        ("https://user:pw@api.rampwin.com", "user-info"),
        ("http://127.0.0.1@attacker.example", "user-info"),
        ("http://[::1].example/", "is not a URL|names no host|plain http"),
        ("ftp://api.rampwin.com", "the scheme 'ftp' is not allowed"),
        ("api.rampwin.com", "the scheme '' is not allowed|scheme"),
        ("https://", "names no host"),
        ("https://api.rampwin.com/?key=1", "query or fragment"),
        ("http://128.0.0.1/", "plain http:// to 128.0.0.1"),
    ],
)
def test_look_alike_loopback_and_user_info_are_refused(tmp_path, url, message):
    with pytest.raises(UsageError, match=message) as caught:
        load_spec(spec_file(tmp_path, GOOD.replace("[sink]", f'[sink]\nbase_url = "{url}"')))
    assert "[sink] base_url" in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/rampwin",
        "http://127.8.9.10/",
        "http://localhost:80/x",
        "http://LOCALHOST/",
        "http://[::1]:8080/",
        "https://api.rampwin.com",
    ],
)
def test_loopback_and_https_pass(tmp_path, url):
    assert load_spec(spec_file(tmp_path, GOOD.replace("[sink]", f'[sink]\nbase_url = "{url}"'))).sink.base_url == url


EXPORT = """
[job]
name = "e"
[source]
type = "{provider}"
base_url = "https://crm.example.com"
token = "${{TETHER_TOKEN}}"
{extra}
[sink]
type = "file"
path = "out.csv"
"""


@pytest.mark.parametrize(
    "provider, extra, message",
    [
        (
            "rampwin",
            'integration_id = "c"\nfilters = [[{ field = "city", value = "Pune" }]]',
            r"\[source\] filters\.0\.0\.field_name: required key is missing",
        ),
        (
            "rampwin",
            'integration_id = "c"\nfilters = [[{ field_name = "city", operator = "", field_value = "P" }]]',
            r"\[source\] filters\.0\.0\.operator",
        ),
        (
            "rampwin",
            'integration_id = "c"\nfilters = [{ field_name = "city", operator = "equals", field_value = "P" }]',
            r"\[source\] filters\.0",
        ),
        ("smartflo", 'updated_after = "yesterday"', r"\[source\] updated_after: must be an ISO 8601 date"),
        ("tether", 'date_range = { start = "2024-13-01" }', r"\[source\] date_range\.start: is not a date that exists"),
        ("tether", 'date_range = { start = "2025-01-01", end = "2024-01-01" }', "start 2025-01-01 is after end"),
        ("tether", 'date_range = { begin = "2025-01-01" }', r"\[source\] date_range\.begin: unknown key"),
    ],
)
def test_request_shaping_values_are_checked_before_anything_is_sent(tmp_path, provider, extra, message):
    with pytest.raises(UsageError, match=message):
        load_spec(spec_file(tmp_path, EXPORT.format(provider=provider, extra=extra)), emulate=True)


def test_good_filters_and_dates_load(tmp_path):
    loaded = load_spec(
        spec_file(
            tmp_path,
            EXPORT.format(
                provider="tether", extra=('date_range = { start = "2024-01-01T00:00:00Z", end = "2025-01-01" }')
            ),
        ),
        emulate=True,
    )
    assert loaded.source.date_range.start == "2024-01-01T00:00:00Z"
    smartflo = load_spec(
        spec_file(tmp_path, EXPORT.format(provider="smartflo", extra=('updated_after = "2024-05-08T12:45:03+00:00"'))),
        emulate=True,
    )
    assert smartflo.source.updated_after == "2024-05-08T12:45:03+00:00"
