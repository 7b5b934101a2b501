"""A fast path for the check bodies of quotes and purchases, with the serializers' exact result.

Validating a 3-line check through `CheckIn`/`PurchaseIn` cost more CPU than the rest of a quote
(DRF runs a dozen generic steps per field). Most checks are plain: ids as JSON integers, money
and quantities as decimal strings, short printable texts. `plain_check()` recognises exactly
such bodies and returns what the serializer would return for them; for anything else —
including every invalid body, numbers sent as JSON numbers, `occurred_at` — it returns None and
the caller validates with the serializer, which also words the errors. tests/api/test_checks.py
checks the two agree on generated bodies.
"""

import re
from decimal import Decimal

from loyalty.api.serializers import MAX_ID

_MONEY = re.compile(r"\d{1,10}(?:\.\d{1,2})?")  # max_digits=12, decimal_places=2
_QUANTITY = re.compile(r"\d{1,9}(?:\.\d{1,3})?")  # max_digits=12, decimal_places=3
_CENT = Decimal("0.01")
_MILLI = Decimal("0.001")
_MAX_LINES = 500
_MAX_POINTS = 10**9


class _NotPlain(Exception):
    pass


def _id(value, *, low: int = 1) -> int:
    if type(value) is not int or not low <= value <= MAX_ID:
        raise _NotPlain
    return value


def _text(value, max_length: int, *, blank: bool) -> str:
    # isprintable() is False for NUL, surrogates and other control characters: those go to
    # the serializer. What is left is stripped as CharField(trim_whitespace=True) does.
    if type(value) is not str or not value.isprintable():
        raise _NotPlain
    value = value.strip()
    if len(value) > max_length or (not blank and not value):
        raise _NotPlain
    return value


def _decimal(value, pattern: re.Pattern, step: Decimal) -> Decimal:
    if type(value) is not str or not pattern.fullmatch(value):
        raise _NotPlain
    return Decimal(value).quantize(step)


def _line(raw) -> dict:
    if type(raw) is not dict:
        raise _NotPlain
    line = {"sku": _text(raw.get("sku"), 64, blank=False)}
    for name, max_length in (("name", 200), ("category", 100)):
        if name in raw:
            line[name] = _text(raw[name], max_length, blank=True)
    if "quantity" in raw:
        line["quantity"] = _decimal(raw["quantity"], _QUANTITY, _MILLI)
    for name in ("price", "amount"):
        if name in raw:
            line[name] = _decimal(raw[name], _MONEY, _CENT)
    if "redeemable" in raw:
        if type(raw["redeemable"]) is not bool:
            raise _NotPlain
        line["redeemable"] = raw["redeemable"]
    return line


def plain_check(data, *, purchase: bool) -> dict | None:
    """The validated data of a plain check body (as QuoteIn, or PurchaseIn when `purchase`),
    or None: then validate it with the serializer."""
    try:
        if type(data) is not dict:
            raise _NotPlain
        result = {"member_id": _id(data.get("member_id"))}
        if "lines" in data:
            lines = data["lines"]
            if type(lines) is not list or len(lines) > _MAX_LINES:
                raise _NotPlain
            result["lines"] = [_line(raw) for raw in lines]
        if "amount" in data:
            amount = data["amount"]
            result["amount"] = None if amount is None else _decimal(amount, _MONEY, _CENT)
        if "redeem_points" in data:
            points = data["redeem_points"]
            if type(points) is not int or not 0 <= points <= _MAX_POINTS:
                raise _NotPlain
            result["redeem_points"] = points
        if purchase:
            if "occurred_at" in data:
                raise _NotPlain  # parsing times is the serializer's job
            result["external_id"] = _text(data.get("external_id"), 100, blank=False)
            if "store_id" in data:
                store = data["store_id"]
                result["store_id"] = None if store is None else _id(store)
    except _NotPlain:
        return None
    return result
