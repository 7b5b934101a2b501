"""Program settings (one row), tiers (validated as a whole set) and the tier change log."""

from django import forms
from django.contrib import admin
from django.forms.models import BaseModelFormSet
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from customers.admin import MemberPrivacyMixin, PhoneSearchMixin, ReadOnlyMixin
from loyalty.admin.history import AuditHistoryMixin
from loyalty.errors import TierConfigInvalid
from loyalty.models import Program, Tier, TierChange
from loyalty.services.program import get_program
from loyalty.services.tiers import validate_tier_config


@admin.register(Program)
class ProgramAdmin(AuditHistoryMixin, admin.ModelAdmin):
    """The program's rules: a single row, never added or deleted; the list opens that row."""

    fieldsets = (
        (None, {"fields": ("name", "currency", "time_zone")}),
        (
            _("Points"),
            {
                "fields": (
                    "point_value",
                    "max_redeem_percent",
                    "points_lifetime_months",
                    "activation_delay_days",
                    "earn_on_redeemed",
                    "min_check_for_earning",
                    "refund_policy",
                )
            },
        ),
        (
            _("Tiers"),
            {"fields": ("tier_window_months", "tier_downgrade_policy", "tier_grace_days")},
        ),
        (_("Spending and partners"), {"fields": ("redeem_confirmation", "shares_members")}),
        (_("Campaigns"), {"fields": ("max_bonus_per_check",)}),
        (_("Manual adjustments"), {"fields": ("approval_threshold",)}),
        (_("Cashier desk"), {"fields": ("desk_lookups_per_minute",)}),
        (_("Texts"), {"fields": ("rules_text", "rules_text_en", "join_consent_text")}),
    )

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        program = get_program()
        return HttpResponseRedirect(reverse("admin:loyalty_program_change", args=[program.pk]))


TIER_FIELDS = (
    "code",
    "name",
    "name_en",
    "order",
    "min_spend",
    "rubles_per_point",
    "privileges",
    "privileges_en",
    "is_active",
)
LADDER_FIELDS = ("name", "order", "min_spend", "rubles_per_point", "is_active")


def check_ladder(edits: dict) -> tuple[list, TierConfigInvalid | None]:
    """Validate the active tiers as they would be with `edits` applied (tier pk → its new field
    values; the key None is a tier being added), ranked by their order.

    Returns the tier keys in the order validated and the service's error, if any.
    """
    rows = []
    for tier in Tier.objects.all():
        data = edits.get(tier.pk, {})
        rows.append((tier.pk, {f: data.get(f, getattr(tier, f)) for f in LADDER_FIELDS}))
    if None in edits:
        rows.append((None, {f: edits[None].get(f) for f in LADDER_FIELDS}))
    active = [(key, d) for key, d in rows if d["is_active"]]
    active.sort(key=lambda row: (row[1]["order"] or 0, row[1]["min_spend"] or 0))
    try:
        validate_tier_config(
            [(str(d["name"]), d["min_spend"], d["rubles_per_point"]) for _key, d in active]
        )
    except TierConfigInvalid as exc:
        return [key for key, _d in active], exc
    return [key for key, _d in active], None


def ladder_messages(exc: TierConfigInvalid) -> list[str]:
    return [str(m) for m in exc.extra.get("messages") or [exc.detail]]


class TierForm(forms.ModelForm):
    """A tier is saved only if the active tiers, with this change, still form a valid ladder:
    one starts at 0 ₽, thresholds increase with the order, every rate is above zero."""

    class Meta:
        model = Tier
        fields = TIER_FIELDS

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        key = self.instance.pk
        keys, exc = check_ladder({key: data})
        if exc is None:
            return data
        position = keys.index(key) if key in keys else None
        placed = set()
        for field in ("min_spend", "rubles_per_point"):
            for message in exc.fields.get(f"{position}.{field}", []):
                self.add_error(field, str(message))
                placed.add(str(message))
        rest = [m for m in ladder_messages(exc) if m not in placed]
        if rest:
            raise forms.ValidationError(rest, code="tier_config_invalid")
        return data


class TierListFormSet(BaseModelFormSet):
    """The editable tier list: the active tiers as they will be after the save, checked at once
    (so thresholds can be moved past each other in one save)."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        edits = {form.instance.pk: form.cleaned_data for form in self.forms if form.instance.pk}
        _keys, exc = check_ladder(edits)
        if exc is not None:
            raise forms.ValidationError(ladder_messages(exc), code="tier_config_invalid")


@admin.register(Tier)
class TierAdmin(AuditHistoryMixin, admin.ModelAdmin):
    form = TierForm
    list_display = (
        "code",
        "name",
        "min_spend",
        "rubles_per_point",
        "percent",
        "order",
        "is_active",
    )
    list_display_links = ("code", "name")
    list_editable = ("min_spend", "rubles_per_point", "order", "is_active")
    ordering = ("min_spend", "order")
    fields = TIER_FIELDS

    @admin.display(description=_("earn rate, %"))
    def percent(self, obj: Tier):
        return obj.percent

    def get_changelist_formset(self, request, **kwargs):
        kwargs["formset"] = TierListFormSet
        return super().get_changelist_formset(request, **kwargs)

    def has_delete_permission(self, request, obj=None) -> bool:
        # Accounts and history point at tiers; a tier leaves the ladder by being deactivated.
        return False


@admin.register(TierChange)
class TierChangeAdmin(ReadOnlyMixin, MemberPrivacyMixin, PhoneSearchMixin, admin.ModelAdmin):
    phone_lookup = "account__member__phone"
    member_id_attr = "account_id"
    list_display = (
        "created_at",
        "member",
        "from_tier",
        "to_tier",
        "reason",
        "qualifying_spend",
        "staff",
    )
    list_filter = ("reason", "to_tier")
    list_select_related = ("account__member", "from_tier", "to_tier", "staff")
    search_fields = ("=account__member__phone", "=account__member__card_number", "note")
    show_full_result_count = False
    readonly_fields = (
        "account",
        "from_tier",
        "to_tier",
        "reason",
        "note",
        "qualifying_spend",
        "staff",
        "created_at",
    )
    fields = readonly_fields

    @admin.display(description=_("member"), ordering="account__member__phone")
    def member(self, obj: TierChange):
        return obj.account.member
