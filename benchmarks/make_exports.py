"""``python -m benchmarks.make_exports [FOLDER]``: write the export-shaped fixtures (tests/data/exports by
default): Google Contacts (current and legacy), Outlook, a German Excel CSV, HubSpot, a vCard file, each with
every row's kind counted in ``counts.json`` and in the folder's README.md. Deterministic: run it twice, get the
same bytes.

Each row holds exactly one kind (see ``KINDS``). A row meant to carry a valid number is checked with
``phonenumbers`` as it is written (under the file's default region, or the row's country for HubSpot), and an
ambiguous one is checked both ways, so the counts are what the files hold, not what we hoped.
"""

from __future__ import annotations

import base64
import csv
import json
import random
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import phonenumbers

from benchmarks.shapes import Number, Numbers, international, national_grouped, write_csv

FOLDER = Path(__file__).resolve().parent.parent / "tests" / "data" / "exports"

KINDS = {
    "valid": "a valid number in the first phone column, valid under the file's default region (or with +)",
    "valid_multi": "several numbers in one phone cell (Google's ` ::: `) or several TEL lines; the first valid",
    "valid_second_column": "the first phone column empty, a valid number in a later one",
    "cc_no_plus": "country code written without + or 00 (4915123456789): valid when read that way (whether the "
    "national reading is valid too is counted under Facts)",
    "ambiguous": "digits valid both as a national number of the default region and with a country code",
    "no_country": "HubSpot: Country/Region empty, a national (Indian) number: only the job's default can tell",
    "unknown_country": "HubSpot: Country/Region is no country (Atlantis)",
    "invalid_phone": "letters, too short, or scientific notation (Excel lost the last digits)",
    "no_phone": "every phone column empty",
    "no_name": "a valid number, every name column empty",
    "bad_email": "a valid number and a name, an email that is not one",
    "duplicate": "an earlier row's number, written another way",
}

GOOGLE_HEADER = [
    "First Name",
    "Middle Name",
    "Last Name",
    "Phonetic First Name",
    "Phonetic Middle Name",
    "Phonetic Last Name",
    "Name Prefix",
    "Name Suffix",
    "Nickname",
    "File As",
    "Organization Name",
    "Organization Title",
    "Organization Department",
    "Birthday",
    "Notes",
    "Photo",
    "Labels",
    "E-mail 1 - Label",
    "E-mail 1 - Value",
    "E-mail 2 - Label",
    "E-mail 2 - Value",
    "Phone 1 - Label",
    "Phone 1 - Value",
    "Phone 2 - Label",
    "Phone 2 - Value",
    "Phone 3 - Label",
    "Phone 3 - Value",
    "Address 1 - Label",
    "Address 1 - Formatted",
    "Address 1 - Street",
    "Address 1 - City",
    "Address 1 - PO Box",
    "Address 1 - Region",
    "Address 1 - Postal Code",
    "Address 1 - Country",
    "Address 1 - Extended Address",
]
GOOGLE_LEGACY_HEADER = [
    "Name",
    "Given Name",
    "Additional Name",
    "Family Name",
    "Yomi Name",
    "Given Name Yomi",
    "Additional Name Yomi",
    "Family Name Yomi",
    "Name Prefix",
    "Name Suffix",
    "Initials",
    "Nickname",
    "Short Name",
    "Maiden Name",
    "Birthday",
    "Gender",
    "Location",
    "Billing Information",
    "Directory Server",
    "Mileage",
    "Occupation",
    "Hobby",
    "Sensitivity",
    "Priority",
    "Subject",
    "Notes",
    "Language",
    "Photo",
    "Group Membership",
    "E-mail 1 - Type",
    "E-mail 1 - Value",
    "Phone 1 - Type",
    "Phone 1 - Value",
    "Phone 2 - Type",
    "Phone 2 - Value",
    "Organization 1 - Type",
    "Organization 1 - Name",
    "Organization 1 - Title",
]
OUTLOOK_HEADER = [
    "First Name", "Middle Name", "Last Name", "Title", "Suffix", "Nickname", "Given Yomi", "Surname Yomi",
    "E-mail Address", "E-mail 2 Address", "E-mail 3 Address", "Home Phone", "Home Phone 2", "Business Phone",
    "Business Phone 2", "Mobile Phone", "Car Phone", "Other Phone", "Primary Phone", "Pager", "Business Fax",
    "Home Fax", "Other Fax", "Company Main Phone", "Callback", "Radio Phone", "Telex", "TTY/TDD Phone",
    "IMAddress", "Job Title", "Department", "Company", "Office Location", "Manager's Name", "Assistant's Name",
    "Assistant's Phone", "Company Yomi", "Business Street", "Business City", "Business State",
    "Business Postal Code", "Business Country/Region", "Home Street", "Home City", "Home State",
    "Home Postal Code", "Home Country/Region", "Other Street", "Other City", "Other State", "Other Postal Code",
    "Other Country/Region", "Personal Web Page", "Spouse", "Schools", "Hobby", "Location", "Web Page",
    "Birthday", "Anniversary", "Notes", "Categories",
]  # fmt: skip
EXCEL_DE_HEADER = ["Name", "Vorname", "Telefon", "E-Mail", "Betrag", "Newsletter", "Geburtstag", "Notiz"]
HUBSPOT_HEADER = [
    "Record ID", "First Name", "Last Name", "Email", "Phone Number", "Mobile Phone Number", "Company Name", "City",
    "State/Region", "Country/Region", "Postal Code", "Lifecycle Stage", "Contact owner", "Create Date",
]  # fmt: skip

