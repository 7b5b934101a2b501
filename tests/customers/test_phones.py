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
