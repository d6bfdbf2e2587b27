"""``bulkcontacts init``: files in the shapes real exports have → a spec ``load_spec`` accepts, with the right
decisions."""

import tomllib

import pytest
from click.testing import CliRunner

from bulkcontacts.cli import cli
from bulkcontacts.config.load import load_spec
from bulkcontacts.errors import UsageError
from bulkcontacts.jobs.init import init_job

GOOGLE_HEADER = (
    "First Name,Middle Name,Last Name,Phonetic First Name,Nickname,Birthday,Notes,Organization Name,Labels,"
    "E-mail 1 - Label,E-mail 1 - Value,Phone 1 - Label,Phone 1 - Value,Phone 2 - Label,Phone 2 - Value"
)


def _mapping(spec_path):
    return tomllib.loads(spec_path.read_text(encoding="utf-8"))["mapping"]


def _init(tmp_path, name, data, **options):
    path = tmp_path / "data" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    result = init_job(path, tmp_path / "jobs" / f"{path.stem}.toml", None, options.get("force", False))
    spec = load_spec(result.spec_path, emulate=True)
    assert spec.source.path == path
    return result, spec


def test_google_contacts_csv_gets_the_preset_and_germany(tmp_path):
    rows = [
        f"Anna,,Schmidt,,,,,,* myContacts ::: Kunden,* Home,anna{n}@example.de,Mobile,+49 151 2345{n:04d},"
        f"Work,030 1234{n:04d}"
        for n in range(40)
    ]
    result, spec = _init(tmp_path, "contacts.csv", "\n".join([GOOGLE_HEADER, *rows]).encode())
    source = tomllib.loads(result.spec_path.read_text())["source"]
    assert source["preset"] == "google-contacts"
    mapping = _mapping(result.spec_path)
    assert mapping["default_country"] == "DE"
    assert "phone_number" not in mapping  # the preset's
    assert result.findings.phones.columns == ["Phone 1 - Value", "Phone 2 - Value"]
    assert spec.source.preset == "google-contacts"


def test_outlook_csv_with_bom_quoted_headers_and_crlf(tmp_path):
    header = '"First Name","Last Name","E-mail Address","Business Phone","Mobile Phone","Categories"'
    rows = [f'"Jo","Miller {n}","jo{n}@example.com","(212) 555-{n:04d}","+1 917 555 {n:04d}","VIP"' for n in range(30)]
    data = "\ufeff" + "\r\n".join([header, *rows]) + "\r\n"
    result, spec = _init(tmp_path, "outlook.csv", data.encode("utf-8"))
    assert result.findings.preset == "outlook"
    assert result.source.encoding == "utf-8" and "bom" in result.source.notes
    assert _mapping(result.spec_path)["default_country"] == "US"
    assert spec.source.delimiter == ","


def test_german_excel_csv(tmp_path):
    header = "Name;Vorname;Telefon;E-Mail;Betrag;Newsletter;Geburtstag"
    rows = []
    for n in range(60):
        phone = f"49151234{n:05d}" if n % 2 else f"0151 234{n:05d}"
        amount = "99,90" if n % 3 else f"1.{n:03d},56"
        rows.append(
            f"Müller;Jürgen {n};{phone};j{n}@beispiel.de;{amount};{'ja' if n % 2 else 'nein'};{n % 28 + 1}.12.1980"
        )
    data = ("\r\n".join([header, *rows]) + "\r\n").encode("cp1252")
    result, spec = _init(tmp_path, "kunden.csv", data)
    assert result.source.encoding == "cp1252" and result.source.delimiter == ";"
    mapping = _mapping(result.spec_path)
    assert mapping["phone_number"] == "Telefon"
    assert mapping["default_country"] == "DE"
    assert mapping["decimal"] == ","
    assert mapping["types"] == {"Betrag": "number", "Newsletter": "boolean", "Geburtstag": "date"}
    assert mapping["last_name"] == "Name" and mapping["first_name"] == "Vorname"
    assert mapping["email"] == "E-Mail"
    assert spec.source.encoding == "cp1252"


