"""Desk forms: they parse what the cashier typed; the services decide what is allowed."""

import uuid
from decimal import Decimal

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from customers.login_throttle import ThrottledLoginMixin
from desk.access import is_desk_user

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
    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    consent = forms.BooleanField(label=_("The customer agrees"), required=False)


def new_token() -> str:
    return str(uuid.uuid4())


class CheckForm(forms.Form):
    """The check: a total, or lines (the total is then optional), and the points to redeem."""

    token = forms.UUIDField(widget=forms.HiddenInput)
    total = forms.DecimalField(
        label=_("Check total, ₽"),
        required=False,
        max_digits=12,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    redeem_points = forms.IntegerField(
        label=_("Points to redeem"),
        required=False,
        min_value=0,
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


class LineForm(forms.Form):
    sku = forms.CharField(label=_("SKU"), required=False, max_length=64)
    name = forms.CharField(label=_("Name"), required=False, max_length=200)
    quantity = forms.DecimalField(
        label=_("Qty"),
        required=False,
        max_digits=12,
        decimal_places=3,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    price = forms.DecimalField(
        label=_("Price, ₽"),
        required=False,
        max_digits=12,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    no_points = forms.BooleanField(label=_("No points"), required=False)

    def clean(self):
        data = super().clean()
        filled = any(data.get(f) not in (None, "") for f in ("sku", "name", "quantity", "price"))
        if filled and not data.get("sku"):
            self.add_error("sku", _("Each line needs a SKU."))
        if filled and data.get("price") is None:
            self.add_error("price", _("Enter the price."))
        data["is_filled"] = filled
        return data

    def as_line(self) -> dict:
        data = self.cleaned_data
        return {
            "sku": data["sku"],
            "name": data["name"],
            "quantity": data["quantity"] if data["quantity"] is not None else 1,
            "price": data["price"],
            "redeemable": not data["no_points"],
        }


LineFormSet = forms.formset_factory(LineForm, extra=4, max_num=MAX_LINES, validate_max=True)


def check_forms(data=None, *, token: str | None = None):
    """The check form and its lines, bound to `data` or blank with a fresh token."""
    if data is None:
        return CheckForm(initial={"token": token or new_token()}), LineFormSet(prefix="lines")
    return CheckForm(data), LineFormSet(data, prefix="lines")


def check_input(form: CheckForm, lines: LineFormSet) -> dict:
    """The keyword arguments for quote_purchase / record_purchase from valid forms."""
    filled = [f.as_line() for f in lines.forms if f.cleaned_data.get("is_filled")]
    return {
        "lines": filled or None,
        "amount": form.cleaned_data["total"],
        "redeem_points": form.cleaned_data["redeem_points"] or 0,
    }


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


class CheckSearchForm(forms.Form):
    check = forms.CharField(
        label=_("Check number"),
        max_length=100,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )
