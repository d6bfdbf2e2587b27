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


def rule_by_the_parser(text, region, policy="auto"):
    """The README's rule, written from its text with nothing but libphonenumber's parser: the oracle the
    quick checks (and, through them, the column-wise path) are held to. "ambiguous" for strict's refusal."""
    import re

    from phonenumbers import PhoneMetadata

    digits = re.sub(r"[\s\-.()/]", "", text)
    if digits.startswith("+"):
        return _by_parser(digits, None)
    if not digits.isdigit():
        return None
    metadata = PhoneMetadata.metadata_for_region(region)
    idd = re.match(f"(?:{metadata.international_prefix})", digits) or re.match("00", digits)
    if idd and digits[idd.end() : idd.end() + 1] not in ("", "0"):
        return _by_parser("+" + digits[idd.end() :], None)
    if metadata.national_prefix and digits.startswith(metadata.national_prefix):
        return _by_parser(digits, region)
    as_international, as_national = _by_parser("+" + digits, None), _by_parser(digits, region)
    if not text.strip().isdigit() and not str(as_international).startswith(str(metadata.country_code)):
        as_international = None  # grouped as a national number: no other country's reading
    if policy == "international":
        return as_international or as_national
    if policy == "national":
        return as_national or as_international
    if as_international and str(as_international).startswith(str(metadata.country_code)):
        return as_international
    if policy == "strict" and as_national and as_international and as_national != as_international:
        return "ambiguous"
    return as_national or as_international


SHAPES = [
    "+{cc} {n}",
    "+{cc}{n}",
    "0{n}",
    "{n}",
    "{cc}{n}",
    "{cc}0{n}",
    "00{cc} {n}",
    "011{cc} {n}",
    "({n3}) {rest}",
    "+{cc} (0){n}",
    "{n3}-{rest}",
    "0{n}0",
    "1{n}",
    "8{n}",
    "+{cc}-{n3}-{rest}",
    "+{cc} {n3}+{rest}",
]


@pytest.mark.parametrize("policy", ["auto", "international", "national", "strict"])
def test_the_rule_agrees_with_the_rule_written_with_the_full_parser_everywhere(policy):
    import random

    import phonenumbers

    from bulkcontacts.contacts.phones import AmbiguousPhone

    rng = random.Random(3)
    valid = ambiguous = 0
    for _ in range(3000):
        region = rng.choice(["IN", "US", "GB", "DE", "IT", "BR", "AE", "SG", "FR", "AU", "RU", "MX", "AR", "JP", "CN"])
        cc = rng.choice([91, 1, 44, 49, 39, 55, 971, 65, 33, 61, 7, 52, 54, 81, 86])
        national = str(rng.choice("0123456789")) + "".join(rng.choice("0123456789") for _ in range(rng.randint(6, 11)))
        if rng.random() < 0.6:  # mostly real-looking numbers
            example = phonenumbers.example_number_for_type(rng.choice([region, "IN", "DE", "US"]), rng.choice([0, 1]))
            cc = example.country_code
            digits = phonenumbers.national_significant_number(example)
            national = digits[:-4] + "".join(rng.choice("0123456789") for _ in range(4))
        text = rng.choice(SHAPES).format(cc=cc, n=national, n3=national[:3], rest=national[3:])
        expected = rule_by_the_parser(text, region, policy)
        try:
            got = normalize_phone(text, region, policy)
        except AmbiguousPhone:
            got = "ambiguous"
        except PhoneError:
            got = None
        assert got == expected, (text, region)
        valid += got is not None
        ambiguous += got == "ambiguous"
    assert valid > 1000  # the corpus exercises acceptance, not only rejection
    assert policy != "strict" or ambiguous > 10


@pytest.mark.parametrize(
    "written, region, expected",
    [
        ("4915123456789", "DE", 4915123456789),  # +49 15123456789: "+" dropped
        ("919876543210", "IN", 919876543210),
        ("01512 3456789", "DE", 4915123456789),  # trunk prefix: national
        ("0049 1512 3456789", "DE", 4915123456789),  # international prefix
        ("011 49 1512 3456789", "US", 4915123456789),  # the US's own international prefix
        ("1 (650) 253-0000", "US", 16502530000),  # the US trunk prefix
        ("4,915123456789E+12", "DE", 4915123456789),  # Excel's scientific notation, decimal comma
        ("447911123456", "IN", 447911123456),  # a foreign number without "+": only the international reading
    ],
)
def test_the_rule_reads_what_people_write(written, region, expected):
    assert normalize_phone(written, region) == expected


def test_digits_valid_both_ways_are_ambiguous_and_the_policy_decides():
    from bulkcontacts.contacts.phones import AmbiguousPhone, read_phone

    reading = read_phone("919876543210", "DE")  # a German number, or an Indian one without its "+"
    assert reading.number == 49919876543210 and reading.other == 919876543210
    assert normalize_phone("919876543210", "DE", "international") == 919876543210
    assert normalize_phone("919876543210", "DE", "national") == 49919876543210
    with pytest.raises(AmbiguousPhone, match=r"\+49 .* in DE or as \+91 98765 43210.*phone_without_plus") as refused:
        normalize_phone("919876543210", "DE", "strict")
    assert refused.value.code == "ambiguous_phone"
    # Written with a national grouping, the same digits are a national number without doubt.
    assert read_phone("9198 7654 3210", "DE", "strict") == read_phone("9198 7654 3210", "DE")
    assert read_phone("(203) 719-1483", "US").other is None  # not +20 3 7191483 (Egypt)


def test_scientific_notation_with_a_decimal_comma_that_lost_digits_says_so():
    with pytest.raises(PhoneError, match="lost digits"):
        normalize_phone("4,91701E+11", "DE")


def test_the_first_valid_number_of_several_cells_and_values_wins():
    from bulkcontacts.contacts.phones import first_valid

    cells = ["", "12 ::: +1 650-555-0100 ::: +1 650-555-0199", "+1 650-555-0111"]
    assert first_valid(cells, "US", "auto", " ::: ").number == 16505550100
    with pytest.raises(PhoneError, match="'12' is not a valid"):
        first_valid(["12", None, "abc"], "US", "auto", " ::: ")
    with pytest.raises(PhoneError, match="empty"):
        first_valid(["", None, "  "], "US", "auto", " ::: ")


def test_the_python_rules_are_libphonenumbers_for_every_code():
    """``phone_rules.python_rule`` (what the column-wise path asks for rare country codes) against
    ``phonenumbers.is_valid_number``, non-geographic codes (+800, +881, …) included."""
    import random

    import phonenumbers

    from bulkcontacts.contacts.phone_rules import python_rule

    rng = random.Random(5)
    codes = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
    valid = 0
    for _ in range(15_000):
        code = rng.choice(codes)
        rule = python_rule(code)
        assert rule is not None, code
        region = phonenumbers.region_code_for_country_code(code)
        example = (
            phonenumbers.example_number_for_non_geo_entity(code)
            if region == "001"
            else phonenumbers.example_number_for_type(region, rng.choice([0, 1]))
        )
        if example is not None and rng.random() < 0.7:
            national = str(example.national_number)[:-3] + "".join(rng.choice("0123456789") for _ in range(3))
        else:
            national = str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(rng.randint(3, 12)))
        number = phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
        expected = phonenumbers.is_valid_number(number)
        assert rule(national) == expected, (code, national)
        valid += expected
    assert valid > 4_000
