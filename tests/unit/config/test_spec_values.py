"""Spec values that would produce requests the APIs must refuse are refused at ``validate`` (exit 2, the key,
the fix), never sent. Each value below is one an independent OpenAPI validator found sent."""

import json

import pytest
from click.testing import CliRunner

from bulkcontacts.cli import cli

SOURCES = {
    "smartflo": 'type = "smartflo"\ntoken = "${SMARTFLO_TOKEN}"\n',
    "tether": 'type = "tether"\nbase_url = "https://crm.example.com"\ntoken = "${TETHER_TOKEN}"\n',
    "kore": (
        'type = "kore"\nstream_id = "st-1"\ncontact_list_id = "cl-1"\naccount_id = "a1"\niid = "i1"\n'
        'jwt = "${KORE_JWT}"\n'
    ),
    "rampwin": 'type = "rampwin"\ntoken = "${RAMPWIN_TOKEN}"\nintegration_id = "c1"\n',
    "smartflo-login": 'type = "smartflo"\npassword = "${SMARTFLO_PASSWORD}"\n',
}


def validate(tmp_path, provider, extra, env=None):
    source = SOURCES[provider]
    if extra.split("=")[0].strip() + " =" in source:  # the extra line replaces the default's own
        key = extra.split("=")[0].strip()
        source = "\n".join(line for line in source.splitlines() if not line.startswith(key + " =")) + "\n"
    spec = tmp_path / "job.toml"
    spec.write_text(f'[job]\nname = "x"\n[source]\n{source}{extra}\n[sink]\ntype = "file"\npath = "out.csv"\n')
    result = CliRunner().invoke(cli, ["validate", str(spec), "--emulate"], env=env or {}, catch_exceptions=False)
    return result.exit_code, " ".join(result.output.split())


BAD = [
    *[
        ("smartflo", f'updated_after = "{value}"', "[source] updated_after: must be an ISO 8601 date or date-time")
        for value in [
            "20240508",
            "2024-W19-3",
            "2024-05-08T12",
            "2024-05-08T12:45:03+05",
            "2024-05-08T12:45:03,5Z",
            "2024-05-08T12:45:03 +05:30",
            "2024-05-08 12:45:03",
        ]
    ],
    ("smartflo", 'updated_after = "2024-02-30"', "[source] updated_after: is not a date that exists"),
    ("tether", 'date_range = { start = "2024-W19-3" }', "[source] date_range.start: must be an ISO 8601"),
    *[
        ("rampwin", f'filters = [[{{ field_name = "x", operator = "equals", field_value = {value} }}]]', "not a number")
        for value in ["nan", "inf", "-inf", "1e400"]
    ],
    (
        "kore",
        'stream_id = "st/1"',
        "[source] stream_id: must be an id: letters, digits and - _ . ~ : @ only (found '/')",
    ),
    ("kore", 'contact_list_id = "cl?x=1"', "[source] contact_list_id: must be an id"),
    ("kore", 'contact_list_id = ""', "[source] contact_list_id: must be an id"),
    ("smartflo", 'contact_group_id = ""', "[source] contact_group_id: is empty"),
    ("tether", 'owner_filter = ""', "[source] owner_filter: is empty"),
    ("tether", 'status = " new"', "[source] status: has spaces around it"),
    ("rampwin", 'integration_id = " "', "[source] integration_id: is empty"),
    ("kore", 'account_id = "a\\n1"', "[source] account_id: holds a control character"),
]


@pytest.mark.parametrize(("provider", "extra", "said"), BAD)
def test_a_value_the_api_must_refuse_is_refused_at_validate_naming_the_key(tmp_path, provider, extra, said):
    code, output = validate(tmp_path, provider, extra)
    assert code == 2, output
    assert said in output, output
    assert "Traceback" not in output


@pytest.mark.parametrize(
    "value", ["2024-05-08", "2024-05-08T12:45", "2024-05-08T12:45:03Z", "2024-05-08T12:45:03.25+05:30"]
)
def test_the_documented_iso_forms_pass(tmp_path, value):
    code, output = validate(tmp_path, "smartflo", f'updated_after = "{value}"')
    assert code == 0, output


@pytest.mark.parametrize(
    ("jwt", "said"),
    [
        ("Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2ln", 'give the token itself, without "Bearer "'),
        ("not-a-jwt", "is not a JWT"),
    ],
)
def test_a_kore_jwt_that_is_not_one_is_refused_without_showing_it(tmp_path, jwt, said):
    code, output = validate(tmp_path, "kore", "", env={"KORE_JWT": jwt})
    assert code == 2 and f"[source] jwt: {said}" in output, output
    assert jwt not in output


@pytest.mark.parametrize("email", ["", "   ", "not-an-email"])
def test_an_empty_or_odd_login_email_is_refused(tmp_path, email):
    code, output = validate(tmp_path, "smartflo-login", f"email = {json.dumps(email)}")
    assert code == 2 and "[source] email:" in output, output
