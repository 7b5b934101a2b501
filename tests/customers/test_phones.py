import pytest

from customers.errors import InvalidPhone
from customers.models import Member
from customers.phones import mask_phone, normalize_phone
from tests.factories import make_member


@pytest.mark.parametrize(
    "raw",
    [
        "8 (912) 345-67-89",
        "+7 912 345 67 89",
        "89123456789",
        "+79123456789",
        "7 912 345-67-89",
        "(912) 345-67-89",
        " 8-912-345-67-89 ",
    ],
)
def test_russian_notations_are_one_number_in_e164(raw):
    assert normalize_phone(raw) == "+79123456789"


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "12345", "+7 912 345 67 8", "8 (912) 345-67-89-00", "phone", "+7" + "9" * 40],
)
def test_malformed_phones_are_refused(raw):
    with pytest.raises(InvalidPhone) as exc:
        normalize_phone(raw)
    assert exc.value.code == "invalid_phone"


def test_joining_with_a_malformed_phone_saves_nothing(db, now):
    with pytest.raises(InvalidPhone):
        make_member(phone="8 (912) 345", now=now)
    assert not Member.objects.exists()


def test_a_masked_phone_shows_only_the_last_four_digits():
    assert mask_phone("+79123456789") == "+7 *** ***-67-89"


@pytest.mark.parametrize(
    ("e164", "shown"),
    [
        ("+79123456789", "+7 *** ***-67-89"),
        ("+78123456789", "+7 *** ***-67-89"),  # starts with the Russian national prefix 8
        ("+12025550123", "+1 *** ***-01-23"),
        ("+390612345678", "+39 *** ***-56-78"),  # an Italian leading zero
        ("+380441234567", "+380 *** ***-45-67"),
        ("+88212345678", "+882 *** ***-56-78"),  # a non-geographic code
        ("+390000000012", "+39 *** ***-12-"),  # the national number is an int: no zeros ahead
        ("+7912", "+7 *** ***-91-2"),
        ("phone", " *** ***-ho-ne"),
        ("", " *** ***--"),
    ],
)
def test_masks_of_numbers_from_several_countries_and_of_odd_text(e164, shown):
    assert mask_phone(e164) == shown