FIRST = ("Ananya", "Rohan", "Zoë", "José", "Chloé", "Siobhán", "Priya", "Arjun", "Émile", "Jürgen", "Meera",
         "Łukasz", "Nguyễn", "Aïcha", "Kavya", "Oliver")  # fmt: skip
LAST = ("Sharma", "O'Brien", "Núñez", "Müller", "Iyer", "D'Souza", "Đặng", "Kowalski", "Smith", "Nair",
        "Fernandes", "Lefèvre")  # fmt: skip
FIRST_DE = ("Jürgen", "Björn", "Käthe", "Sören", "Zoë", "André", "Grete", "Özlem", "Lukas", "Hannah")
LAST_DE = ("Müller", "Schäfer", "Größ", "Weiß", "Bäcker", "Köhler", "Schmidt", "Hoffmann", "Krüger")
NOTES = ('Met at the "Web Summit", Lisbon\nwants pricing, call after 5pm', "Prefers email, not calls",
         "Two lines,\nthe second with a comma, and a \"quote\"", "")  # fmt: skip
BAD_EMAILS = ("ananya@", "rohan.gmail.com", "zoe@@example.com", "kein email")
BAD_PHONES = ("N/A", "call me", "555-01", "12345", "98230 2107O")


FACTS: Counter[str] = Counter()  # findings about the rows written, beside their kinds (README, counts.json)


class Writer:
    """One fixture's rows and their kinds, and the checks each number gets as it is written."""

    def __init__(self, name: str, region: str) -> None:
        self.name, self.region = name, region
        self.rng = random.Random(name)
        self.kinds: Counter[str] = Counter()
        self.numbers: list[Number] = []  # written so far, for duplicates

    def plan(self, counts: dict[str, int], first: str = "valid") -> list[str]:
        """The kinds in a shuffled order; a few of ``first`` lead, so a duplicate always has an earlier row."""
        plan = [kind for kind, count in counts.items() for _ in range(count)]
        plan.remove(first)
        plan.remove(first)
        self.rng.shuffle(plan)
        return [first, first, *plan]

    def valid(self, text: str, region: str | None = None) -> str:
        parsed = phonenumbers.parse(text, region or self.region)
        assert phonenumbers.is_valid_number(parsed), (self.name, text)
        return text

    def remember(self, number: Number) -> Number:
        self.numbers.append(number)
        return number

    def count(self, kind: str) -> str:
        assert kind in KINDS, kind
        self.kinds[kind] += 1
        return kind


def us_shape(number: Number, at: int) -> str:
    d = number.national
    return (f"({d[:3]}) {d[3:6]}-{d[6:]}", f"{d[:3]}-{d[3:6]}-{d[6:]}", f"+1 {d[:3]} {d[3:6]} {d[6:]}",
            f"1{d}", f"+1 {d[:3]}-{d[3:6]}-{d[6:]}")[at % 5]  # fmt: skip


