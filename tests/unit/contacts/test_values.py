import datetime as dt
import sys

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bulkcontacts.contacts.values import (
    KINDS,
    EmptyValue,
    ValueOptions,
    certainly_converts,
    check_options,
    converter,
)

COMMA, DOT = ValueOptions(decimal=","), ValueOptions(decimal=".")
OPTIONS = [
    ValueOptions(),
    COMMA,
    DOT,
    ValueOptions(date_formats=("%d/%m/%y", "%Y%m%d", "%d.%m.%Y")),
    ValueOptions(date_formats=("%m/%d/%Y",)),
    ValueOptions(true_values=("Sí", "ja", "x y", "İ"), false_values=("nein", "Ñ")),
]
REALISTIC = [
    "99,90",
    "1.234,56",
    "1 234,56",
    "1\u00a0234,56",
    "1\u202f234,56",
    "1,234.56",
    "1,200.50",
    "-3",
    ".5",
    "1.",
    "12,5",
    "1.2.3",
    "1e3",
    "inf",
    "nan",
    "1" * 400,
    "1" * 299,
    "3/14/1985",
    "01/02/2020",
    "14/03/1985",
    "0/0/00",
    "0/0/0000",
    "00.00.0000",
    "0000-00-00",
    "31.12.2019",
    "29.02.2019",
    "29.02.00",
    "2024-02-30",
    "2024-05-08",
    "0000-01-01",
    "ja",
    "NEIN",
    "Oui",
    "SÍ",
    "sí",
    "İ",
    "x y",
]
# Every character Python's str.strip takes (what the fast path strips with, too).
SPACES = "".join(char for char in map(chr, range(sys.maxunicode + 1)) if char.isspace())
DATES = st.builds(
    lambda a, b, year, mark, pad: f"{a:0{pad}}{mark}{b:0{pad}}{mark}{year}",
    st.integers(0, 40),
    st.integers(0, 40),
    st.sampled_from(["00", "85", "2019", "2020", "2100", "1000", "0999", "0000", "20", "99"]),
    st.sampled_from("/.-"),
    st.sampled_from([1, 2]),
)
GROUPED = st.builds(
    lambda sign, first, groups, mark, tail: sign + first + "".join(mark + group for group in groups) + tail,
    st.sampled_from(["", "-", "+"]),
    st.text(alphabet="0123456789", min_size=0, max_size=4),
    st.lists(st.text(alphabet="0123456789", min_size=2, max_size=4), max_size=4),
    st.sampled_from([".", ",", " ", "\u00a0", "\u202f"]),
    st.sampled_from(["", ",5", ".5", ",", ".", ",50", ".50", "e3"]),
)
TEXTS = st.one_of(
    DATES,
    GROUPED,
    st.text(alphabet="0123456789", min_size=1, max_size=12),
    st.text(alphabet="0123456789,. -+\u00a0\u202f", min_size=1, max_size=14),
    st.text(alphabet="0123456789/.-", min_size=1, max_size=12),
    st.text(alphabet="0123456789eE.,+-iInNfaosjtyíÍİ ", min_size=1, max_size=8),
    st.sampled_from(REALISTIC),
    st.text(max_size=8),
)


def accepts(kind: str, options: ValueOptions, text: str) -> bool:
    try:
        converter(kind, options)(text)
    except (ValueError, EmptyValue):
        return False
    return True


def proven(kind: str, options: ValueOptions, texts: list[str]) -> list[bool]:
    frame = pl.DataFrame({"text": texts}, schema={"text": pl.String})
    return frame.select(certainly_converts(pl.col("text"), kind, options)).to_series().to_list()


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(TEXTS, min_size=1, max_size=30), options=st.sampled_from(OPTIONS))
def test_the_fast_path_never_claims_a_value_the_converter_refuses(texts, options):
    texts = [stripped for text in texts if (stripped := text.strip(SPACES))]
    for kind in KINDS:
        for text, claimed in zip(texts, proven(kind, options, texts), strict=True):
            assert not claimed or accepts(kind, options, text), (kind, options, text)


