"""People's files through the CLI into the emulator over a real socket: a Google Contacts export, an Outlook
export (BOM, quoted header, CRLF), a German Excel file (";", cp1252, decimal comma, phones without "+"), a
HubSpot export (a country column) and vCards. Every stored phone equals what the README's rule gives,
computed here with nothing but libphonenumber's parser; every amount equals the decimal-comma reading; every
row the rule refuses is in rejected.csv with its reason; nothing else is stored."""

import json
import textwrap

import pytest

from tests.helpers import INTEGRATION, assert_exactly_once, run_cli
from tests.unit.contacts.test_phones import rule_by_the_parser

GOOGLE = (
    "First Name,Middle Name,Last Name,Labels,E-mail 1 - Label,E-mail 1 - Value,"
    "Phone 1 - Label,Phone 1 - Value,Phone 2 - Label,Phone 2 - Value\n"
    "Ana,,Rao,* myContacts ::: Friends,Home,ana@example.com,Mobile,+1 650-555-0100 ::: +1 650-555-0199,,\n"
    "Ben,,Ode,* myContacts,,,,,Work,(650) 253-0000\n"
    "Cy,,Lee,Clients,,,Mobile,16502530001,,\n"
    "Dee,,Roy,,,,Mobile,12,Home,650-253-0002\n"
    "Eve,,Kim,,,,Mobile,not a phone,,\n"
)
OUTLOOK = (
    '"First Name","Last Name","E-mail Address","Business Phone","Mobile Phone","Birthday","Notes","Categories"\r\n'
    '"Olga","Berg","olga@example.co.uk","+44 20 7946 0958","07911 123456","0/0/00","met at ""expo""\r\nline 2",'
    '"Clients;VIP"\r\n'
    '"Piet","Smit","","020 7946 0959","","3/14/1985","",""\r\n'
    '"Quin","Ash","","","","","",""\r\n'
)
EXCEL = (
    "Name;Vorname;Telefon;E-Mail;Betrag;Newsletter;Geburtstag\r\n"
    "Müller;Jörg;4915123456789;joerg@example.de;99,90;ja;31.12.2019\r\n"
    "Schäfer;Anna;0151 23456780;;1.234,56;nein;01.02.2019\r\n"
    "Weiß;Paul;+49 30 1234567;;12,5;ja;\r\n"
    "Rao;Dev;919876543210;;7;nein;\r\n"
    "Koch;Eva;4,91701E+11;;3;ja;\r\n"
    "Lang;Uwe;015123456781;;1,2,3;ja;\r\n"
)
HUBSPOT = (
    "Record ID,First Name,Last Name,Email,Phone Number,Mobile Phone Number,Company Name,Country/Region\n"
    "1,Sam,Hill,sam@example.com,(415) 555-2671,,Acme,United States\n"
    "2,Ravi,Nair,,98765 43210,,,India\n"
    "3,Jan,Vogel,,,030 1234567,,germany\n"
    "4,Liz,Day,,07911 123457,,,GB\n"
    "5,Al,Bo,,4155552672,,,\n"
    "6,Mo,Zed,,12345678,,,Atlantis\n"
)
VCARDS = textwrap.dedent("""\
    BEGIN:VCARD
    VERSION:3.0
    FN:Nina Park
    N:Park;Nina;;;
    TEL;TYPE=HOME,VOICE:+1 650 555 0101
    TEL;TYPE=CELL:+1 650 555 0102
    EMAIL;TYPE=INTERNET:nina@example.com
    ORG:Acme
    CATEGORIES:friends,work
    NOTE:a note that is long enough to be fol
     ded
    END:VCARD
    BEGIN:VCARD
    VERSION:3.0
    FN:Omar Sy
    N:Sy;Omar;;;
    item1.TEL:0044 7911 123458
    END:VCARD
    BEGIN:VCARD
    VERSION:3.0
    FN:No Phone
    N:Phone;No;;;
    END:VCARD
    """).replace("\n", "\r\n")