def _person(rng: random.Random) -> tuple[str, str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    handle = first.encode("ascii", "ignore").decode().lower() or "x"
    return first, last, f"{handle}.{last.encode('ascii', 'ignore').decode().lower().replace(chr(39), '')}"


def _google_phone(out: Writer, kind: str, at: int, us: Numbers) -> str:
    """A US phone cell of a Google export for a row of this kind (several numbers for valid_multi)."""
    if kind == "duplicate":
        return us_shape(out.rng.choice(out.numbers), at + 1)
    if kind == "invalid_phone":
        return str(out.rng.choice(BAD_PHONES))
    if kind == "no_phone":
        return ""
    phone = out.valid(us_shape(out.remember(us.next()), at))
    return f"{phone} ::: {out.valid(us_shape(us.next(), at + 2))}" if kind == "valid_multi" else phone


def _place_google_phone(row: dict[str, str], kind: str, phone: str, label: str) -> None:
    """Phone 1 (Phone 2 for valid_second_column), with its label column (the generations name it apart)."""
    column = "Phone 2" if kind == "valid_second_column" else "Phone 1"
    row[f"{column} - {label}"] = "Mobile" if phone else ""
    row[f"{column} - Value"] = phone


def google(folder: Path) -> Counter[str]:
    """Google Contacts' current CSV: US numbers mostly, a few Indian with +91."""
    out = Writer("google-contacts", "US")
    us, india = Numbers("US", "MOBILE", 1, checked=True), Numbers("IN", "MOBILE", 1)
    counts = {"valid": 80, "valid_multi": 10, "valid_second_column": 10, "invalid_phone": 5, "no_phone": 5,
              "no_name": 4, "bad_email": 3, "duplicate": 3}  # fmt: skip
    rows = []
    for at, kind in enumerate(out.plan(counts)):
        first, last, handle = _person(out.rng)
        row = dict.fromkeys(GOOGLE_HEADER, "")
        row.update(
            {
                "First Name": first,
                "Last Name": last,
                "Labels": out.rng.choice(
                    ("* myContacts", "* myContacts ::: Friends", "* myContacts ::: Clients ::: VIP", "Imported on 3/14")
                ),
            }
        )
        row.update({"E-mail 1 - Label": "* Home", "E-mail 1 - Value": f"{handle}{at}@gmail.com"})
        row["Birthday"] = out.rng.choice(("", "", "1985-03-14", "--07-04"))
        row["Notes"] = out.rng.choice(NOTES)
        row["Organization Name"] = out.rng.choice(("", "Acme Inc.", "Initech, LLC"))
        if at % 9 == 4 and kind == "valid":
            phone = out.valid(international(out.remember(india.next())))
        else:
            phone = _google_phone(out, kind, at, us)
        _place_google_phone(row, kind, phone, "Label")
        if kind == "no_name":
            row["First Name"] = row["Last Name"] = ""
        if kind == "bad_email":
            row["E-mail 1 - Value"] = out.rng.choice(BAD_EMAILS)
        out.count(kind)
        rows.append(row)
    write_csv(folder / "google-contacts.csv", rows, columns=GOOGLE_HEADER)
    return out.kinds


def google_legacy(folder: Path) -> Counter[str]:
    """Google Contacts' older CSV (Name, Given Name, …, Group Membership): US numbers."""
    out = Writer("google-contacts-legacy", "US")
    us = Numbers("US", "MOBILE", 2, checked=True)
    counts = {"valid": 44, "valid_multi": 4, "valid_second_column": 4, "invalid_phone": 3, "no_phone": 2,
              "no_name": 1, "bad_email": 1, "duplicate": 1}  # fmt: skip
    rows = []
    for at, kind in enumerate(out.plan(counts)):
        first, last, handle = _person(out.rng)
        row = dict.fromkeys(GOOGLE_LEGACY_HEADER, "")
        row.update(
            {
                "Name": f"{first} {last}",
                "Given Name": first,
                "Family Name": last,
                "Group Membership": out.rng.choice(("* My Contacts", "* My Contacts ::: Clients")),
                "E-mail 1 - Type": "* Home",
                "E-mail 1 - Value": f"{handle}{at}@gmail.com",
                "Notes": out.rng.choice(NOTES),
                "Organization 1 - Type": "",
                "Organization 1 - Name": "",
            }
        )
        _place_google_phone(row, kind, _google_phone(out, kind, at, us), "Type")
        if kind == "no_name":
            row["Name"] = row["Given Name"] = row["Family Name"] = ""
        if kind == "bad_email":
            row["E-mail 1 - Value"] = out.rng.choice(BAD_EMAILS)
        out.count(kind)
        rows.append(row)
    write_csv(folder / "google-contacts-legacy.csv", rows, columns=GOOGLE_LEGACY_HEADER)
    return out.kinds


def outlook(folder: Path) -> Counter[str]:
    """Outlook's CSV: BOM, every field quoted, CRLF; UK mobiles national (07911 123456), London lines +44."""
    out = Writer("outlook", "GB")
    mobiles, lines = Numbers("GB", "MOBILE", 3, checked=True), Numbers("GB", "FIXED_LINE", 3, checked=True)
    counts = {"valid": 56, "valid_second_column": 10, "invalid_phone": 4, "no_phone": 4, "no_name": 2,
              "bad_email": 2, "duplicate": 2}  # fmt: skip
    rows = []
    for at, kind in enumerate(out.plan(counts)):
        first, last, handle = _person(out.rng)
        row = dict.fromkeys(OUTLOOK_HEADER, "")
        row.update(
            {
                "First Name": first,
                "Last Name": last,
                "E-mail Address": f"{handle}{at}@outlook.com",
                "Birthday": out.rng.choice(("0/0/00", "0/0/00", "3/14/1985", "11/2/1979")),
                "Anniversary": "0/0/00",
                "Categories": out.rng.choice(("", "Clients;VIP", "Clients")),
                "Notes": out.rng.choice(NOTES),
                "Company": out.rng.choice(("", "Contoso Ltd", "Fabrikam, Inc.")),
            }
        )
        mobile = business = ""
        if kind == "duplicate":
            mobile = international(out.rng.choice(out.numbers))
        elif kind == "invalid_phone":
            mobile = out.rng.choice(BAD_PHONES)
        elif kind == "valid_second_column":
            business = out.valid(international(out.remember(lines.next())))
        elif kind != "no_phone":
            number = out.remember(mobiles.next())
            mobile = out.valid(national_grouped(number) if at % 3 else international(number))
            if at % 4 == 0:
                business = out.valid(international(lines.next()))
        row["Mobile Phone"], row["Business Phone"] = mobile, business
        if kind == "no_name":
            row["First Name"] = row["Last Name"] = ""
        if kind == "bad_email":
            row["E-mail Address"] = out.rng.choice(BAD_EMAILS)
        out.count(kind)
        rows.append(row)
    write_csv(folder / "outlook.csv", rows, columns=OUTLOOK_HEADER, bom=True, crlf=True, quoting=csv.QUOTE_ALL)
    return out.kinds


def _both_readings_valid(digits: str, region: str) -> bool:
    national = phonenumbers.parse(digits, region)
    with_code = phonenumbers.parse("+" + digits)
    return phonenumbers.is_valid_number(national) and phonenumbers.is_valid_number(with_code)


def excel_de(folder: Path) -> Counter[str]:
    """German Excel's "CSV (Trennzeichen-getrennt)": ``;``, cp1252, CRLF, decimal commas, dd.mm.yyyy."""
    out = Writer("excel-de", "DE")
    mobiles, lines = Numbers("DE", "MOBILE", 4, checked=True), Numbers("DE", "FIXED_LINE", 4, checked=True)
    india = Numbers("IN", "MOBILE", 4)
    counts = {"cc_no_plus": 45, "valid": 30, "ambiguous": 6, "invalid_phone": 6, "no_phone": 4, "no_name": 3,
              "bad_email": 3, "duplicate": 3}  # fmt: skip
    rows = []
    for at, kind in enumerate(out.plan(counts, first="cc_no_plus")):
        first, last = out.rng.choice(FIRST_DE), out.rng.choice(LAST_DE)
        handle = f"{first}.{last}".lower().translate(str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss",
                                                                    "é": "e", "ë": "e", "Ö": "oe"}))  # fmt: skip
        if kind == "cc_no_plus":
            number = out.remember(mobiles.next())
            phone = out.valid("+" + number.e164[1:])[1:]
            FACTS["excel-de.csv: cc_no_plus rows also valid read as German national numbers"] += _both_readings_valid(
                phone, "DE"
            )
        elif kind == "ambiguous":
            while not _both_readings_valid(phone := india.next().e164[1:], "DE"):
                pass
        elif kind == "duplicate":
            phone = national_grouped(out.rng.choice(out.numbers))
        elif kind == "invalid_phone":
            phone = "4,91701E+11" if at % 2 else out.rng.choice(BAD_PHONES)
        elif kind == "no_phone":
            phone = ""
        else:  # valid, no_name, bad_email
            number = out.remember(mobiles.next() if at % 2 else lines.next())
            phone = out.valid(national_grouped(number) if at % 3 else international(number))
        cents = out.rng.randint(0, 300_000)
        amount = out.rng.choice((f"{cents // 100:,}".replace(",", ".") + f",{cents % 100:02d}", f"{cents // 1000},5",
                                 "99,90", "1.234,56", "12,5"))  # fmt: skip
        rows.append({
            "Name": "" if kind == "no_name" else last,
            "Vorname": "" if kind == "no_name" else first,
            "Telefon": phone,
            "E-Mail": out.rng.choice(BAD_EMAILS) if kind == "bad_email" else f"{handle}{at}@web.de",
            "Betrag": amount,
            "Newsletter": out.rng.choice(("ja", "nein")),
            "Geburtstag": f"{out.rng.randint(1, 28):02d}.{out.rng.randint(1, 12):02d}.{out.rng.randint(1950, 2004)}",
            "Notiz": out.rng.choice(("", "Rückruf erbeten; \"dringend\"", "Kunde seit 2019\nVIP", "")),
        })  # fmt: skip
        out.count(kind)
    write_csv(folder / "excel-de.csv", rows, columns=EXCEL_DE_HEADER, delimiter=";", encoding="cp1252", crlf=True)
    return out.kinds


