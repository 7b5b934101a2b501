"""The campaign form of the back-office: plain fields for the common conditions, the effect's
line filter, the steps and the event parameters, compiled into the campaign's JSON — and read
back from it when the form opens. A condition tree the plain fields cannot show whole goes to
the "advanced" JSON field instead, so nothing is ever lost by opening and saving a campaign.
"""

import json
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaigns import conditions
from campaigns.models import Campaign
from campaigns.plain_fields import (
    CONDITION_FIELDS,
    LINE_FIELDS,
    PARAM_FIELDS,
    compile_conditions,
    compile_lines,
    compile_params,
    param_keys,
    parse_steps,
    plain_conditions,
    steps_text,
)
from campaigns.validation import CHALLENGE_GOALS, PROFILE_FIELDS
from customers.models import Member
from loyalty.models import Partner, Purchase, Store, Tier

# The goals of a challenge (validation.CHALLENGE_GOALS), as the form names them.
CHALLENGE_GOAL_LABELS = {
    "visits": _("N purchases"),
    "categories": _("purchases in N categories"),
    "weekly": _("a purchase every week"),
}

WEEKDAYS = [
    ("1", _("Monday")),
    ("2", _("Tuesday")),
    ("3", _("Wednesday")),
    ("4", _("Thursday")),
    ("5", _("Friday")),
    ("6", _("Saturday")),
    ("7", _("Sunday")),
]
CHANNELS = list(Purchase.Channel.choices)


