import base64
import tracemalloc

import pytest

from bulkcontacts.config.sources import FileSource
from bulkcontacts.errors import UsageError
from bulkcontacts.io.readers import FileReader
from bulkcontacts.io.vcard import COLUMNS

EMPTY = dict.fromkeys(COLUMNS, "")

# Android's vCard 2.1 export: bare TYPE params, quoted-printable UTF-8 names with a soft line break, a
# base64 photo ended by a blank line.
ANDROID_21 = (
    "BEGIN:VCARD\r\n"
    "VERSION:2.1\r\n"
    "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=C3=B6rg;;;\r\n"
    "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=B6rg M=C3=BC=\r\n"
    "ller\r\n"
    "TEL;HOME:+49 30 1234567\r\n"
    "TEL;CELL;PREF:+49 170 5550100\r\n"
    "EMAIL;INTERNET:joerg@example.de\r\n"
    "NOTE;ENCODING=QUOTED-PRINTABLE:erste Zeile=0D=0Azweite Zeile\r\n"
    "PHOTO;ENCODING=BASE64;JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD\r\n"
    "  /2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8U\r\n"
    "\r\n"
    "END:VCARD\r\n"
)

# iPhone (vCard 3.0): grouped item1.TEL with its label, a long unwrapped photo, folded NOTE.
IPHONE_30 = (
    "BEGIN:VCARD\r\n"
    "VERSION:3.0\r\n"
    "PRODID:-//Apple Inc.//iPhone OS 17.0//EN\r\n"
    "N:Appleseed;Johnny;;;\r\n"
    "FN:Johnny Appleseed\r\n"
    "ORG:Apple Inc.;Engineering\r\n"
    "TEL;type=WORK;type=VOICE;type=pref:+1 408 555 0100\r\n"
    "item1.TEL:+1 408 555 0199\r\n"
    "item1.X-ABLabel:_$!<Mobile>!$_\r\n"
    "item2.EMAIL;type=INTERNET:work@example.com\r\n"
    "EMAIL;type=INTERNET;type=HOME;type=pref:johnny@example.com\r\n"
    "NOTE:a long note that Apple fol\r\n"
    " ded here\r\n"
    f"PHOTO;ENCODING=b;TYPE=JPEG:{'QUJD' * 5_000}\r\n"
    "END:VCARD\r\n"
)

# Google Contacts (vCard 3.0): TYPE lists, CATEGORIES with its system group, a card without a phone.
GOOGLE_30 = (
    "BEGIN:VCARD\n"
    "VERSION:3.0\n"
    "FN:Ana Lima\n"
    "N:Lima;Ana;;;\n"
    "EMAIL;TYPE=INTERNET;TYPE=HOME:ana@example.com\n"
    "TEL;TYPE=WORK,VOICE:+55 11 5555 0100\n"
    "TEL;TYPE=CELL:+55 11 95555 0199\n"
    "CATEGORIES:myContacts,Friends,VIP\n"
    "END:VCARD\n"
    "BEGIN:VCARD\n"
    "VERSION:3.0\n"
    "FN:Only Email\n"
    "EMAIL;TYPE=INTERNET:only@example.com\n"
    "CATEGORIES:myContacts\n"
    "END:VCARD\n"
)

VCARD_40 = (
    "BEGIN:VCARD\r\n"
    "VERSION:4.0\r\n"
    "N:Stevenson;John;Philip,Paul;Dr.;Jr.\r\n"
    'TEL;VALUE=uri;TYPE="voice,home":tel:+1-555-555-0000\r\n'
    'TEL;VALUE=uri;TYPE="cell,voice";PREF=1:tel:+1-555-555-5555;ext=5\r\n'
    "EMAIL;TYPE=work:john@example.com\r\n"
    "EMAIL;PREF=1:jps@example.com\r\n"
    "ORG:Example\\, Inc.\r\n"
    "CATEGORIES:a,b\r\n"
    "END:VCARD\r\n"
)