HUBSPOT_COUNTRIES = {"US": ("United States", "US"), "IN": ("India", "india"), "DE": ("germany", "DE"),
                     "GB": ("GB", "United Kingdom")}  # fmt: skip


def hubspot(folder: Path) -> Counter[str]:
    """HubSpot's contacts export: numbers national per the row's Country/Region (spelled many ways)."""
    out = Writer("hubspot", "IN")
    sources = {
        "US": Numbers("US", "MOBILE", 5, checked=True),
        "IN": Numbers("IN", "MOBILE", 5),
        "DE": Numbers("DE", "FIXED_LINE", 5, checked=True),
        "GB": Numbers("GB", "MOBILE", 5, checked=True),
    }
    counts = {"valid": 50, "valid_second_column": 10, "no_country": 6, "unknown_country": 1, "invalid_phone": 4,
              "no_phone": 3, "no_name": 2, "bad_email": 2, "duplicate": 2}  # fmt: skip
    rows = []
    for at, kind in enumerate(out.plan(counts)):
        first, last, handle = _person(out.rng)
        region = ("US", "IN", "DE", "GB")[at % 4]
        country = out.rng.choice(HUBSPOT_COUNTRIES[region])
        phone = mobile = ""
        if kind == "no_country":
            region, country = "IN", ""
        if kind == "unknown_country":
            country = "Atlantis"
        if kind == "duplicate":
            earlier = out.rng.choice(out.numbers)
            phone, region = international(earlier), earlier.region
            country = out.rng.choice(HUBSPOT_COUNTRIES[region])
        elif kind == "invalid_phone":
            phone = out.rng.choice(BAD_PHONES)
        elif kind != "no_phone":
            number = out.remember(sources[region].next())
            written = out.valid(national_grouped(number), region)
            phone, mobile = ("", written) if kind == "valid_second_column" else (written, "")
        rows.append({
            "Record ID": str(51_000_000_000 + at * 7919), "First Name": "" if kind == "no_name" else first,
            "Last Name": "" if kind == "no_name" else last,
            "Email": out.rng.choice(BAD_EMAILS) if kind == "bad_email" else f"{handle}{at}@example.com",
            "Phone Number": phone, "Mobile Phone Number": mobile,
            "Company Name": out.rng.choice(("", "Acme Corp", "Globex, Inc.")),
            "City": "", "State/Region": "", "Country/Region": country, "Postal Code": "",
            "Lifecycle Stage": out.rng.choice(("lead", "subscriber", "customer", "opportunity")),
            "Contact owner": out.rng.choice(("", "Sam Owner", "Priya Sales")),
            "Create Date": f"2024-{at % 12 + 1:02d}-{at % 28 + 1:02d} {at % 24:02d}:{at * 7 % 60:02d}",
        })  # fmt: skip
        out.count(kind)
    write_csv(folder / "hubspot.csv", rows, columns=HUBSPOT_HEADER)
    return out.kinds


