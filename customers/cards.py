"""Loyalty card numbers: EAN-13 in the in-store range (prefix 2x), printable as a barcode."""

import secrets

CARD_PREFIX = "27"


def ean13_check_digit(first12: str) -> str:
    """The EAN-13 check digit for 12 digits: weights 1,3,1,3… from the left, mod 10."""
    if len(first12) != 12 or not first12.isdigit():
        raise ValueError("EAN-13 needs exactly 12 digits before the check digit")
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def is_valid_card_number(number: str) -> bool:
    return len(number) == 13 and number.isdigit() and ean13_check_digit(number[:12]) == number[12]


def random_card_number() -> str:
    body = CARD_PREFIX + "".join(secrets.choice("0123456789") for _ in range(10))
    return body + ean13_check_digit(body)


def random_referral_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I look-alikes
    return "".join(secrets.choice(alphabet) for _ in range(8))
