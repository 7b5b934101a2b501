"""Phone numbers: one notation (E.164) for storage and lookup, masked for display."""

import functools

import phonenumbers

from customers.errors import InvalidPhone

DEFAULT_REGION = "RU"


def normalize_phone(raw: str, *, region: str = DEFAULT_REGION) -> str:
    """Return the E.164 form of `raw` (``8 (912) 345-67-89`` → ``+79123456789``).

    Raises InvalidPhone when the text is not a valid phone number.
    """
    text = (raw or "").strip()
    if not text or len(text) > 32:
        raise InvalidPhone()
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone() from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhone()
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@functools.lru_cache(maxsize=4096)
def mask_phone(e164: str) -> str:
    """Show only the last four digits: ``+79123456789`` → ``+7 *** ***-67-89``.

    Remembered: masking runs on every member read (API, desk) and a parse costs ~12 µs."""
    try:
        parsed = phonenumbers.parse(e164, None)
        country = f"+{parsed.country_code}"
        national = str(parsed.national_number)
    except phonenumbers.NumberParseException:
        country, national = "", e164[-4:]
    tail = national[-4:]
    return f"{country} *** ***-{tail[:2]}-{tail[2:]}"


def display_phone(e164: str) -> str:
    """A stored phone as people write it: ``+79031000003`` → ``+7 903 100-00-03``."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