def _fold(line: str) -> list[str]:
    """A vCard content line folded at 75 octets (RFC 6350 §3.2 / RFC 2425): continuations start with a space."""
    encoded, parts, start = line.encode(), [], 0
    while start < len(encoded):
        width = 75 if not parts else 74
        end = min(start + width, len(encoded))
        while end < len(encoded) and (encoded[end] & 0xC0) == 0x80:  # never split a UTF-8 character
            end -= 1
        parts.append(("" if not parts else " ") + encoded[start:end].decode())
        start = end
    return parts


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace(",", "\\,").replace(";", "\\;")


def _vcard_phones(out: Writer, kind: str, at: int, india: Numbers, us: Numbers) -> list[str]:
    card: list[str] = []
    if kind == "duplicate":
        earlier = out.rng.choice(out.numbers)
        card.append(f"TEL;type=CELL;type=VOICE;type=pref:{national_grouped(earlier)}")
    elif kind == "invalid_phone":
        card.append(f"TEL;type=CELL:{out.rng.choice(BAD_PHONES)}")
    elif kind != "no_phone":
        number = out.remember(india.next())
        written = out.valid(international(number) if at % 3 else national_grouped(number))
        card.append(f"TEL;type=CELL;type=VOICE;type=pref:{written}" if at % 2 else f"TEL;TYPE=CELL:{written}")
    if kind == "valid_multi":
        card.append(f"TEL;type=HOME;type=VOICE:{out.valid(international(india.next()))}")
        if at % 2:
            card.append(f"TEL;type=WORK;type=VOICE:{out.valid(international(us.next()))}")
        card += [f"item1.TEL:{out.valid(international(us.next()))}", "item1.X-ABLabel:_$!<Other>!$_"]
    return card


