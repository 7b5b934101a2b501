"""Desk forms: they parse what the cashier typed; the services decide what is allowed."""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from core.errors import InvalidInput
from customers.login_throttle import ThrottledLoginMixin
from desk.access import is_desk_user
from desk.errors import CHECK_FIELDS, show_error
from loyalty.services.checks import parse_check

MAX_LINES = 20


class DeskLoginForm(ThrottledLoginMixin, AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "not_desk": _("This account cannot use the cashier desk."),
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not is_desk_user(user):
            raise forms.ValidationError(self.error_messages["not_desk"], code="not_desk")


class LookupForm(forms.Form):
    q = forms.CharField(
        label=_("Phone, card number or scan"),
        max_length=40,
        error_messages={"max_length": _("Enter only digits: a phone number or a card number.")},
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "off", "inputmode": "tel", "id": "q"}
        ),
    )


class EnrollForm(forms.Form):
    # The enrolment's Idempotency-Key: a double click shows the member enrolled by the first.
    token = forms.UUIDField(widget=forms.HiddenInput, required=False)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    consent = forms.BooleanField(label=_("The customer agrees"), required=False)


def new_token() -> str:
    return str(uuid.uuid4())


class CheckForm(forms.Form):
    """The check: a total, or lines (the total is then optional), and the points to redeem.

    The check's own fields are text as the cashier typed it: the one check parser
    (`loyalty.services.checks.parse_check`, the API's) reads them (`read_check`)."""

    token = forms.UUIDField(widget=forms.HiddenInput)
    total = forms.CharField(
        label=_("Check total, ₽"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    redeem_points = forms.CharField(
        label=_("Points to redeem"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    check_number = forms.CharField(
        label=_("Check number (optional)"),
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    confirmation_code = forms.CharField(
        label=_("Code from the member's SMS"),
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


LINE_CELLS = ("sku", "name", "quantity", "price")


class LineForm(forms.Form):
    """One row of the check's lines, as typed; a row left blank is no line."""

    sku = forms.CharField(label=_("SKU"), required=False)
    name = forms.CharField(label=_("Name"), required=False)
    quantity = forms.CharField(
        label=_("Qty"), required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    price = forms.CharField(
        label=_("Price, ₽"), required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    no_points = forms.BooleanField(label=_("No points"), required=False)

    @property
    def is_filled(self) -> bool:
        return any(self.cleaned_data.get(cell) for cell in LINE_CELLS)

    def as_line(self) -> dict:
        """The row as a line of a check body: its filled cells, and whether it earns points."""
        line = {cell: self.cleaned_data[cell] for cell in LINE_CELLS if self.cleaned_data[cell]}
        line["redeemable"] = not self.cleaned_data["no_points"]
        return line


LineFormSet = forms.formset_factory(LineForm, extra=4, max_num=MAX_LINES, validate_max=True)


def check_forms(data=None, *, token: str | None = None):
    """The check form and its lines, bound to `data` or blank with a fresh token."""
    if data is None:
        return CheckForm(initial={"token": token or new_token()}), LineFormSet(prefix="lines")
    return CheckForm(data), LineFormSet(data, prefix="lines")


@dataclass
class TypedCheck:
    """The check read from valid forms: `args` for quote_purchase / record_purchase (None when
    the parser refused it, its errors then on the forms), and the filled rows in the order
    the services number the lines (`lines.0.price` is the first filled row's price)."""

    args: dict | None
    rows: list[LineForm]


def read_check(form: CheckForm, lines: LineFormSet, *, member_id: int) -> TypedCheck:
    """Hand what the cashier typed to the API's check parser; its errors go onto the fields."""
    rows = [row for row in lines.forms if row.is_filled]
    body: dict = {"member_id": member_id}
    for name, field in (("amount", "total"), ("redeem_points", "redeem_points")):
        if form.cleaned_data[field]:
            body[name] = form.cleaned_data[field]
    if rows:
        body["lines"] = [row.as_line() for row in rows]
    try:
        data = parse_check(body, purchase=False)
    except InvalidInput as exc:
        show_error(form, exc, CHECK_FIELDS, lines=rows)
        return TypedCheck(None, rows)
    args = {
        "lines": data.get("lines") or None,
        "amount": data.get("amount"),
        "redeem_points": data.get("redeem_points", 0),
    }
    return TypedCheck(args, rows)


class RefundForm(forms.Form):
    """Refund a whole check, some of its lines (quantities), or an amount of goods value."""

    token = forms.UUIDField(widget=forms.HiddenInput)
    amount = forms.DecimalField(
        label=_("Or an amount of goods value, ₽"),
        required=False,
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )

    def __init__(self, *args, purchase_lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.purchase_lines = [line for line in purchase_lines if line.sku]
        for line in self.purchase_lines:
            self.fields[f"qty_{line.pk}"] = forms.DecimalField(
                label=line.name or line.sku,
                required=False,
                min_value=0,
                max_digits=12,
                decimal_places=3,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            )

    def line_fields(self):
        return [(line, self[f"qty_{line.pk}"]) for line in self.purchase_lines]

    def refund_input(self, *, whole: bool) -> dict | None:
        """lines / amount for refund_purchase; {} for the whole check; None if nothing chosen."""
        if whole:
            return {}
        lines = []
        for line in self.purchase_lines:
            qty = self.cleaned_data.get(f"qty_{line.pk}")
            if qty:
                lines.append({"sku": line.sku, "quantity": qty})
        amount = self.cleaned_data.get("amount")
        if lines and amount:
            self.add_error("amount", _("Choose lines or an amount, not both."))
            return None
        if lines:
            return {"lines": lines}
        if amount:
            return {"amount": amount}
        self.add_error(
            None, _("Enter quantities or an amount to refund, or refund the whole check.")
        )
        return None


class GuestCheckForm(forms.Form):
    """A sale without a card: the check total and its number. The token is the form's
    Idempotency-Key, so a second submit of the same form records nothing twice."""

    token = forms.UUIDField(widget=forms.HiddenInput)
    total = forms.CharField(
        label=_("Check total, ₽"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    check_number = forms.CharField(
        label=_("Check number"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def clean_total(self) -> str:
        # Tills and people write 1 249,90: the service reads 1249.90.
        return self.cleaned_data["total"].replace(" ", "").replace("\u00a0", "").replace(",", ".")


class CheckSearchForm(forms.Form):
    check = forms.CharField(
        label=_("Check number"),
        max_length=100,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )
