import datetime as dt

import pytest

from bulkcontacts.config.mapping import MappingSpec
from bulkcontacts.contacts.duplicates import DuplicatePhones
from bulkcontacts.contacts.mapping import ContactMapper, Rejection
from bulkcontacts.errors import UsageError

COLUMNS = ["Phone", "First Name", "last_name", "email", "plan", "amount", "vip", "since", "tags", "segment"]


def mapper(columns=COLUMNS, **mapping):
    return ContactMapper(MappingSpec(**mapping), columns, "chan-1")


def row(**values):
    base = {
        "Phone": "+91 98765 43210",
        "First Name": "Zoë",
        "last_name": "D'Souza",
        "email": "zoe@example.com",
        "plan": "gold",
        "amount": "500",
        "vip": "yes",
        "since": "2024-05-08",
        "tags": "a, b,,a",
        "segment": "retail",
    }
    base.update(values)
    return base


def test_core_fields_found_by_header_name_and_the_rest_become_attributes():
    payload = mapper().map(row())
    assert payload == {
        "phone_number": 919876543210,
        "first_name": "Zoë",
        "last_name": "D'Souza",
        "email": "zoe@example.com",
        "full_name": "Zoë D'Souza",
        "integration_id": "chan-1",
        "plan": "gold",
        "amount": "500",
        "vip": "yes",
        "since": "2024-05-08",
        "segment": "retail",
        "tags": ["a", "b"],
    }


def test_types_rename_tag_columns_and_explicit_attribute_list():
    payload = mapper(
        custom_attributes=["amount", "vip", "since", "plan"],
        rename={"plan": "plan_status"},
        types={"amount": "number", "vip": "boolean", "since": "date"},
        tags={"column": "tags", "columns": ["segment"]},
    ).map(row())
    assert payload["amount"] == 500 and payload["vip"] is True and payload["since"] == "2024-05-08"
    assert payload["plan_status"] == "gold" and "plan" not in payload
    assert payload["tags"] == ["a", "b", "retail"]
    assert "segment" not in payload


def test_empty_cells_are_left_out():
    payload = mapper().map(row(email="", plan=None, tags="  "))
    assert "email" not in payload and "plan" not in payload and "tags" not in payload


def test_full_name_column_wins_over_first_and_last():
    columns = ["phone", "name", "first_name"]
    payload = ContactMapper(MappingSpec(), columns, "c").map({"phone": "9876543210", "name": "Ana", "first_name": "X"})
    assert payload["full_name"] == "Ana" and payload["first_name"] == "X"


def test_native_values_from_parquet_are_kept():
    columns = ["phone", "name", "joined", "score", "labels"]
    payload = ContactMapper(MappingSpec(tags={"column": "labels"}), columns, "c").map(
        {"phone": 919876543210, "name": "Ana", "joined": dt.date(2024, 1, 2), "score": 4.5, "labels": ["x", "y"]}
    )
    assert payload["phone_number"] == 919876543210 and payload["joined"] == "2024-01-02"
    assert payload["score"] == 4.5 and payload["tags"] == ["x", "y"]


@pytest.mark.parametrize(
    "changes, code, words",
    [
        ({"Phone": "12345"}, "bad_phone", "not a valid phone"),
        ({"Phone": "9.19877E+11"}, "bad_phone", "lost digits"),
        ({"First Name": "", "last_name": " "}, "no_name", "no name"),
        ({"email": "zoe.example.com"}, "bad_email", "not an email"),
    ],
)
def test_bad_rows_are_rejected_with_a_reason(changes, code, words):
    result = mapper().map(row(**changes))
    assert isinstance(result, Rejection) and result.code == code and words in result.reason


def test_a_bad_typed_value_rejects_the_row():
    result = mapper(types={"amount": "number"}).map(row(amount="five hundred"))
    assert isinstance(result, Rejection) and "'amount'" in result.reason


def test_repeated_phone_inside_the_file_is_rejected():
    duplicates = DuplicatePhones()
    m = mapper()
    assert not isinstance(duplicates.check(m.map(row())), Rejection)
    again = duplicates.check(m.map(row(Phone="098765 43210")))
    assert isinstance(again, Rejection) and again.code == "duplicate_in_file"


def test_missing_mapped_column_is_a_usage_error_naming_it():
    with pytest.raises(UsageError, match="column 'mobile' is not in the source"):
        mapper(phone_number="mobile")


def test_near_miss_column_name_is_suggested():
    with pytest.raises(UsageError, match="did you mean 'First Name'"):
        mapper(first_name="first name")


def test_no_phone_column_at_all():
    with pytest.raises(UsageError, match="no phone column"):
        ContactMapper(MappingSpec(), ["name", "email"], "c")


def test_attribute_clashing_with_a_core_field_is_refused():
    with pytest.raises(UsageError, match="core field"):
        ContactMapper(MappingSpec(email="mail"), ["phone", "name", "mail", "email"], "c")


def test_types_for_an_unknown_attribute_is_refused():
    with pytest.raises(UsageError, match="not a custom attribute"):
        mapper(types={"nope": "number"})