def vcard(folder: Path) -> Counter[str]:
    """vCard 3.0 as iPhone and Google write it: TEL;type=CELL/HOME/WORK, item1.TEL with an X-ABLabel, folded
    NOTEs, one PHOTO. Default region IN."""
    out = Writer("contacts-vcf", "IN")
    india, us = Numbers("IN", "MOBILE", 6), Numbers("US", "MOBILE", 6, checked=True)
    counts = {"valid": 24, "valid_multi": 8, "no_phone": 3, "invalid_phone": 2, "no_name": 1, "duplicate": 2}
    lines: list[str] = []
    photo = base64.b64encode(bytes(range(256)) * 2).decode()
    for at, kind in enumerate(out.plan(counts)):
        first, last, handle = _person(out.rng)
        if kind == "no_name":
            first = last = ""
        card = ["BEGIN:VCARD", "VERSION:3.0"]
        if at % 2:
            card.append("PRODID:-//Apple Inc.//iPhone OS 17.4//EN")
        card += [f"N:{_escape(last)};{_escape(first)};;;", f"FN:{_escape(f'{first} {last}'.strip())}"]
        if kind == "no_name":
            card.append("ORG:Plumbing & Sons;")
        card.append(f"EMAIL;type=INTERNET;type=HOME;type=pref:{handle}{at}@icloud.com")
        card += _vcard_phones(out, kind, at, india, us)
        if at % 4 == 0:
            card.append("ORG:Acme Pvt. Ltd.;Sales")
        card.append("CATEGORIES:" + out.rng.choice(("myContacts", "myContacts,Friends", "Clients,VIP")))
        note = out.rng.choice(NOTES)
        if note:
            card.append(f"NOTE:{_escape(note + ' — ' + 'follow up next quarter about renewal, pricing and seats')}")
        if at == 5:
            card.append(f"PHOTO;ENCODING=b;TYPE=JPEG:{photo}")
        card.append("END:VCARD")
        for line in card:
            lines += _fold(line)
        out.count(kind)
    (folder / "contacts.vcf").write_bytes(("\r\n".join(lines) + "\r\n").encode())
    return out.kinds


