"""Cabinet forms: they parse and check the shape of input; the rules stay in the services."""

import datetime as dt

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from customers.models import TIME_ZONES, NotificationPreference
from loyalty.models import LedgerEntry


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


# The days a period may start and end on: the program has no history before the first, and a
# day near the calendar's end (9999-12-31) has no next day to end the period with.
EARLIEST_DAY = dt.date(2000, 1, 1)
LATEST_DAY = dt.date(2099, 12, 31)


class PeriodDayField(forms.DateField):
    """A day that starts or ends a period of the history or the statement: between
    EARLIEST_DAY and LATEST_DAY."""

    default_error_messages = {"out_of_range": _("Enter a date between %(first)s and %(last)s.")}

    def __init__(self, **kwargs):
        attrs = {"min": EARLIEST_DAY.isoformat(), "max": LATEST_DAY.isoformat()}
        super().__init__(widget=DateInput(attrs=attrs), **kwargs)

    def validate(self, value):
        super().validate(value)
        if value is not None and not EARLIEST_DAY <= value <= LATEST_DAY:
            raise forms.ValidationError(
                self.error_messages["out_of_range"],
                code="out_of_range",
                params={
                    "first": date_format(EARLIEST_DAY, "SHORT_DATE_FORMAT"),
                    "last": date_format(LATEST_DAY, "SHORT_DATE_FORMAT"),
                },
            )


class LoginForm(forms.Form):
    target = forms.CharField(
        label=_("Phone or e-mail"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "inputmode": "email"}),
        help_text=_("We will send a one-time code there."),
    )


class JoinForm(forms.Form):
    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "tel", "inputmode": "tel", "placeholder": "+7 912 345-67-89"}
        ),
        help_text=_("We will send a one-time code in an SMS."),
    )
    first_name = forms.CharField(
        label=_("First name"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    email = forms.EmailField(
        label=_("E-mail"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    referral_code = forms.CharField(
        label=_("Referral code from a friend"),
        max_length=12,
        required=False,
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off"}),
    )
    personal_data = forms.BooleanField(
        label=_("I agree to the processing of my personal data (required to join)"),
        required=True,
        error_messages={
            "required": _("Consent to personal data processing is required to join the program.")
        },
    )
    marketing_sms = forms.BooleanField(
        label=_("Send me offers by SMS"), required=False, initial=False
    )
    marketing_email = forms.BooleanField(
        label=_("Send me offers by e-mail"), required=False, initial=False
    )


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Code"),
        regex=r"^\s*\d{6}\s*$",
        max_length=12,
        error_messages={"invalid": _("The code is 6 digits.")},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": r"\d{6}",
                "maxlength": "6",
                "autofocus": True,
            }
        ),
    )


class ProfileForm(forms.Form):
    first_name = forms.CharField(
        label=_("First name"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    email = forms.EmailField(
        label=_("E-mail"), required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    birth_date = forms.DateField(
        label=_("Birth date"),
        required=False,
        widget=DateInput(attrs={"autocomplete": "bday"}),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=TIME_ZONES,
        required=False,
        help_text=_("Messages never come at night by this clock."),
    )


class ImportantDateForm(forms.Form):
    label = forms.CharField(label=_("What is the date"), max_length=100)
    date = forms.DateField(label=_("Date"), widget=DateInput())
    yearly = forms.BooleanField(label=_("Every year"), required=False, initial=True)


class NotificationForm(forms.Form):
    """One checkbox per channel and kind, named `<channel>__<kind>`. A channel without the
    member's marketing consent shows its boxes off whatever was chosen before: nothing goes
    there until the consent is given (ticking a box gives it, campaigns.unsubscribe)."""

    def __init__(self, *args, choices: dict[tuple[str, str], bool], consented: set[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.consented = consented
        for (channel, kind), enabled in choices.items():
            self.fields[f"{channel}__{kind}"] = forms.BooleanField(
                label=f"{NotificationPreference.Kind(kind).label} — "
                f"{NotificationPreference.Channel(channel).label}",
                required=False,
                initial=enabled and channel in consented,
            )

    def channels(self):
        """[(channel, label, consent given?)] in the table's column order."""
        return [
            (channel.value, channel.label, channel.value in self.consented)
            for channel in NotificationPreference.Channel
        ]

    def rows(self):
        """[(kind label, [(channel label, bound field)])] for a kind × channel table."""
        result = []
        for kind in NotificationPreference.Kind:
            cells = [
                (channel.label, self[f"{channel.value}__{kind.value}"])
                for channel in NotificationPreference.Channel
            ]
            result.append((kind.label, cells))
        return result

    def choices(self) -> dict[tuple[str, str], bool]:
        return {
            tuple(name.split("__", 1)): bool(value) for name, value in self.cleaned_data.items()
        }


HISTORY_KINDS = {
    "earn": [LedgerEntry.Kind.EARN],
    "redeem": [LedgerEntry.Kind.REDEEM],
    "bonus": [LedgerEntry.Kind.BONUS],
    "expire": [LedgerEntry.Kind.EXPIRE],
    "adjust": [LedgerEntry.Kind.ADJUST],
    "refund": [LedgerEntry.Kind.REFUND_CLAWBACK, LedgerEntry.Kind.REFUND_RETURN],
}


class PeriodForm(forms.Form):
    date_from = PeriodDayField(label=_("From"), required=False)
    date_to = PeriodDayField(label=_("To"), required=False)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The period starts after it ends."))
        return data


class HistoryFilterForm(PeriodForm):
    kind = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            ("", _("Everything")),
            ("purchase", _("Purchases")),
            ("earn", _("Earned")),
            ("redeem", _("Redeemed")),
            ("bonus", _("Bonuses")),
            ("expire", _("Expired")),
            ("adjust", _("Adjustments")),
            ("refund", _("Refunds")),
        ],
    )


class StatementForm(PeriodForm):
    date_from = PeriodDayField(label=_("From"))
    date_to = PeriodDayField(label=_("To"))


class EraseForm(forms.Form):
    """The explicit confirmation a member gives before their data is erased."""

    confirm = forms.BooleanField(
        label=_(
            "I understand: my personal data will be erased, my card and points can no longer "
            "be used and I will not be able to log in."
        ),
        required=True,
    )
