import pytest

from bulkcontacts.contacts.phones import PhoneError, normalize_phone


@pytest.mark.parametrize(
    "written",
    [
        "+91 98765-43210",
        "098765 43210",
        "(+91) 98765 43210",
        "9876543210",
        "919876543210",
        "+919876543210",
        "0091 98765 43210",
        "9.19876543210E+11",
        919876543210,
        919876543210.0,
        " 98765.43210 ",
    ],
)
def test_ways_of_writing_one_indian_mobile(written):
    assert normalize_phone(written, "IN") == 919876543210


def test_other_country_with_plus_keeps_its_code():
    assert normalize_phone("+1 415 555 2671", "IN") == 14155552671


def test_default_region_decides_a_national_number():
    assert normalize_phone("(415) 555-2671", "US") == 14155552671


def test_scientific_notation_that_lost_digits_is_rejected_with_the_reason():
    with pytest.raises(PhoneError, match="lost digits"):
        normalize_phone("9.19877E+11", "IN")


@pytest.mark.parametrize(
    "bad, why",
    [
        ("12345", "not a valid phone"),
        ("not a phone", "characters"),
        ("", "empty"),
        (None, "empty"),
        ("98765x43210", "characters"),
        (True, "boolean"),
        (9.5, "whole number"),
        ("+91 01234 56789", "not a valid"),
        ("+91 98765+43210", "not a phone number"),  # a second "+": refused, never a crash
        ("+9198765+43210", "not a phone number"),
    ],
)
def test_what_is_not_a_phone_is_rejected(bad, why):
    with pytest.raises(PhoneError, match=why):
        normalize_phone(bad, "IN")


def _by_parser(text, region):
    import phonenumbers

    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return int(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)[1:])


def test_quick_path_agrees_with_the_full_parser_everywhere():
    import random

    import phonenumbers

    rng = random.Random(3)
    shapes = [
        "+{cc} {n}",
        "+{cc}{n}",
        "0{n}",
        "{n}",
        "{cc}{n}",
        "00{cc} {n}",
        "({n3}) {rest}",
        "+{cc} (0){n}",
        "{n3}-{rest}",
        "0{n}0",
        "+{cc}-{n3}-{rest}",
        "+{cc} {n3}+{rest}",
    ]
    valid = 0
    for _ in range(4000):
        region = rng.choice(["IN", "US", "GB", "DE", "IT", "BR", "AE", "SG", "FR", "AU"])
        cc = rng.choice([91, 1, 44, 49, 39, 55, 971, 65, 33, 61, 7])
        national = str(rng.choice("0123456789")) + "".join(rng.choice("0123456789") for _ in range(rng.randint(6, 11)))
        if rng.random() < 0.6:  # mostly real-looking numbers of the region
            example = phonenumbers.example_number_for_type(region, rng.choice([0, 1]))
            cc = example.country_code
            digits = phonenumbers.national_significant_number(example)
            national = digits[:-4] + "".join(rng.choice("0123456789") for _ in range(4))
        text = rng.choice(shapes).format(cc=cc, n=national, n3=national[:3], rest=national[3:])
        expected = _by_parser(text, region)
        try:
            got = normalize_phone(text, region)
        except PhoneError:
            got = None
        assert got == expected, (text, region)
        valid += got is not None
    assert valid > 1000  # the corpus exercises acceptance, not only rejection