def test_plain_csv_with_indian_numbers_without_plus(tmp_path):
    rows = [f"Ravi {n},98765{n:05d},ravi{n}@example.in,mumbai" for n in range(50)]
    rows += [f"Asha {n},9198765{n:05d},asha{n}@example.in,pune" for n in range(50)]
    data = "\n".join(["name,mobile,email,city", *rows]).encode()
    result, _ = _init(tmp_path, "leads.csv", data)
    mapping = _mapping(result.spec_path)
    assert mapping["default_country"] == "IN"
    assert mapping["phone_number"] == "mobile"
    assert result.findings.phones.without_plus == 100


def test_hubspot_csv_keeps_its_country_region_column(tmp_path):
    header = "Record ID,First Name,Last Name,Email,Phone Number,Country/Region,Company Name"
    rows = [f"{n},Ann,Lee {n},ann{n}@example.co.uk,07911 123{n:03d},United Kingdom,Acme" for n in range(30)]
    result, spec = _init(tmp_path, "hubspot.csv", "\n".join([header, *rows]).encode())
    assert result.findings.preset == "hubspot"
    mapping = _mapping(result.spec_path)
    assert "country_column" not in mapping  # the preset names Country/Region
    assert mapping["default_country"] == "GB"
    assert spec.source.preset == "hubspot"


def test_plain_csv_with_a_country_column(tmp_path):
    rows = [f"P {n},+4915123{n:06d},{'Germany' if n % 2 else 'AT'}" for n in range(30)]
    result, _ = _init(tmp_path, "people.csv", "\n".join(["full name,phone,land", *rows]).encode())
    assert _mapping(result.spec_path)["country_column"] == "land"


def test_vcard_file(tmp_path):
    cards = "".join(
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana {n}\r\nN:{n};Ana;;;\r\nTEL;TYPE=CELL:+55 11 98765-{n:04d}\r\n"
        f"EMAIL:ana{n}@example.com.br\r\nEND:VCARD\r\n"
        for n in range(20)
    )
    result, spec = _init(tmp_path, "phone.vcf", cards.encode())
    assert result.findings.preset == "vcard"
    assert _mapping(result.spec_path)["default_country"] == "BR"
    assert spec.source.file_format == "vcard"


def test_no_phone_column_writes_nothing_and_names_the_columns(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("name,comment\nA,hello\nB,world\n")
    with pytest.raises(UsageError, match=r"no column holds phone numbers: looked at 2 columns: 'name'"):
        init_job(path, tmp_path / "jobs" / "notes.toml", None, False)
    assert not (tmp_path / "jobs" / "notes.toml").exists()


def test_cli_writes_the_default_path_refuses_to_overwrite_and_prints_the_next_commands(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "leads.csv").write_text("name,phone\n" + "".join(f"R {n},+91 98765 {n:05d}\n" for n in range(20)))
    runner = CliRunner()
    first = runner.invoke(cli, ["init", "leads.csv"])
    assert first.exit_code == 0, first.output
    assert "bulkcontacts validate jobs/leads.toml --emulate" in first.output
    assert "bulkcontacts run jobs/leads.toml --dry-run --emulate" in first.output
    spec = (tmp_path / "jobs" / "leads.toml").read_text()
    assert 'path = "../leads.csv"' in spec and '"${RAMPWIN_API_KEY}"' in spec
    again = runner.invoke(cli, ["init", "leads.csv"])
    assert again.exit_code == 2 and "--force" in again.output
    assert runner.invoke(cli, ["init", "leads.csv", "--force", "--name", "leads-2"]).exit_code == 0
    assert load_spec(tmp_path / "jobs" / "leads.toml", emulate=True).job.name == "leads-2"
    missing = runner.invoke(cli, ["init", "nothing.csv"])
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_indian_mobiles_starting_98_are_not_taken_for_iran(tmp_path):
    rows = [f"Ravi {n},98{(n * 7919) % 10**8:08d}" for n in range(60)]
    result, _ = _init(tmp_path, "mobiles.csv", "\n".join(["name,mobile", *rows]).encode())
    assert _mapping(result.spec_path)["default_country"] == "IN"