def read(tmp_path, text, *, name="contacts.vcf", write_as="utf-8", batch_rows=5_000, **source):
    path = tmp_path / name
    path.write_bytes(text.encode(write_as))
    reader = FileReader(FileSource(type="file", path=path, batch_rows=batch_rows, **source))
    return reader, [row for _, rows in reader.batches() for row in rows]


def test_columns_are_fixed_and_rows_are_cards_in_file_order(tmp_path):
    reader, rows = read(tmp_path, ANDROID_21 + IPHONE_30 + GOOGLE_30 + VCARD_40)
    assert reader.format == "vcard"
    assert reader.columns() == [
        "full_name",
        "first_name",
        "last_name",
        "phone",
        "email",
        "company",
        "tags",
        "remarks",
    ]
    assert reader.count_rows() == reader.rows_at_most() == len(rows) == 5
    assert [row["full_name"] for row in rows] == [
        "Jörg Müller",
        "Johnny Appleseed",
        "Ana Lima",
        "Only Email",
        "John Stevenson",
    ]


def test_vcard_21_quoted_printable_umlauts_bare_types_and_a_photo(tmp_path):
    _, [row] = read(tmp_path, ANDROID_21)
    assert row == {
        **EMPTY,
        "full_name": "Jörg Müller",
        "first_name": "Jörg",
        "last_name": "Müller",
        "phone": "+49 170 5550100 ::: +49 30 1234567",
        "email": "joerg@example.de",
        "remarks": "erste Zeile\nzweite Zeile",
    }


def test_iphone_export_grouped_tel_label_preferred_email_and_big_photo(tmp_path):
    _, [row] = read(tmp_path, IPHONE_30)
    assert row == {
        **EMPTY,
        "full_name": "Johnny Appleseed",
        "first_name": "Johnny",
        "last_name": "Appleseed",
        "phone": "+1 408 555 0199 ::: +1 408 555 0100",  # item1's label says Mobile
        "email": "johnny@example.com",  # type=pref wins over the first
        "company": "Apple Inc.",
        "remarks": "a long note that Apple folded here",
    }


def test_google_export_categories_and_a_card_without_a_phone(tmp_path):
    reader, rows = read(tmp_path, GOOGLE_30)
    assert rows == [
        {
            **EMPTY,
            "full_name": "Ana Lima",
            "first_name": "Ana",
            "last_name": "Lima",
            "phone": "+55 11 95555 0199 ::: +55 11 5555 0100",
            "email": "ana@example.com",
            "tags": "myContacts,Friends,VIP",
        },
        {**EMPTY, "full_name": "Only Email", "email": "only@example.com", "tags": "myContacts"},
    ]


def test_vcard_40_tel_uris_quoted_types_and_name_built_from_n(tmp_path):
    _, [row] = read(tmp_path, VCARD_40)
    assert row == {
        **EMPTY,
        "full_name": "John Stevenson",  # no FN: given + family
        "first_name": "John",
        "last_name": "Stevenson",
        "phone": "+1-555-555-5555 ext. 5 ::: +1-555-555-0000",
        "email": "jps@example.com",
        "company": "Example, Inc.",
        "tags": "a,b",
    }


def test_batches_are_arrow_strings_with_card_positions(tmp_path):
    cards = "".join(f"BEGIN:VCARD\nVERSION:3.0\nFN:C{index}\nTEL:98{index:08d}\nEND:VCARD\n" for index in range(7))
    reader, _ = read(tmp_path, cards, batch_rows=3)
    frames = list(reader.frames())
    assert [(frame.first, frame.height) for frame in frames] == [(0, 3), (3, 3), (6, 1)]
    assert frames[0].frame is not None and frames[0].frame.columns == list(COLUMNS)
    assert frames[1].frame["phone"].to_list() == ["9800000003", "9800000004", "9800000005"]
    assert [(first, [row["full_name"] for row in rows]) for first, rows in reader.batches(start=5)] == [
        (5, ["C5"]),
        (6, ["C6"]),
    ]


