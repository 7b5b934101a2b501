"""Phone numbers: one notation (E.164) for storage and lookup, masked for display."""

import functools
import re

import phonenumbers
from phonenumbers import PhoneMetadata

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


def mask_phone(e164: str) -> str:
    """Show only the last four digits: ``+79123456789`` → ``+7 *** ***-67-89``.

    Masking is on every member read (API, desk), and a full phonenumbers.parse costs more than
    the rest of some of those reads. A stored number takes a short cut that comes to the same
    country code and national number; anything else is parsed (and remembered).
    """
    if type(e164) is not str:
        return _mask_parsed(e164)  # whatever parse makes of it, uncached
    split = _split_e164(e164)
    if split is None:
        return _mask_parsed_cached(e164)
    return _masked(*split)


def _masked(country: str, national: str) -> str:
    tail = national[-4:]
    return f"{country} *** ***-{tail[:2]}-{tail[2:]}"


def _mask_parsed(e164) -> str:
    try:
        parsed = phonenumbers.parse(e164, None)
        country = f"+{parsed.country_code}"
        national = str(parsed.national_number)
    except phonenumbers.NumberParseException:
        country, national = "", e164[-4:]
    return _masked(country, national)


_mask_parsed_cached = functools.lru_cache(maxsize=4096)(_mask_parsed)

# "+", then 8 to 15 ASCII digits without a leading zero: every number normalize_phone() stores.
_E164 = re.compile(r"\+([1-9][0-9]{7,14})")


def _split_e164(e164: str) -> tuple[str, str] | None:
    """("+<country code>", national number) as phonenumbers.parse(e164, None) reads them, or
    None when only a full parse can tell.

    For such a string, parse takes the shortest known country code (1–3 digits) and keeps the
    rest as the national number (an int, so without leading zeros) unless the region's national
    prefix pattern matches its start: then it may strip or rewrite it, and we leave it to parse.
    """
    match = _E164.fullmatch(e164)
    if match is None:
        return None
    digits = match[1]
    for size in (1, 2, 3):
        code = int(digits[:size])
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            break
    else:
        return None
    rest = digits[size:]
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(
        code, phonenumbers.region_code_for_country_code(code)
    )
    if metadata is None:
        return None
    prefix = metadata.national_prefix_for_parsing
    if prefix and re.match(prefix, rest):
        return None
    return f"+{code}", str(int(rest))
