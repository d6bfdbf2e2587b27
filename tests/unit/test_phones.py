import pytest

from bulkcontacts.phones import PhoneError, normalize_phone


@pytest.mark.parametrize("written", [
    "+91 98765-43210", "098765 43210", "(+91) 98765 43210", "9876543210", "919876543210", "+919876543210",
    "0091 98765 43210", "9.19876543210E+11", 919876543210, 919876543210.0, " 98765.43210 ",
])
def test_ways_of_writing_one_indian_mobile(written):
    assert normalize_phone(written, "IN") == 919876543210


def test_other_country_with_plus_keeps_its_code():
    assert normalize_phone("+1 415 555 2671", "IN") == 14155552671


def test_default_region_decides_a_national_number():
    assert normalize_phone("(415) 555-2671", "US") == 14155552671


def test_scientific_notation_that_lost_digits_is_rejected_with_the_reason():
    with pytest.raises(PhoneError, match="lost digits"):
        normalize_phone("9.19877E+11", "IN")


@pytest.mark.parametrize("bad, why", [
    ("12345", "not a valid phone"), ("not a phone", "characters"), ("", "empty"), (None, "empty"),
    ("98765x43210", "characters"), (True, "boolean"), (9.5, "whole number"), ("+91 01234 56789", "not a valid"),
])
def test_what_is_not_a_phone_is_rejected(bad, why):
    with pytest.raises(PhoneError, match=why):
        normalize_phone(bad, "IN")