def test_bom_crlf_and_vcard_suffix(tmp_path):
    reader, rows = read(tmp_path, "\ufeff" + GOOGLE_30.replace("\n", "\r\n"), name="export.vcard")
    assert reader.count_rows() == 2
    assert rows[0]["full_name"] == "Ana Lima" and rows[1]["email"] == "only@example.com"


def test_utf16_with_bom_and_a_declared_encoding(tmp_path):
    _, rows = read(tmp_path, "\ufeff" + GOOGLE_30, write_as="utf-16-le")
    assert [row["full_name"] for row in rows] == ["Ana Lima", "Only Email"]
    latin = "BEGIN:VCARD\nVERSION:3.0\nFN:Zoë Ärger\nEND:VCARD\n"
    _, [row] = read(tmp_path, latin, name="latin.vcf", write_as="cp1252", encoding="cp1252")
    assert row["full_name"] == "Zoë Ärger"


def test_a_photo_is_neither_decoded_nor_kept(tmp_path):
    photo = base64.encodebytes(bytes(range(256)) * 8_000).decode().replace("\n", "\r\n ")  # ~2.7 MB
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Pic\r\n"
    card += f"PHOTO;ENCODING=b;TYPE=JPEG:{photo}\r\nTEL:+1 555 0100\r\nEND:VCARD\r\n"
    reader, _ = read(tmp_path, card * 3)
    tracemalloc.start()
    try:
        rows = [row for _, batch in reader.batches() for row in batch]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [row["phone"] for row in rows] == ["+1 555 0100"] * 3
    assert peak < 2_000_000  # one photo is 2.7 MB: it was never held whole, let alone decoded


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "no vCard (BEGIN:VCARD) found"),
        ("\r\n\r\n", "no vCard (BEGIN:VCARD) found"),
        ("name,phone\nAnna,98\n", "line 1: 'name,phone' is outside a card"),
        ("BEGIN:VCALENDAR\nEND:VCALENDAR\n", "line 1: BEGIN:VCALENDAR where a card (BEGIN:VCARD) should begin"),
        (GOOGLE_30 + "BEGIN:VCARD\nFN:Open\n", "line 17 (card 3): Component VCARD was never closed"),
        ("BEGIN:VCARD\nFN:A\nthis is junk\nEND:VCARD\n", "line 3 (card 1): Failed to parse line: this is junk"),
        ("BEGIN:VCARD\nFN:A\nEND:VCARD\nTEL:1\n", "line 4: 'TEL:1' is outside a card"),
        (
            GOOGLE_30 + "BEGIN:VCARD\nFN;ENCODING=QUOTED-PRINTABLE;CHARSET=NOPE:J=C3=B6rg\nEND:VCARD\n",
            "card 3 (from line 16): LookupError: unknown encoding: NOPE",
        ),
    ],
)
def test_a_broken_file_is_one_usage_error_naming_line_or_card(tmp_path, text, words):
    reader, _ = read(tmp_path, GOOGLE_30)  # a good file, then the bad one
    (tmp_path / "contacts.vcf").write_text(text)
    with pytest.raises(UsageError) as caught:
        reader.count_rows()
    assert words in str(caught.value) and str(tmp_path / "contacts.vcf") in str(caught.value)
    assert "\n" not in str(caught.value)
    with pytest.raises(UsageError, match="contacts.vcf"):
        list(reader.frames())


def test_bytes_that_are_not_the_encoding(tmp_path):
    path = tmp_path / "contacts.vcf"
    path.write_bytes(b"BEGIN:VCARD\nFN:Zo\xeb\nEND:VCARD\n")
    with pytest.raises(UsageError, match=r"not utf-8 .*set \[source\] encoding"):
        FileReader(FileSource(type="file", path=path)).count_rows()


def test_fingerprint_is_the_content_hash(tmp_path):
    reader, _ = read(tmp_path, GOOGLE_30)
    before = reader.fingerprint()
    assert before == read(tmp_path, GOOGLE_30)[0].fingerprint()
    assert before != read(tmp_path, GOOGLE_30.replace("Ana", "Ann"))[0].fingerprint()
