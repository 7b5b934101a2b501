import pytest
from hypothesis import given
from hypothesis import strategies as st

from customers.cards import (
    CARD_PREFIX,
    ean13_check_digit,
    is_valid_card_number,
    random_card_number,
)


@pytest.mark.parametrize(
    "ean", ["4006381333931", "5901234123457", "9780306406157", "4600051000057", "0000000000000"]
)
def test_check_digit_of_known_ean13_numbers(ean):
    assert ean13_check_digit(ean[:12]) == ean[12]
    assert is_valid_card_number(ean)


@pytest.mark.parametrize("body", ["", "12345678901", "1234567890123", "12345678901a"])
def test_check_digit_needs_exactly_twelve_digits(body):
    with pytest.raises(ValueError):
        ean13_check_digit(body)


def test_random_card_numbers_are_valid_in_store_ean13():
    numbers = {random_card_number() for _ in range(500)}
    assert len(numbers) == 500
    for number in numbers:
        assert number.startswith(CARD_PREFIX)
        assert is_valid_card_number(number)


@given(
    body=st.text(alphabet="0123456789", min_size=12, max_size=12),
    position=st.integers(0, 12),
    shift=st.integers(1, 9),
)
def test_any_single_mistyped_digit_is_caught(body, position, shift):
    number = body + ean13_check_digit(body)
    digits = list(number)
    digits[position] = str((int(digits[position]) + shift) % 10)
    assert is_valid_card_number(number)
    assert not is_valid_card_number("".join(digits))


def test_an_enrolled_member_gets_a_valid_card(member):
    assert is_valid_card_number(member.card_number)
