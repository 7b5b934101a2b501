"""A check as the services see it: validated lines with money as Decimal, before any write."""

import datetime as dt
import decimal
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from core.errors import InvalidInput
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
        prefix = f"lines.{i}"  # the API's `fields` keys: lines.0.price
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
        if raw.get("price") is None and raw.get("amount") is None:
            raise _bad(f"{prefix}.price", _("Each line needs a price or an amount."))
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


# --- the check body of a quote or a purchase -----------------------------------------------------
# One parser for the partner API's quote and purchase bodies (and whoever sends a check as
# JSON-like data). The API's serializers (api/serializers.py CheckIn/PurchaseIn) only document
# the body in OpenAPI; this is where it is validated. Its messages, `fields` keys and results are
# those of the documented fields (DRF's wording, so DRF's translations apply) — tests/api/
# test_checks.py proves that on generated bodies. Plain Python: a 3-line check parses in
# microseconds, which the hot paths need.
MAX_ID = 2**63 - 1
MAX_REDEEM_POINTS = 10**9
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
_NULL = object()  # "the key is absent"
_INT_TAIL = re.compile(r"\.0*\s*$")


class _Invalid(Exception):
    def __init__(self, *messages):
        self.messages = list(messages)


def _slow_integer(value, low: int, high: int) -> int:
    if isinstance(value, str) and len(value) > 1000:
        raise _Invalid(_("String value too large."))
    try:
        number = int(_INT_TAIL.sub("", str(value)))
    except (ValueError, TypeError) as exc:
        raise _Invalid(_("A valid integer is required.")) from exc
    if number > high:
        raise _Invalid(
            _("Ensure this value is less than or equal to {max_value}.").format(max_value=high)
        )
    if number < low:
        raise _Invalid(
            _("Ensure this value is greater than or equal to {min_value}.").format(min_value=low)
        )
    return number


def _slow_text(value, max_length: int, allow_blank: bool) -> str:
    if value == "" or str(value).strip() == "":
        if not allow_blank:
            raise _Invalid(_("This field may not be blank."))
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _Invalid(_("Not a valid string."))
    value = str(value).strip()
    problems = []
    if len(value) > max_length:
        problems.append(
            _("Ensure this field has no more than {max_length} characters.").format(
                max_length=max_length
            )
        )
    if "\x00" in value:
        problems.append(_("Null characters are not allowed."))
    for char in value:
        if 0xD800 <= ord(char) <= 0xDFFF:
            problems.append(
                _("Surrogate characters are not allowed: U+{code_point:X}.").format(
                    code_point=ord(char)
                )
            )
            break
    if problems:
        raise _Invalid(*problems)
    return value


def _slow_decimal(value, max_digits: int, places: int) -> Decimal:
    text = str(value).strip()
    if len(text) > 1000:
        raise _Invalid(_("String value too large."))
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise _Invalid(_("A valid number is required.")) from exc
    if not number.is_finite():
        raise _Invalid(_("A valid number is required."))
    _sign, digits, exponent = number.as_tuple()
    if exponent >= 0:
        total, whole, decimals = len(digits) + exponent, len(digits) + exponent, 0
    elif len(digits) > -exponent:
        total, whole, decimals = len(digits), len(digits) + exponent, -exponent
    else:
        total, whole, decimals = -exponent, 0, -exponent
    if total > max_digits:
        raise _Invalid(
            _("Ensure that there are no more than {max_digits} digits in total.").format(
                max_digits=max_digits
            )
        )
    if decimals > places:
        raise _Invalid(
            _("Ensure that there are no more than {max_decimal_places} decimal places.").format(
                max_decimal_places=places
            )
        )
    if whole > max_digits - places:
        raise _Invalid(
            _(
                "Ensure that there are no more than {max_whole_digits} digits before the decimal "
                "point."
            ).format(max_whole_digits=max_digits - places)
        )
    context = decimal.getcontext().copy()
    context.prec = max_digits
    return number.quantize(Decimal(".1") ** places, context=context)


# Each field's parser: the usual value (a JSON integer, a printable string, a plain decimal
# string) is taken on a short path; anything else goes the long way, which words the errors.
def _integer(low: int, high: int):
    def parse(value) -> int:
        if type(value) is int and low <= value <= high:
            return value
        return _slow_integer(value, low, high)

    return parse


def _text(max_length: int, *, allow_blank: bool = False):
    def parse(value) -> str:
        if type(value) is str and value.isprintable():
            stripped = value.strip()
            if stripped and len(stripped) <= max_length:
                return stripped
        return _slow_text(value, max_length, allow_blank)

    return parse


def _decimal(max_digits: int, places: int):
    plain = re.compile(rf"\d{{1,{max_digits - places}}}(?:\.\d{{1,{places}}})?").fullmatch
    step = Decimal(1).scaleb(-places)

    def parse(value) -> Decimal:
        if type(value) is str and plain(value):
            return Decimal(value).quantize(step)
        return _slow_decimal(value, max_digits, places)

    return parse


_TRUE = {"t", "y", "yes", "true", "on", "1", 1}
_FALSE = {"f", "n", "no", "false", "off", "0", 0}


def _boolean(value) -> bool:
    key = value.lower() if isinstance(value, str) else value
    try:
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
    except TypeError:  # unhashable: a list or an object
        pass
    raise _Invalid(_("Must be a valid boolean."))


