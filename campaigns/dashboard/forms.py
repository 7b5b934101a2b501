"""The dashboard's filter: a period (a preset or from/to), a partner and one of its stores."""

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from loyalty.models import Partner, Store

THIS_MONTH = "this_month"
LAST_MONTH = "last_month"
LAST_30_DAYS = "last_30_days"
THIS_QUARTER = "this_quarter"
THIS_YEAR = "this_year"
CUSTOM = "custom"

PRESETS = (
    (THIS_MONTH, _("This month")),
    (LAST_MONTH, _("Last month")),
    (LAST_30_DAYS, _("Last 30 days")),
    (THIS_QUARTER, _("This quarter")),
    (THIS_YEAR, _("This year")),
    (CUSTOM, _("Custom period")),
)

MAX_DAYS = 731
"""The longest custom period: two years of daily charts is already more than a screen shows."""


def preset_period(preset: str, *, today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of a preset period. "This" periods run up to today (month, quarter
    or year to date); "last month" is the whole previous calendar month; "last 30 days" ends
    today and includes it."""
    if preset == THIS_MONTH:
        return today.replace(day=1), today
    if preset == LAST_MONTH:
        last = today.replace(day=1) - dt.timedelta(days=1)
        return last.replace(day=1), last
    if preset == LAST_30_DAYS:
        return today - dt.timedelta(days=29), today
    if preset == THIS_QUARTER:
        return today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), today
    if preset == THIS_YEAR:
        return today.replace(month=1, day=1), today
    raise ValueError(f"not a preset period: {preset}")


class StoreChoiceField(forms.ModelChoiceField):
    """Stores named with their partner; each option carries its partner's id, so the page's
    script can offer only the stores of the chosen partner."""

    def label_from_instance(self, obj: Store) -> str:
        return str(obj)


class StoreSelect(forms.Select):
    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-partner"] = str(instance.partner_id)
        return option


def _date_input() -> forms.DateInput:
    # A browser's date input reads and writes ISO dates whatever the page's language.
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ScopeForm(forms.Form):
    """A partner and one of its stores, both optional (the whole program); the store list
    offers only the chosen partner's stores. `today` is the program's day."""

    partner = forms.ModelChoiceField(
        label=_("Partner"),
        queryset=Partner.objects.order_by("name"),
        required=False,
        empty_label=_("All partners"),
        error_messages={"invalid_choice": _("There is no such partner.")},
    )
    store = StoreChoiceField(
        label=_("Store"),
        queryset=Store.objects.select_related("partner").order_by("partner__name", "name"),
        required=False,
        empty_label=_("All stores"),
        widget=StoreSelect,
        error_messages={"invalid_choice": _("There is no such store at the chosen partner.")},
    )

    def __init__(self, *args, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        partner_id = self.data.get("partner") if self.is_bound else None
        if partner_id and str(partner_id).isdigit():
            field = self.fields["store"]
            field.queryset = field.queryset.filter(partner_id=int(partner_id))


class DashboardFilterForm(ScopeForm):
    """The period, partner and store the dashboard shows. Everything is optional: an empty form
    means this month for the whole program."""

    field_order = ["period", "start", "end", "partner", "store"]

    period = forms.ChoiceField(label=_("Period"), choices=PRESETS, required=False)
    start = forms.DateField(label=_("from"), required=False, widget=_date_input())
    end = forms.DateField(label=_("until"), required=False, widget=_date_input())

    def clean(self):
        cleaned = super().clean()
        dates_given = cleaned.get("start") or cleaned.get("end")
        preset = cleaned.get("period") or (CUSTOM if dates_given else THIS_MONTH)
        cleaned["period"] = preset
        if preset == CUSTOM:
            start, end = cleaned.get("start"), cleaned.get("end")
            if "start" in self.errors or "end" in self.errors:
                return cleaned
            if start is None or end is None:
                raise ValidationError(gettext("A custom period needs both dates: from and until."))
            if start > end:
                raise ValidationError(gettext("The period ends before it starts."))
            if end > self.today:
                raise ValidationError(gettext("The period cannot end after today."))
            if (end - start).days + 1 > MAX_DAYS:
                raise ValidationError(
                    ngettext(
                        "A period can be at most %(days)s day long.",
                        "A period can be at most %(days)s days long.",
                        MAX_DAYS,
                    )
                    % {"days": MAX_DAYS}
                )
        else:
            cleaned["start"], cleaned["end"] = preset_period(preset, today=self.today)
        store, partner = cleaned.get("store"), cleaned.get("partner")
        if store is not None and partner is None:
            cleaned["partner"] = store.partner
        return cleaned
