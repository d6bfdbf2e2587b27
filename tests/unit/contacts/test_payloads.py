"""Payloads built column-wise are the per-row mapper's, for every row the column-wise path accepted."""

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from bulkcontacts.config.mapping import MappingSpec
from bulkcontacts.contacts.columnar import FastPath
from bulkcontacts.contacts.mapping import ContactMapper
from bulkcontacts.contacts.payloads import ColumnPayloads

# Cells as people's files hold them: Python's whitespace of every kind (and U+200B, which is not), the tag
# separators and control characters, a JSON-looking start, quotes, non-ASCII letters.
CELL = st.one_of(st.none(), st.text(alphabet=" \t\n\u3000\x1c\x1f\u00a0\u200bab;,|[]\"'é€*", max_size=9))
PHONES = ["+91 98765 43210", "098765 43211", "(987) 654-3212", "+49 30 1234567", "9876543213", " +919876543214 "]


def _frame(cells: list[list[str | None]], columns: list[str], phones: list[str]) -> pl.DataFrame:
    data: dict[str, list[str | None]] = {"phone": [phones[at % len(phones)] for at in range(len(cells))]}
    for place, column in enumerate(columns):
        data[column] = [row[place] for row in cells]
    return pl.DataFrame(data, schema=dict.fromkeys(data, pl.String))


COLUMNS = ["first", "last", "full", "alias", "mail", "city", "plan", "seats", "tags", "label", "group"]


@settings(max_examples=150, deadline=None)
@given(
    cells=st.lists(st.lists(CELL, min_size=len(COLUMNS), max_size=len(COLUMNS)), min_size=1, max_size=30),
    separator=st.sampled_from([";", ",", " ", "|"]),
    skipped=st.sampled_from([[], ["*"], ["a", "é"]]),
    missing_name=st.sampled_from(["reject", "phone"]),
    full_name=st.sampled_from([["full", "alias"], ["alias"], []]),
    integration=st.sampled_from(["chan", None]),
    typed=st.booleans(),
)
def test_a_payload_built_column_wise_is_the_mappers(  # noqa: PLR0913
    cells, separator, skipped, missing_name, full_name, integration, typed
):
    frame = _frame(cells, COLUMNS, PHONES)
    mapping = MappingSpec(
        default_country="IN",
        full_name=full_name,  # [] : a field named with no column
        first_name="first",
        last_name="last",
        email="mail",
        missing_name=missing_name,
        tags={"column": "tags", "separator": separator, "columns": ["label", "group"], "ignore_starting_with": skipped},
        rename={"plan": "tier"},
        types={"seats": "integer"} if typed else {"tier": "string"},
    )
    mapper = ContactMapper(mapping, frame.columns, integration)
    phones = FastPath(mapper).phones(frame)
    built = ColumnPayloads(mapper).build(frame, phones)
    for at, (row, phone, payload) in enumerate(zip(frame.to_dicts(), phones.to_list(), built, strict=True)):
        if payload is not None:
            assert phone is not None
            assert payload == mapper.map(row, phone, at), row


def test_most_accepted_rows_get_their_payload_column_wise():
    """Not a vacuous property: plain rows, JSON tags and a refused integer aside, are built here."""
    rows = [
        ["Ana", "Rao", None, None, "a@b.co", " Pune ", "gold", "3", "x; y ;x", "vip", None],
        [None, None, None, " Ravi ", None, None, None, None, '["p", "q"]', None, None],  # JSON tags: the mapper's
        ["Zoë", None, "", None, None, None, None, "3.5", None, None, None],  # an integer the converter refuses
        ["\u3000", "Li", None, None, None, "\x1c", "", "", " ; ", "", "*sys"],
    ]
    frame = _frame(rows, COLUMNS, PHONES)
    mapping = MappingSpec(
        default_country="IN",
        full_name=["full", "alias"],
        first_name="first",
        last_name="last",
        email="mail",
        tags={"column": "tags", "separator": ";", "columns": ["label", "group"], "ignore_starting_with": ["*"]},
        types={"seats": "integer"},
    )
    mapper = ContactMapper(mapping, frame.columns, "chan")
    built = ColumnPayloads(mapper).build(frame, FastPath(mapper).phones(frame))
    assert built[0] == {
        "phone_number": 919876543210,
        "first_name": "Ana",
        "last_name": "Rao",
        "full_name": "Ana Rao",
        "email": "a@b.co",
        "city": "Pune",
        "plan": "gold",
        "seats": 3,
        "tags": ["x", "y", "vip"],
        "integration_id": "chan",
    }
    assert built[1] is None and built[2] is None
    assert built[3] == {"phone_number": 49301234567, "last_name": "Li", "full_name": "Li", "integration_id": "chan"}