def test_phone_set_is_exact_through_growth():
    import random

    from bulkcontacts.contacts.duplicates import PhoneSet

    rng = random.Random(1)
    numbers = [rng.randrange(10**9, 10**15) for _ in range(50_000)]
    phones = PhoneSet(capacity=8)
    reference = set()
    for number in numbers + numbers[:1000]:
        assert phones.add(number) == (number not in reference)
        reference.add(number)
    assert len(phones) == len(reference)


@pytest.mark.parametrize("rows", [1_000, 4_097, 100_000])
def test_a_phone_set_sized_for_the_rows_holds_them_all_without_growing(rows):
    """Growing doubles the table and copies it: at a run's last row, that was its peak of memory."""
    import numpy as np

    from bulkcontacts.contacts.duplicates import PhoneSet, slots_for

    numbers = np.arange(10**11, 10**11 + rows, dtype=np.uint64)
    one_by_one, in_columns = PhoneSet(slots_for(rows)), PhoneSet(slots_for(rows))
    assert all(one_by_one.add(int(number)) for number in numbers)
    first = in_columns.add_many(np.concatenate([numbers[: rows // 2], numbers[: rows // 3], numbers[rows // 2 :]]))
    assert int(first.sum()) == rows == len(one_by_one) == len(in_columns)
    assert one_by_one._capacity == in_columns._capacity == slots_for(rows)  # never grown
    assert not one_by_one.add(int(numbers[-1])) and one_by_one.add(7) and one_by_one._capacity > slots_for(rows)


def test_add_many_is_exact_through_growth():
    import numpy as np

    from bulkcontacts.contacts.duplicates import PhoneSet

    rng = np.random.default_rng(3)
    numbers = rng.integers(1, 5_000, size=20_000).astype(np.uint64)
    phones, seen = PhoneSet(capacity=8), set()
    for part in np.array_split(numbers, 37):
        expected = []
        for number in part.tolist():
            expected.append(number not in seen)
            seen.add(number)
        assert phones.add_many(part).tolist() == expected
    assert len(phones) == len(seen)


def test_ignored_columns_never_become_attributes_and_a_missing_ignored_column_is_named():
    payload = mapper(ignore=["segment", "since"]).map(row())
    assert "segment" not in payload and "since" not in payload and payload["plan"] == "gold"
    with pytest.raises(UsageError, match=r"\[mapping\] ignore: column 'nope'"):
        mapper(ignore=["nope"])


def test_missing_name_can_fall_back_to_the_phone_number():
    nameless = row(**{"First Name": "", "last_name": ""})
    assert mapper().map(nameless).code == "no_name"
    assert mapper(missing_name="phone").map(nameless)["full_name"] == "+919876543210"


def test_a_rejected_csv_read_as_a_source_drops_its_outcome_columns_and_reads_json_tags():
    columns = ["row", "reason", "status", "phone", "name", "plan", "tags"]
    payload = ContactMapper(MappingSpec(), columns, "c").map(
        {
            "row": "7",
            "reason": "bad",
            "status": "400",
            "phone": "9876543210",
            "name": "Ana",
            "plan": "gold",
            "tags": '["x", "y, z"]',
        }
    )
    assert payload == {
        "phone_number": 919876543210,
        "full_name": "Ana",
        "integration_id": "c",
        "plan": "gold",
        "tags": ["x", "y, z"],
    }


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ({"tier": "gold", "since": 2020}, "holds an object"),
        (["a", 1], "holds a list with a number in it"),
        (["a", None], "holds a list with a null in it"),
        (["a", ["b"]], "holds a list with a list in it"),
        ([{"x": 1}], "holds a list with an object in it"),
    ],
)
def test_a_nested_attribute_value_from_jsonl_or_parquet_is_refused_naming_the_column_and_what_is_allowed(value, said):
    refused = mapper().map(row(plan=value))
    assert isinstance(refused, Rejection) and refused.code == "bad_value"
    assert refused.reason.startswith(f"column 'plan': {said}")
    assert "a custom attribute is text, a number, true/false or a list of text" in refused.reason
    assert "[mapping] ignore" in refused.reason


def test_a_list_of_text_is_a_custom_attribute_and_scalars_pass_as_they_are():
    payload = mapper().map(row(plan=[" gold ", "silver"], segment=3.5, vip=True))
    assert payload["plan"] == ["gold", "silver"] and payload["segment"] == 3.5 and payload["vip"] is True


def test_a_nested_value_is_never_written_as_its_python_form_in_a_text_field_or_a_tag():
    refused = mapper(types={"plan": "string"}).map(row(plan=["gold"]))
    assert isinstance(refused, Rejection) and "holds a list" in refused.reason and "['gold']" not in refused.reason
    tagged = mapper(tags={"columns": ["segment"]}).map(row(segment={"a": 1}))
    assert isinstance(tagged, Rejection) and tagged.reason.startswith("column 'segment' holds an object")
    assert "a tag is text" in tagged.reason
    assert mapper(tags={"columns": ["segment"]}).map(row(segment=["x", "y"]))["tags"][-2:] == ["x", "y"]