FIXTURES: dict[str, tuple[Callable[[Path], Counter[str]], str]] = {
    "google-contacts.csv": (google, "Google Contacts' current export; UTF-8, `,`, LF; default region US"),
    "google-contacts-legacy.csv": (google_legacy, "Google Contacts' older export; UTF-8, `,`, LF; default US"),
    "outlook.csv": (outlook, "Outlook; UTF-8 with BOM, every field quoted, CRLF; default region GB"),
    "excel-de.csv": (excel_de, "German Excel CSV; cp1252, `;`, CRLF, decimal comma; default region DE"),
    "hubspot.csv": (hubspot, "HubSpot; UTF-8, `,`, LF; region per row's Country/Region (default IN)"),
    "contacts.vcf": (vcard, "vCard 3.0 (iPhone/Google style); UTF-8, CRLF, folded lines; default region IN"),
}


def make(folder: Path = FOLDER) -> dict[str, dict[str, int]]:
    folder.mkdir(parents=True, exist_ok=True)
    FACTS.clear()
    counts = {name: dict(sorted(build(folder).items())) for name, (build, _) in FIXTURES.items()}
    document = {"kinds": counts, "facts": dict(sorted(FACTS.items()))}
    (folder / "counts.json").write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (folder / "README.md").write_text(readme(counts), encoding="utf-8")
    return counts


def readme(counts: dict[str, dict[str, int]]) -> str:
    kinds = [kind for kind in KINDS if any(kind in each for each in counts.values())]
    lines = [
        "# Export-shaped fixtures",
        "",
        "Written by `python -m benchmarks.make_exports` (deterministic: the same bytes every time; do not edit",
        "by hand). Each row (vCard: card) holds exactly one kind; the counts below are also in `counts.json`.",
        "Every number meant to be valid was checked with `phonenumbers` when written, under the file's default",
        "region (HubSpot: the row's country); `ambiguous` ones were checked both ways.",
        "",
        "| file | shape |",
        "|---|---|",
        *(f"| `{name}` | {shape} |" for name, (_, shape) in FIXTURES.items()),
        "",
        "Rows of each kind:",
        "",
        "| kind | " + " | ".join(f"`{name}`" for name in counts) + " |",
        "|---|" + "---:|" * len(counts),
        *(f"| {kind} | " + " | ".join(str(each.get(kind, 0)) for each in counts.values()) + " |" for kind in kinds),
        "| **rows** | " + " | ".join(str(sum(each.values())) for each in counts.values()) + " |",
        "",
        "Kinds:",
        "",
        *(f"- `{kind}`: {meaning}" for kind, meaning in KINDS.items() if kind in kinds),
        "",
        "Facts (checked with phonenumbers " + phonenumbers.__version__ + " as the files were written):",
        "",
        *(f"- {fact}: {count}" for fact, count in sorted(FACTS.items())),
        "",
        "Notes: Google's `Labels`/`Group Membership` and multi-value cells use ` ::: `; Outlook writes `0/0/00`",
        "for an empty date; the German file's `4,91701E+11` is Excel's scientific notation with a decimal comma",
        "(the digits are lost); `ambiguous` rows there are Indian numbers without `+` (`91…`), also valid as",
        "German national numbers; the `49…` rows (`cc_no_plus`) read nationally start `0491…` (Leer's area",
        "code). The HubSpot file's unknown country and its `no_country` rows depend on the job's default region.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    made = make(Path(sys.argv[1]) if len(sys.argv) > 1 else FOLDER)
    for name, each in made.items():
        print(f"{name}: {sum(each.values())} rows, {json.dumps(each)}")