def _moment(value) -> dt.datetime:
    parsed = None
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
    if parsed is None:
        raise _Invalid(
            _("Datetime has wrong format. Use one of these formats instead: {format}.").format(
                format="YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]"
            )
        )
    zone = timezone.get_current_timezone()
    if timezone.is_aware(parsed):
        try:
            parsed = parsed.astimezone(zone)
        except OverflowError as exc:
            raise _Invalid(_("Datetime value out of range.")) from exc
    else:
        parsed = timezone.make_aware(parsed, zone)
    if parsed < EARLIEST:
        raise _Invalid(_("The purchase time is too far in the past."))
    return parsed


def _total(value) -> Decimal | None:
    # A blank total counts as no total, as for any money field that may be null.
    if type(value) is not str or value.strip():
        return _money_field(value)
    return None


def _not_a_dict(value) -> dict:
    message = _("Invalid data. Expected a dictionary, but got {datatype}.").format(
        datatype=type(value).__name__
    )
    return {"non_field_errors": [message]}


def _collect(data: dict, spec, prefix: str, errors: dict) -> dict:
    """The values of `spec`'s fields (name, parser, required, allow_null) found in `data`;
    each field's messages go to `errors` under `prefix + name`."""
    result = {}
    for name, parse, required, allow_null in spec:
        value = data.get(name, _NULL)
        if value is not _NULL and value is not None:
            try:
                result[name] = parse(value)
            except _Invalid as exc:
                errors[prefix + name] = exc.messages
        elif value is None:
            if allow_null:
                result[name] = None
            else:
                errors[prefix + name] = [_("This field may not be null.")]
        elif required:
            errors[prefix + name] = [_("This field is required.")]
    return result


_money_field = _decimal(12, 2)
_LINE = (
    ("sku", _text(64), True, False),
    ("name", _text(200, allow_blank=True), False, False),
    ("category", _text(100, allow_blank=True), False, False),
    ("quantity", _decimal(12, 3), False, False),
    ("price", _money_field, False, False),
    ("amount", _money_field, False, False),
    ("redeemable", _boolean, False, False),
)
_CONFIRMATION = (
    ("code", _text(12, allow_blank=True), False, False),
    ("qr", _text(40, allow_blank=True), False, False),
)
_ID = _integer(1, MAX_ID)
_REDEEM_POINTS = _integer(0, MAX_REDEEM_POINTS)
_EXTERNAL_ID = _text(100)


def _lines(value, errors: dict) -> list[dict]:
    if type(value) is not list:
        errors["lines.non_field_errors"] = [
            _('Expected a list of items but got type "{input_type}".').format(
                input_type=type(value).__name__
            )
        ]
        return []
    if len(value) > MAX_LINES:
        errors["lines.non_field_errors"] = [
            _("Ensure this field has no more than {max_length} elements.").format(
                max_length=MAX_LINES
            )
        ]
        return []
    lines = []
    for i, raw in enumerate(value):
        if type(raw) is dict:
            lines.append(_collect(raw, _LINE, f"lines.{i}.", errors))
        elif raw is None:
            errors[f"lines.{i}"] = [_("This field may not be null.")]
        else:
            errors[f"lines.{i}.non_field_errors"] = _not_a_dict(raw)["non_field_errors"]
    return lines


def parse_check(data, *, purchase: bool) -> dict:
    """The check body of a quote (or of a purchase when `purchase`) as validated data.

    A member id; lines (each a SKU with optional name, category, quantity, price, amount and
    redeemable flag; at most 500) and/or the check total as money with 2 decimals; points to
    redeem; an optional store id and channel (till, eshop, api). A purchase adds its check
    number (`external_id`), the time it was paid (not before 2000) and the member's proof of
    presence. Raises InvalidInput with
    every field's messages, keyed as the API's `fields`; unknown keys are ignored.
    """
    if data is None:
        raise InvalidInput(fields={"non_field_errors": [_("This field may not be null.")]})
    if type(data) is not dict:
        raise InvalidInput(fields=_not_a_dict(data))
    errors: dict[str, list[str]] = {}
    result = _collect(data, _QUOTE, "", errors)
    lines = data.get("lines", _NULL)
    if lines is None:
        errors["lines"] = [_("This field may not be null.")]
    elif lines is not _NULL:
        result["lines"] = _lines(lines, errors)
    if purchase:
        result.update(_collect(data, _PURCHASE, "", errors))
        confirmation = data.get("confirmation", _NULL)
        if confirmation is None:
            errors["confirmation"] = [_("This field may not be null.")]
        elif type(confirmation) is dict:
            result["confirmation"] = _collect(confirmation, _CONFIRMATION, "confirmation.", errors)
        elif confirmation is not _NULL:
            errors["confirmation.non_field_errors"] = _not_a_dict(confirmation)["non_field_errors"]
    if errors:
        raise InvalidInput(fields=errors)
    return result


CHANNELS = ("till", "eshop", "api")


def _channel(value) -> str:
    # As DRF's ChoiceField: any value whose text is one of the choices.
    text = str(value)
    if text in CHANNELS:
        return text
    raise _Invalid(_('"{input}" is not a valid choice.').format(input=value))


_QUOTE = (
    ("member_id", _ID, True, False),
    ("amount", _total, False, True),
    ("redeem_points", _REDEEM_POINTS, False, False),
    ("store_id", _ID, False, True),
    ("channel", _channel, False, False),
)
_PURCHASE = (
    ("external_id", _EXTERNAL_ID, True, False),
    ("occurred_at", _moment, False, False),
)
