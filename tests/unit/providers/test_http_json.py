"""Request and answer bodies through orjson mean what json made of them; what orjson refuses (an integer past
64 bits, NaN) goes through json as before."""

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bulkcontacts.providers.http import has_long_digits, json_bytes, read_json

VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(VALUES)
def test_a_body_reads_back_as_what_was_sent(value):
    assert json.loads(json_bytes(value)) == value


@given(VALUES)
async def test_an_answer_means_what_json_made_of_it(value):
    raw = json.dumps(value).encode()
    assert await read_json(_Answer(raw)) == (json.loads(raw), True)  # type: ignore[arg-type]


@given(st.binary(max_size=60) | st.text(alphabet="0123456789a ,.-\u0660\u00b2", max_size=60).map(str.encode))
def test_nineteen_digits_in_a_row_are_found_as_the_regex_finds_them(raw):
    assert has_long_digits(raw) == bool(re.search(rb"[0-9]{19}", raw))


def test_an_integer_past_64_bits_is_sent_as_json_writes_it():
    assert json_bytes({"n": 2**70, "name": "Zoë"}) == '{"n": 1180591620717411303424, "name": "Zoë"}'.encode()


class _Answer:
    def __init__(self, body: bytes) -> None:
        self.body = body

    async def read(self) -> bytes:
        return self.body


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"success": true, "data": {"_id": "a1"}}', ({"success": True, "data": {"_id": "a1"}}, True)),
        (b'{"id": 123456789012345678901234567890}', ({"id": 123456789012345678901234567890}, True)),
        (b'{"id": -18446744073709551617, "n": 1.5}', ({"id": -18446744073709551617, "n": 1.5}, True)),
        (b"<html>Bad gateway</html>", ("<html>Bad gateway</html>", False)),
        (b"\xff\xfe not text", ("\ufffd\ufffd not text", False)),
    ],
)
async def test_an_answer_is_read_as_json_read_it(body, expected):
    assert await read_json(_Answer(body)) == expected  # type: ignore[arg-type]


async def test_nan_in_an_answer_is_read_as_json_reads_it():
    answer, is_json = await read_json(_Answer(b'{"score": NaN}'))  # type: ignore[arg-type]
    assert is_json and answer["score"] != answer["score"]