CASES = {
    # name: (file name, text, encoding, [source] extra, [mapping], region of each row or None, phone cells)
    "google": ("google.csv", GOOGLE, "utf-8", 'preset = "google-contacts"', 'default_country = "US"'),
    "outlook": ("outlook.csv", OUTLOOK, "utf-8-sig", 'preset = "outlook"', 'default_country = "GB"'),
    "excel": (
        "kunden.csv",
        EXCEL,
        "cp1252",
        'delimiter = ";"\nencoding = "cp1252"',
        'default_country = "DE"\nphone_number = "Telefon"\nfirst_name = "Vorname"\nlast_name = "Name"\n'
        'email = "E-Mail"\ndecimal = ","\nphone_without_plus = "strict"\n'
        'types = { Betrag = "number", Newsletter = "boolean", Geburtstag = "date" }',
    ),
    "hubspot": ("hubspot.csv", HUBSPOT, "utf-8", 'preset = "hubspot"', 'default_country = "US"'),
    "vcard": ("contacts.vcf", VCARDS, "utf-8", 'preset = "vcard"', 'default_country = "US"'),
}
EXPECTED_PHONES = {  # each row's phone cells in order (the rule picks the first valid) and its region
    "google": [
        (["+1 650-555-0100", "+1 650-555-0199"], "US"),
        (["(650) 253-0000"], "US"),
        (["16502530001"], "US"),
        (["12", "650-253-0002"], "US"),
        (["not a phone"], "US"),
    ],
    "outlook": [(["07911 123456", "+44 20 7946 0958"], "GB"), (["020 7946 0959"], "GB"), ([], "GB")],
    "excel": [
        (["4915123456789"], "DE"),
        (["0151 23456780"], "DE"),
        (["+49 30 1234567"], "DE"),
        (["919876543210"], "DE"),  # ambiguous in DE: strict rejects it
        (["4,91701E+11"], "DE"),
        (["015123456781"], "DE"),
    ],
    "hubspot": [
        (["(415) 555-2671"], "US"),
        (["98765 43210"], "IN"),
        (["030 1234567"], "DE"),
        (["07911 123457"], "GB"),
        (["4155552672"], "US"),
        (["12345678"], None),  # an unknown country: rejected
    ],
    "vcard": [(["+1 650 555 0102", "+1 650 555 0101"], "US"), (["0044 7911 123458"], "US"), ([], "US")],
}


REFUSED_FOR_ANOTHER_VALUE = {"excel": {5}}  # "1,2,3" is no amount


def expected_phone(cells, region, policy):
    if region is None:
        return None
    for cell in cells:
        reading = rule_by_the_parser(cell, region, policy)
        if reading is not None:
            return None if reading == "ambiguous" else reading
    return None


