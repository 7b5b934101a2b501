"""A fast path for the check bodies of quotes and purchases, with the serializers' exact result.

Validating a 3-line check through `CheckIn`/`PurchaseIn` cost more CPU than the rest of a quote
(DRF runs a dozen generic steps per field). Most checks are plain: ids as JSON integers, money
and quantities as decimal strings, short printable texts. `plain_check()` recognises exactly
such bodies and returns what the serializer would return for them; for anything else —
including every invalid body, numbers sent as JSON numbers, `occurred_at` — it returns None and
the caller validates with the serializer, which also words the errors. Every bound (lengths,
digits, ranges) is read from the serializer's own fields, so the two cannot drift apart;
tests/api/test_checks.py checks that they agree on generated bodies.
"""

import re
from decimal import Decimal

from api.serializers import PurchaseIn

# PurchaseIn is QuoteIn (CheckIn) plus the purchase's own fields: one set of bounds for both.
_FIELDS = PurchaseIn().fields
_LINES = _FIELDS["lines"]
_LINE = _LINES.child.fields


class _NotPlain(Exception):
    pass


def _integer(value, field) -> int:
    if type(value) is not int or not field.min_value <= value <= field.max_value:
        raise _NotPlain
    return value


def _text(value, field) -> str:
    # isprintable() is False for NUL, surrogates and other control characters: those go to
    # the serializer. What is left is stripped as CharField(trim_whitespace=True) does.
    if type(value) is not str or not value.isprintable():
        raise _NotPlain
    value = value.strip()
    if len(value) > field.max_length or (not field.allow_blank and not value):
        raise _NotPlain
    return value


class _Decimal:
    """A DecimalField's plain strings: at most its whole and decimal digits, no sign."""

    def __init__(self, field):
        whole = field.max_digits - field.decimal_places
        self.pattern = re.compile(rf"\d{{1,{whole}}}(?:\.\d{{1,{field.decimal_places}}})?")
        self.step = Decimal(1).scaleb(-field.decimal_places)

    def __call__(self, value) -> Decimal:
        if type(value) is not str or not self.pattern.fullmatch(value):
            raise _NotPlain
        return Decimal(value).quantize(self.step)


_DECIMALS = {name: _Decimal(_LINE[name]) for name in ("quantity", "price", "amount")}
_AMOUNT = _Decimal(_FIELDS["amount"])


def _line(raw) -> dict:
    if type(raw) is not dict:
        raise _NotPlain
    line = {"sku": _text(raw.get("sku"), _LINE["sku"])}
    for name in ("name", "category"):
        if name in raw:
            line[name] = _text(raw[name], _LINE[name])
    for name, parse in _DECIMALS.items():
        if name in raw:
            line[name] = parse(raw[name])
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
        result = {"member_id": _integer(data.get("member_id"), _FIELDS["member_id"])}
        if "lines" in data:
            lines = data["lines"]
            if type(lines) is not list or len(lines) > _LINES.max_length:
                raise _NotPlain
            result["lines"] = [_line(raw) for raw in lines]
        if "amount" in data:
            amount = data["amount"]
            result["amount"] = None if amount is None else _AMOUNT(amount)
        if "redeem_points" in data:
            result["redeem_points"] = _integer(data["redeem_points"], _FIELDS["redeem_points"])
        if purchase:
            if "occurred_at" in data or "confirmation" in data:
                raise _NotPlain  # parsing times and proofs is the serializer's job
            result["external_id"] = _text(data.get("external_id"), _FIELDS["external_id"])
            if "store_id" in data:
                store = data["store_id"]
                result["store_id"] = None if store is None else _integer(store, _FIELDS["store_id"])
    except _NotPlain:
        return None
    return result