class CampaignForm(forms.ModelForm):
    """A campaign with its JSON parts built from plain fields."""

    min_check_amount = forms.DecimalField(
        label=_("check from, ₽"),
        required=False,
        min_value=0,
        decimal_places=2,
        help_text=_("Only checks of at least this amount."),
    )
    required_skus = forms.CharField(
        label=_("SKUs on the check"),
        required=False,
        help_text=_("Separated by commas: the check must have a line of one of these SKUs…"),
    )
    required_categories = forms.CharField(
        label=_("categories on the check"),
        required=False,
        help_text=_("…or of one of these categories."),
    )
    tiers = forms.ModelMultipleChoiceField(
        label=_("tiers"),
        queryset=Tier.objects.order_by("min_spend"),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only members of these tiers; none ticked: every tier."),
    )
    min_member_days = forms.IntegerField(
        label=_("member for at least, days"), required=False, min_value=0, max_value=10**6
    )
    partners = forms.ModelMultipleChoiceField(
        label=_("partners"),
        queryset=Partner.objects.order_by("name"),
        required=False,
        help_text=_("Only purchases at these partners; none: every partner."),
    )
    stores = forms.ModelMultipleChoiceField(
        label=_("stores"),
        queryset=Store.objects.select_related("partner").order_by("partner__name", "name"),
        required=False,
        help_text=_("Only purchases in these stores; none: every store."),
    )
    channels = forms.MultipleChoiceField(
        label=_("channels"),
        choices=CHANNELS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every channel."),
    )
    weekdays = forms.MultipleChoiceField(
        label=_("days of week"),
        choices=WEEKDAYS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("In the program's time zone; none ticked: every day."),
    )
    time_from = forms.TimeField(
        label=_("hours from"), required=False, help_text=_("HH:MM, in the program's time zone.")
    )
    time_to = forms.TimeField(
        label=_("hours to"),
        required=False,
        help_text=_("HH:MM, not included; earlier than “from” runs past midnight."),
    )
    date_from = forms.DateField(label=_("dates from"), required=False, help_text=_("YYYY-MM-DD."))
    date_to = forms.DateField(
        label=_("dates to"), required=False, help_text=_("YYYY-MM-DD, included.")
    )
    first_purchase_only = forms.BooleanField(label=_("first purchase only"), required=False)
    conditions_json = forms.JSONField(
        label=_("advanced: conditions as JSON"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
        help_text=_(
            'Anything the fields above cannot say: <code>{"any": [...]}</code>, '
            '<code>{"not": ...}</code>, segments, birthdays… Applies together with the fields '
            "above. The condition language is described in <code>docs/CAMPAIGNS.md</code>."
        ),
    )

    lines_skus = forms.CharField(
        label=_("count only SKUs"),
        required=False,
        help_text=_("The effect counts only these lines (commas); empty: the whole check."),
    )
    lines_categories = forms.CharField(label=_("count only categories"), required=False)
    lines_exclude_skus = forms.CharField(label=_("do not count SKUs"), required=False)
    lines_exclude_categories = forms.CharField(label=_("do not count categories"), required=False)
    steps_text = forms.CharField(
        label=_("steps"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 30}),
        help_text=_('For bigger checks, one step a line: "3000: 50" — from 3 000 ₽, 50 points.'),
    )

    param_days_before = forms.IntegerField(
        label=_("days before the birthday"), required=False, min_value=0, max_value=31
    )
    param_days_after = forms.IntegerField(
        label=_("days after the birthday"), required=False, min_value=0, max_value=31
    )
    param_every_years = forms.IntegerField(
        label=_("every N years of membership"), required=False, min_value=1, max_value=50
    )
    param_referrer_points = forms.IntegerField(
        label=_("points to the referrer"),
        required=False,
        min_value=0,
        help_text=_("Referral: given after the referee's first purchase."),
    )
    param_max_per_referrer = forms.IntegerField(
        label=_("referrals rewarded per referrer, at most"), required=False, min_value=1
    )
    param_goal = forms.ChoiceField(
        label=_("challenge goal"),
        required=False,
        choices=[("", "—")] + [(goal, CHALLENGE_GOAL_LABELS[goal]) for goal in CHALLENGE_GOALS],
        help_text=_(
            "N is the number in “challenge: how many”; a purchase every week counts the weeks "
            "in “challenge: weeks in a row”."
        ),
    )
    param_count = forms.IntegerField(
        label=_("challenge: how many"), required=False, min_value=1, max_value=1000
    )
    param_window_days = forms.IntegerField(
        label=_("challenge: within days"), required=False, min_value=1, max_value=366
    )
    param_weeks = forms.IntegerField(
        label=_("challenge: weeks in a row"), required=False, min_value=1, max_value=52
    )
    param_fields = forms.MultipleChoiceField(
        label=_("profile fields to fill"),
        required=False,
        choices=[(name, Member._meta.get_field(name).verbose_name) for name in PROFILE_FIELDS],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Profile completed: none ticked means all of them."),
    )

    class Meta:
        model = Campaign
        fields = (  # the JSON parts (conditions, lines, steps, params) come from fields above
            "code",
            "name",
            "description",
            "description_en",
            "kind",
            "state",
            "starts_at",
            "ends_at",
            "effect",
            "value",
            "per_amount",
            "bonus_lifetime_days",
            "activation_delay_days",
            "stacking_group",
            "exclusive",
            "priority",
            "max_points_per_check",
            "budget_points",
            "max_uses",
            "member_limit_day",
            "member_limit_month",
            "member_limit_total",
            "holdout_percent",
            "early_access_tiers",
            "early_access_days",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound:
            return
        instance = self.instance
        plain = plain_conditions(instance.conditions)
        if plain is None:
            self.initial["conditions_json"] = instance.conditions
        else:
            self.initial.update(plain)
        for key, name in LINE_FIELDS.items():
            self.initial[name] = ", ".join((instance.lines or {}).get(key, []))
        self.initial["steps_text"] = steps_text(instance.steps)
        for key, value in (instance.params or {}).items():
            if key in PARAM_FIELDS:
                self.initial[PARAM_FIELDS[key]] = value

    def clean_steps_text(self):
        return parse_steps(self.cleaned_data.get("steps_text", ""))

    def clean(self):
        data = super().clean()
        if (data.get("time_from") is None) != (data.get("time_to") is None):
            self.add_error("time_to", gettext("Give both hours, “from” and “to”."))
        elif data.get("time_from") is not None and data["time_from"] == data["time_to"]:
            self.add_error("time_to", gettext("“From” and “to” must differ."))
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", gettext("The last day is before the first one."))
        advanced = data.get("conditions_json")
        problems = conditions.validate(advanced)
        if problems:
            self.add_error("conditions_json", problems)
        plain_ok = not any(name in self.errors for name in CONDITION_FIELDS)
        if not problems and plain_ok:
            self.instance.conditions = compile_conditions(data, advanced or None)
        self.instance.lines = compile_lines(data)
        if "steps_text" in data:
            self.instance.steps = data["steps_text"]
        kind = data.get("kind") or self.instance.kind
        self.instance.params = compile_params(kind, data)
        return data

    def _error_field(self, key: str) -> str:
        """The form field that shows the model's errors about `key`."""
        kind = self.cleaned_data.get("kind") or self.instance.kind
        names = {
            "conditions": "conditions_json",
            "lines": "lines_skus",
            "steps": "steps_text",
            "params": next((PARAM_FIELDS[k] for k in param_keys(kind)), NON_FIELD_ERRORS),
        }
        name = names.get(key, key)
        return name if name in self.fields else NON_FIELD_ERRORS

    def _update_errors(self, errors):
        # Campaign.clean() names the model's JSON fields; show each on the plain field for it.
        if hasattr(errors, "error_dict"):
            remapped: dict[str, list] = {}
            for key, messages in errors.error_dict.items():
                name = self._error_field(key)
                if name != NON_FIELD_ERRORS and name in self.errors:
                    continue  # the field's own error says it better (the model saw old data)
                remapped.setdefault(name, []).extend(messages)
            errors = ValidationError(remapped)
        super()._update_errors(errors)


class PreviewForm(forms.Form):
    """One check of one member, to see what the campaign being edited would give on it."""

    member = forms.CharField(
        label=_("member's phone or card number"), max_length=32, required=False
    )
    total = forms.DecimalField(
        label=_("check total, ₽"), required=False, min_value=Decimal("0.01"), decimal_places=2
    )
    lines = forms.CharField(
        label=_("check lines"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 40}),
        help_text=_(
            "Or one line each: <code>SKU;category;amount</code>, "
            "e.g. <code>milk-1;dairy;250</code>."
        ),
    )
    moment = forms.DateTimeField(
        label=_("moment"), required=False, help_text=_("YYYY-MM-DD HH:MM; empty: now.")
    )
    partner = forms.ModelChoiceField(
        label=_("partner"), queryset=Partner.objects.order_by("name"), required=False
    )
    store = forms.ModelChoiceField(
        label=_("store"),
        queryset=Store.objects.select_related("partner").order_by("partner__name", "name"),
        required=False,
    )
    channel = forms.ChoiceField(
        label=_("channel"), choices=CHANNELS, initial=Purchase.Channel.TILL, required=False
    )

    def clean_lines(self):
        rows = []
        for number, raw in enumerate(self.cleaned_data.get("lines", "").splitlines(), start=1):
            if not raw.strip():
                continue
            parts = [part.strip() for part in raw.split(";")]
            try:
                if len(parts) != 3 or not parts[0]:
                    raise ValueError
                amount = Decimal(parts[2].replace(",", "."))
                if not amount.is_finite() or amount <= 0:
                    raise ValueError
            except (InvalidOperation, ValueError) as exc:
                raise ValidationError(
                    gettext('Line %(n)s: write "SKU;category;amount".') % {"n": number}
                ) from exc
            rows.append({"sku": parts[0], "category": parts[1], "amount": str(amount)})
        return rows

    def clean(self):
        data = super().clean()
        if not data.get("member"):
            self.add_error("member", gettext("Give the member's phone or card number."))
        if not data.get("lines") and data.get("total") is None and "lines" not in self.errors:
            self.add_error("total", gettext("Give the check total or its lines."))
        return data


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("JSON file"), required=False, help_text=_("As the “Export as JSON” action gives.")
    )
    payload = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        text = upload.read().decode("utf-8", errors="replace") if upload else data.get("payload")
        if not text:
            raise forms.ValidationError(gettext("Choose a file to import."))
        try:
            parsed = json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(gettext("The file is not valid JSON.")) from exc
        if not isinstance(parsed, dict):
            raise forms.ValidationError(gettext("The file must hold a JSON object."))
        data["parsed"], data["payload"] = parsed, text
        return data