@pytest.mark.parametrize("case", list(CASES))
def test_an_export_lands_exactly_as_the_rules_read_it(tmp_path, emulator, case):
    name, text, encoding, source_extra, mapping = CASES[case]
    source = tmp_path / name
    source.write_bytes(text.encode(encoding))
    spec = tmp_path / "job.toml"
    spec.write_text(
        f'[job]\nname = "people"\n\n[source]\ntype = "file"\npath = "{source}"\n{source_extra}\n\n'
        f'[sink]\ntype = "rampwin"\nbase_url = "{emulator.base_url("rampwin")}"\n'
        'api_key = "${RAMPWIN_API_KEY}"\nintegration_id = "${RAMPWIN_INTEGRATION_ID}"\n\n'
        f'[mapping]\n{mapping}\n\n[run]\nrate = "200/s"\n',
        encoding="utf-8",
    )
    checked = run_cli("validate", str(spec), cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    if case == "excel":  # its previewed rows hold an ambiguous phone and lost digits: validate says so
        shown = " ".join(checked.stdout.split())
        assert "warning: 2 of the 5 rows shown would be rejected" in shown and "ambiguous_phone" in shown, shown
    result = run_cli("run", str(spec), "-q", cwd=tmp_path)
    assert result.returncode in (0, 1), result.stderr
    policy = "strict" if case == "excel" else "auto"
    expected = [expected_phone(cells, region, policy) for cells, region in EXPECTED_PHONES[case]]
    expected = [None if row in REFUSED_FOR_ANOTHER_VALUE.get(case, ()) else phone for row, phone in enumerate(expected)]
    created, rejected = assert_exactly_once(tmp_path / ".bulkcontacts" / "people", len(expected))
    sent = {int(line["row"]): int(line["phone_number"]) for line in created}
    assert sent == {row: phone for row, phone in enumerate(expected) if phone is not None}
    assert {int(line["row"]) for line in rejected} == {row for row, phone in enumerate(expected) if phone is None}
    stored = {doc["phone_number"]: doc for doc in emulator.state.store.all("rampwin", INTEGRATION)}
    assert sorted(int(phone) for phone in stored) == sorted(sent.values())  # nothing else stored
    reasons = {int(line["row"]): line["reason"] for line in rejected}
    check = CHECKS[case]
    check(stored, reasons)


def _google(stored, reasons):
    ana = stored["16505550100"]
    assert ana["full_name"] == "Ana Rao" and ana["email"] == "ana@example.com" and ana["tags"] == ["Friends"]
    assert "Labels" not in ana and "Phone 1 - Label" not in ana  # presets send no custom attributes
    assert "'not a phone'" in reasons[4]


def _outlook(stored, reasons):
    olga = stored["447911123456"]
    assert olga["full_name"] == "Olga Berg" and olga["first_name"] == "Olga"  # the BOM did not eat "First Name"
    assert olga["remarks"].splitlines() == ['met at "expo"', "line 2"]
    assert olga["tags"] == ["Clients", "VIP"]
    assert "no phone number in" in reasons[2]


def _excel(stored, reasons):
    joerg = stored["4915123456789"]  # the "+" was dropped: not +49 4915123456789
    assert joerg["Betrag"] == 99.9 and joerg["Newsletter"] is True and joerg["Geburtstag"] == "2019-12-31"
    assert joerg["full_name"] == "Jörg Müller"
    assert stored["4915123456780"]["Betrag"] == 1234.56 and stored["4915123456780"]["Newsletter"] is False
    assert stored["49301234567"]["Betrag"] == 12.5
    assert "phone_without_plus" in reasons[3] and "+91 98765 43210" in reasons[3]
    assert "lost digits" in reasons[4]
    assert "'1,2,3'" in reasons[5] and "Betrag" in reasons[5]


def _hubspot(stored, reasons):
    assert {"14155552671", "919876543210", "49301234567", "447911123457", "14155552672"} <= set(stored)
    assert stored["919876543210"]["full_name"] == "Ravi Nair"
    assert "'Atlantis' is not a country" in reasons[5]


def _vcard(stored, reasons):
    nina = stored["16505550102"]  # the cell number first
    assert nina["company"] == "Acme" and nina["tags"] == ["friends", "work"] and nina["email"] == "nina@example.com"
    assert nina["remarks"] == "a note that is long enough to be folded"
    assert stored["447911123458"]["full_name"] == "Omar Sy"  # "00" is an international prefix everywhere
    assert "empty" in reasons[2] or "no phone" in reasons[2]


CHECKS = {"google": _google, "outlook": _outlook, "excel": _excel, "hubspot": _hubspot, "vcard": _vcard}


def test_the_runs_summary_counts_phones_read_two_ways(tmp_path, emulator):
    source = tmp_path / "kunden.csv"
    source.write_text("Name;Telefon\nAna;919876543210\nBen;015123456780\nCy;4915123456781\n", encoding="utf-8")
    spec = tmp_path / "job.toml"
    spec.write_text(
        f'[job]\nname = "people"\n\n[source]\ntype = "file"\npath = "{source}"\ndelimiter = ";"\n\n'
        f'[sink]\ntype = "rampwin"\nbase_url = "{emulator.base_url("rampwin")}"\n'
        'api_key = "${RAMPWIN_API_KEY}"\nintegration_id = "${RAMPWIN_INTEGRATION_ID}"\n\n'
        '[mapping]\ndefault_country = "DE"\nfull_name = "Name"\n\n[run]\nrate = "200/s"\n',
        encoding="utf-8",
    )
    dry = run_cli("run", str(spec), "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0 and "1 phone written without" in " ".join(dry.stdout.split()), dry.stdout
    result = run_cli("run", str(spec), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "phone_without_plus" in " ".join(result.stdout.split())
    summary = json.loads((tmp_path / ".bulkcontacts" / "people" / "summary.json").read_text())
    assert summary["ambiguous_phones"]["rows"] == 1 and "'919876543210'" in summary["ambiguous_phones"]["example"]
    assert summary["notes"] and "phone_without_plus" in summary["notes"][0]