@pytest.mark.parametrize(
    ("kind", "options", "texts"),
    [
        ("number", COMMA, ["99,90", "1.234,56", "1 234,56", "1\u00a0234,56", "1\u202f234", "-3", ",5", "12", "7,"]),
        ("number", DOT, ["1,234.56", "1 234.5", "-3", ".5", "1.", "12"]),
        ("number", ValueOptions(), ["12", "-3", ".5", "1.", "+4.25", "1" * 299]),
        ("integer", COMMA, ["1.234", "1 234 567", "-3", "+4"]),
        ("integer", ValueOptions(), ["3", "+4", "-0"]),
        ("date", ValueOptions(), ["3/14/1985", "31.12.2019", "1.2.2020", "14/03/1985", "2024-05-08", "29.02.2024"]),
        ("date", ValueOptions(date_formats=("%d/%m/%y",)), ["01/02/20", "29/02/00", "1/2/99"]),
        ("date", ValueOptions(date_formats=("%Y%m%d", "%d-%m-%Y")), ["8-5-2024", "31-12-2019"]),
        ("boolean", ValueOptions(), ["ja", "NEIN", "Oui", "non", "sí", "Sí", "SÍ", "si", "Yes", "0", "T"]),
        ("boolean", ValueOptions(true_values=("Sí", "x y"), false_values=("Ñ",)), ["sí", "SÍ", "X Y", "ñ", "Ñ"]),
    ],
)
def test_the_fast_path_engages_on_real_shaped_values(kind, options, texts):
    assert proven(kind, options, texts) == [True] * len(texts)
    assert all(accepts(kind, options, text) for text in texts)


@pytest.mark.parametrize(
    ("options", "text", "expected"),
    [
        (COMMA, "99,90", 99.9),
        (COMMA, "12,5", 12.5),
        (COMMA, "1.234,56", 1234.56),
        (COMMA, "1 234,56", 1234.56),
        (COMMA, "1\u202f234,56", 1234.56),
        (COMMA, "1.234", 1234),
        (COMMA, "1.234.567", 1234567),
        (COMMA, "1,0", 1.0),
        (DOT, "1,200.50", 1200.5),
        (DOT, "1,234", 1234),
        (DOT, "1.234", 1.234),
        (ValueOptions(), "12", 12),
        (ValueOptions(), "-3", -3),
        (ValueOptions(), ".5", 0.5),
        (ValueOptions(), "1.", 1.0),
        (ValueOptions(), "1e3", 1000.0),
        (ValueOptions(), "12345678901234567890", 12345678901234567890),
        (ValueOptions(), 4.5, 4.5),
        (COMMA, 7, 7),
    ],
)
def test_numbers_read_with_the_decimal_mark(options, text, expected):
    value = converter("number", options)(text)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(
    ("options", "text", "message"),
    [
        (ValueOptions(), "99,90", "'99,90' has a comma: set [mapping] decimal"),
        (ValueOptions(), "1,200.50", 'decimal = "," if it is the decimal mark, or decimal = "."'),
        (COMMA, "1.2.3", "'1.2.3' is not a number with [mapping] decimal = \",\""),
        (COMMA, "1.23", "is not a number"),
        (COMMA, "1,234.56", "is not a number"),
        (COMMA, "1.234 567", "is not a number"),
        (DOT, "1.234,56", "is not a number"),
        (DOT, "99,90", "is not a number"),
        (ValueOptions(), "inf", "not a finite number"),
        (ValueOptions(), "nan", "not a finite number"),
        (ValueOptions(), "1" * 400, "not a finite number"),
        (COMMA, "1" * 400, "not a finite number"),
        (ValueOptions(), float("inf"), "not a finite number"),
        (ValueOptions(), True, "not a number"),
    ],
)
def test_numbers_refused_name_the_fix(options, text, message):
    with pytest.raises(ValueError, match="^") as raised:
        converter("number", options)(text)
    assert message in str(raised.value)


def test_integers_are_whole_numbers():
    assert converter("integer", COMMA)("1.234") == 1234
    assert converter("integer", ValueOptions())("3.0") == 3
    with pytest.raises(ValueError, match="not a whole number"):
        converter("integer", COMMA)("12,5")


