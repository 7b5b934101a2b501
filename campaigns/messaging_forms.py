"""The back-office's forms for triggers: the trigger with its channels in order and its
parameters checked for its kind, a message template that must compile, the preview's member and
variables, and the report's period."""

import itertools

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaigns import trigger_params
from campaigns.models import MessageTemplate, Trigger
from campaigns.models.messaging import Channel
from campaigns.preview import find_member
from campaigns.templating import check_syntax
from customers.errors import DomainError

Kind = Trigger.Kind

CHANNEL_LABELS = dict(Channel.choices)
CHANNEL_ORDERS = [",".join(order) for order in itertools.permutations(Channel.values)]


class TriggerForm(forms.ModelForm):
    channels = forms.MultipleChoiceField(
        label=_("channels"),
        choices=Channel.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The channels this trigger may use."),
    )
    channel_order = forms.ChoiceField(
        label=_("try the channels in this order"),
        choices=[
            (order, " → ".join(str(CHANNEL_LABELS[c]) for c in order.split(",")))
            for order in CHANNEL_ORDERS
        ],
        help_text=_("The first ticked channel the member allows and can be reached by is used."),
    )

    class Meta:
        model = Trigger
        fields = (
            "code",
            "name",
            "kind",
            "topic",
            "enabled",
            "params",
            "channels",
            "segment",
            "campaign",
            "holdout_percent",
            "conversion_days",
            "send_at",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        saved = list(self.instance.channels or []) if self.instance.pk else []
        if saved:
            self.initial["channels"] = saved
            rest = [c for c in Channel.values if c not in saved]
            self.initial["channel_order"] = ",".join([*saved, *rest])

    def clean_params(self):
        params = self.cleaned_data.get("params")
        if params is None:
            params = {}
        if not isinstance(params, dict):
            raise ValidationError(_('Parameters are a JSON object, e.g. {"days": 3}.'))
        return params

    def clean(self):
        cleaned = super().clean()
        chosen = set(cleaned.get("channels") or ())
        order = (cleaned.get("channel_order") or ",".join(Channel.values)).split(",")
        cleaned["channels"] = [channel for channel in order if channel in chosen]
        kind = cleaned.get("kind") or self.instance.kind
        if kind and "params" in cleaned:
            for error in trigger_params.validate(kind, cleaned["params"]):
                self.add_error("params", error)
        if kind == Kind.BROADCAST:
            for name in ("segment", "send_at"):
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, gettext("A broadcast needs a segment and a send time."))
        return cleaned


class MessageTemplateForm(forms.ModelForm):
    """A template is saved only if it compiles: a broken one would fail at sending time."""

    class Meta:
        model = MessageTemplate
        fields = ("channel", "language", "subject", "text", "html")

    def clean(self):
        cleaned = super().clean()
        for name in ("subject", "text", "html"):
            error = check_syntax(cleaned.get(name) or "")
            if error:
                self.add_error(name, gettext("Template error: %(error)s") % {"error": error})
        return cleaned


class PreviewForm(forms.Form):
    """A real member and a saved template of the trigger, to see the message they would get."""

    member = forms.CharField(label=_("member's phone or card number"), max_length=32)
    channel = forms.ChoiceField(label=_("channel"), choices=Channel.choices)
    language = forms.ChoiceField(
        label=_("language"),
        choices=[("", _("the member's")), ("ru", "Русский"), ("en", "English")],
        required=False,
    )
    variables = forms.JSONField(
        label=_("the occasion's variables"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("What the trigger would find for this member; an example is filled in."),
    )

    def clean_variables(self):
        value = self.cleaned_data.get("variables") or {}
        if not isinstance(value, dict):
            raise ValidationError(_('Variables are a JSON object, e.g. {"days": 3}.'))
        return value

    def clean_member(self):
        number = self.cleaned_data["member"]
        try:
            return find_member(number)
        except DomainError as exc:
            raise ValidationError(str(exc.detail)) from exc


class ReportPeriodForm(forms.Form):
    first = forms.DateField(
        label=_("from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    last = forms.DateField(
        label=_("until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("first"), cleaned.get("last")
        if first and last and first > last:
            raise ValidationError(gettext("The period ends before it starts."))
        return cleaned
