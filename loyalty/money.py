"""Money and points arithmetic: one place for rounding and for splitting across lines."""

import calendar
import datetime as dt
from decimal import ROUND_DOWN, Decimal, InvalidOperation

CENT = Decimal("0.01")


def to_kopecks(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def from_kopecks(kopecks: int) -> Decimal:
    return (Decimal(kopecks) / 100).quantize(CENT)


def parse_money(value) -> Decimal:
    """A money amount with at most 2 decimal places; ValueError otherwise."""
    if isinstance(value, float):
        value = repr(value)
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValueError("not a number") from exc
    if not amount.is_finite():
        raise ValueError("not a number")
    if amount != amount.quantize(CENT):
        raise ValueError("more than 2 decimal places")
    return amount.quantize(CENT)


def floor_points(amount: Decimal, per_point: Decimal) -> int:
    """Whole points for `amount` at `per_point` ₽ each, rounded down."""
    if amount <= 0:
        return 0
    return int((amount / per_point).to_integral_value(rounding=ROUND_DOWN))


def split_proportionally(total: int, weights: list[int]) -> list[int]:
    """Split the integer `total` in proportion to `weights` by the largest-remainder method.

    The shares sum to `total` exactly; a zero weight gets zero; while total <= sum(weights) no
    share exceeds its weight. Ties go to the earlier position.
    """
    if total < 0 or any(w < 0 for w in weights):
        raise ValueError("total and weights must not be negative")
    weight_sum = sum(weights)
    if total == 0 or weight_sum == 0:
        if total and not weight_sum:
            raise ValueError("cannot split a positive total over zero weights")
        return [0] * len(weights)
    shares = [total * w // weight_sum for w in weights]
    remainders = [total * w % weight_sum for w in weights]
    leftover = total - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:leftover]:
        shares[i] += 1
    return shares


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, clamped to the month's last day (31 Aug + 6 → 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