@pytest.mark.parametrize(
    ("options", "text", "expected"),
    [
        (ValueOptions(), "3/14/1985", "1985-03-14"),
        (ValueOptions(), "31.12.2019", "2019-12-31"),
        (ValueOptions(), "14/03/1985", "1985-03-14"),
        (ValueOptions(), "05/05/2020", "2020-05-05"),
        (ValueOptions(), "2024-05-08", "2024-05-08"),
        (ValueOptions(), "2024-05-08T10:00:00Z", "2024-05-08"),
        (ValueOptions(), dt.datetime(2024, 1, 2, 3, 4), "2024-01-02"),
        (ValueOptions(), dt.date(2024, 1, 2), "2024-01-02"),
        (ValueOptions(date_formats=("%d/%m/%Y",)), "01/02/2020", "2020-02-01"),
        (ValueOptions(date_formats=("%m/%d/%Y", "%d/%m/%Y")), "01/02/2020", "2020-01-02"),
        (ValueOptions(date_formats=("%d/%m/%y",)), "01/02/85", "1985-02-01"),
    ],
)
def test_dates_become_iso(options, text, expected):
    assert converter("date", options)(text) == expected


def test_an_ambiguous_date_names_both_readings_and_the_fix():
    with pytest.raises(ValueError) as raised:
        converter("date", ValueOptions())("01/02/2020")
    message = str(raised.value)
    assert "2020-01-02" in message and "2020-02-01" in message and 'date_formats = ["%d/%m/%Y"]' in message


@pytest.mark.parametrize("text", ["2024-02-30", "1/2/85", "0000-01-01", "29.02.2019", "3/14/85", "soon"])
def test_dates_refused(text):
    with pytest.raises(ValueError, match=r"\[mapping\] date_formats"):
        converter("date", ValueOptions())(text)


@pytest.mark.parametrize(
    "text", ["0/0/00", "0/0/0000", "00.00.0000", "00/00/0000", "0000-00-00", "0000-00-00 00:00:00"]
)
@pytest.mark.parametrize("options", [ValueOptions(), ValueOptions(date_formats=("%m/%d/%y",))])
def test_empty_date_markers_leave_the_attribute_out(text, options):
    with pytest.raises(EmptyValue):
        converter("date", options)(text)


def test_booleans_default_words_and_replacements():
    default = converter("boolean", ValueOptions())
    assert [default(word) for word in ["ja", "NEIN", "Oui", "non", "Sí", "si", " yes ", "0", True]] == [
        True,
        False,
        True,
        False,
        True,
        True,
        True,
        False,
        True,
    ]
    with pytest.raises(ValueError, match="'maybe' is not a boolean: use true/false, yes/no"):
        default("maybe")
    custom = converter("boolean", ValueOptions(true_values=("Aktiv",)))
    assert custom(" AKTIV ") is True and custom("nein") is False
    with pytest.raises(ValueError, match="use aktiv for true"):
        custom("yes")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (ValueOptions(decimal=";"), "[mapping] decimal"),  # type: ignore[arg-type]
        (ValueOptions(date_formats=()), "[mapping] date_formats is empty"),
        (ValueOptions(date_formats=("%Q",)), "[mapping] date_formats: '%Q'"),
        (ValueOptions(date_formats=("%m/%d",)), "needs a year"),
        (ValueOptions(date_formats=("%d%",)), "[mapping] date_formats"),
        (ValueOptions(true_values=("no",)), "both hold 'no'"),
        (ValueOptions(false_values=(" ",)), "[mapping] false_values"),
        (ValueOptions(true_values=()), "[mapping] true_values"),
    ],
)
def test_bad_options_name_the_key(options, message):
    with pytest.raises(ValueError) as raised:
        check_options(options)
    assert message in str(raised.value)
    with pytest.raises(ValueError):
        converter("number", options)


def test_text_as_text_never_fails_and_unknown_kinds_are_refused():
    assert proven("string", ValueOptions(), ["x", "1,2"]) == [True, True]
    assert converter("as-is", ValueOptions())(" x ") == "x" and converter("string", ValueOptions())(3) == "3"
    with pytest.raises(ValueError, match="unknown type"):
        converter("money", ValueOptions())
