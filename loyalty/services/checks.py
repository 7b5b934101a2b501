"""A check as the services see it: validated lines with money as Decimal, before any write."""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from loyalty.errors import InvalidCheck
from loyalty.money import parse_money, to_kopecks

MAX_LINES = 500
MAX_AMOUNT = Decimal("99999999.99")


@dataclass(frozen=True)
class CheckLine:
    sku: str
    quantity: Decimal
    price: Decimal
    amount: Decimal
    name: str = ""
    category: str = ""
    redeemable: bool = True

    @property
    def kopecks(self) -> int:
        return to_kopecks(self.amount)


def _bad(field: str, message: str) -> InvalidCheck:
    return InvalidCheck(message, fields={field: [message]})


def _money(value, field: str, *, positive: bool = False) -> Decimal:
    try:
        amount = parse_money(value)
    except (ValueError, TypeError) as exc:
        raise _bad(field, _("Enter an amount in rubles with at most 2 decimals.")) from exc
    if amount < 0 or (positive and amount == 0):
        raise _bad(field, _("The amount must be greater than zero."))
    if amount > MAX_AMOUNT:
        raise _bad(field, _("The amount is too large."))
    return amount


def _quantity(value, field: str) -> Decimal:
    try:
        qty = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise _bad(field, _("Enter a quantity.")) from exc
    if not qty.is_finite() or qty <= 0 or qty != qty.quantize(Decimal("0.001")) or qty > 10**8:
        raise _bad(field, _("The quantity must be positive, with at most 3 decimals."))
    return qty


def build_check(lines: list[dict] | None = None, amount=None) -> list[CheckLine]:
    """Validate a check given as lines, as a total, or both (then they must agree).

    A check given only by its total becomes one redeemable line.
    """
    if not lines:
        if amount is None:
            raise _bad("amount", _("Give the check lines or its total amount."))
        total = _money(amount, "amount", positive=True)
        return [CheckLine(sku="", quantity=Decimal(1), price=total, amount=total)]
    if not isinstance(lines, list | tuple):
        raise _bad("lines", _("The check lines must be a list."))
    if len(lines) > MAX_LINES:
        raise _bad("lines", _("Too many lines in one check."))
    result = []
    for i, raw in enumerate(lines):
        prefix = f"lines[{i}]"
        if isinstance(raw, CheckLine):
            if raw.amount < 0 or raw.price < 0 or raw.quantity <= 0:
                raise _bad(prefix, _("The amount must be greater than zero."))
            result.append(raw)
            continue
        if not isinstance(raw, dict):
            raise _bad(prefix, _("Each line needs a SKU, a quantity and a price."))
        sku = str(raw.get("sku") or "").strip()
        if not sku:
            raise _bad(f"{prefix}.sku", _("Each line needs a SKU."))
        qty = _quantity(raw.get("quantity", 1), f"{prefix}.quantity")
        price = _money(raw.get("price", raw.get("amount")), f"{prefix}.price")
        line_amount = raw.get("amount")
        line_amount = (
            _money(line_amount, f"{prefix}.amount")
            if line_amount is not None
            else (price * qty).quantize(Decimal("0.01"))
        )
        redeemable = raw.get("redeemable", True)
        if not isinstance(redeemable, bool):
            raise _bad(f"{prefix}.redeemable", _("Must be true or false."))
        result.append(
            CheckLine(
                sku=sku[:64],
                quantity=qty,
                price=price,
                amount=line_amount,
                name=str(raw.get("name") or "")[:200],
                category=str(raw.get("category") or "")[:100],
                redeemable=redeemable,
            )
        )
    total = sum((line.amount for line in result), Decimal("0.00"))
    if total <= 0:
        raise _bad("lines", _("The check total must be greater than zero."))
    if total > MAX_AMOUNT:
        raise _bad("lines", _("The amount is too large."))
    if amount is not None and _money(amount, "amount", positive=True) != total:
        raise _bad("amount", _("The lines do not add up to the check total."))
    return result
