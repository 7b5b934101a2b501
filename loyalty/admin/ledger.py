"""Accounts, their lots and ledger entries — read-only — and the two staff actions on an account:
a manual adjustment of points and pinning a tier, each with a required reason.

Lots and entries are written only by the loyalty services, so nothing here adds, changes or
deletes them; the account page shows the newest of them and links to the full lists.
"""

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from customers.admin import (
    MemberPrivacyMixin,
    PersonalDataExportMixin,
    PhoneSearchMixin,
    ReadOnlyMixin,
    add_domain_error,
)
from customers.errors import DomainError
from loyalty.admin.exports import StreamingExportMixin
from loyalty.admin.history import AdjustmentHistoryMixin
from loyalty.models import Account, LedgerEntry, PointLot, Tier
from loyalty.models.ledger import MEMBER_TEXT_LENGTH
from loyalty.models.purchases import rubles
from loyalty.resources import AccountResource
from loyalty.selectors import tier_progress
from loyalty.services import pin_tier
from loyalty.services.approvals import pending_adjustments, request_adjustment

INLINE_ROWS = 50


class NewestRowsFormSet(BaseInlineFormSet):
    """Shows only the first INLINE_ROWS rows, so a long history does not load in full."""

    def get_queryset(self):
        if not hasattr(self, "_newest"):
            self._newest = super().get_queryset()[:INLINE_ROWS]
        return self._newest


class LiveLotInline(ReadOnlyMixin, admin.TabularInline):
    model = PointLot
    formset = NewestRowsFormSet
    verbose_name_plural = _("points lots with points left (earliest expiry first)")
    fields = (
        "source",
        "points",
        "remaining",
        "is_pending",
        "available_at",
        "expires_at",
        "created_at",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).filter(remaining__gt=0).order_by("expires_at", "id")


class RecentEntryInline(ReadOnlyMixin, admin.TabularInline):
    model = LedgerEntry
    formset = NewestRowsFormSet
    verbose_name_plural = _("latest ledger entries")
    fields = (
        "created_at",
        "kind",
        "points",
        "pending_change",
        "reason",
        "purchase",
        "staff",
        "expires_at",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("purchase", "staff")
            .order_by("-created_at", "-id")
        )


class AdjustPointsForm(forms.Form):
    points = forms.IntegerField(
        label=_("points"),
        help_text=_(
            "Positive to add, negative to remove. "
            "Removed points leave the earliest-expiring lots first."
        ),
    )
    reason = forms.CharField(
        label=_("internal reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_(
            "For staff only: kept in the ledger with your name, in exports and in the audit; "
            "never shown to the member."
        ),
    )
    member_text = forms.CharField(
        label=_("text for the member"),
        max_length=MEMBER_TEXT_LENGTH,
        required=False,
        widget=forms.TextInput(attrs={"size": 60}),
        help_text=_(
            "Optional. Shown to the member in the history and the statement; without it they "
            "see “Added by the store” or “Removed by the store”."
        ),
    )


class PinTierForm(forms.Form):
    tier = forms.ModelChoiceField(
        label=_("tier"),
        queryset=Tier.objects.filter(is_active=True).order_by("min_spend"),
        required=False,
        empty_label=_("— no pin —"),
        help_text=_("The member never drops below a pinned tier. Leave empty to remove the pin."),
    )
    reason = forms.CharField(
        label=_("reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )


@admin.register(Account)
class AccountAdmin(
    AdjustmentHistoryMixin,
    StreamingExportMixin,
    MemberPrivacyMixin,
    PhoneSearchMixin,
    PersonalDataExportMixin,
    admin.ModelAdmin,
):
    member_id_attr = "pk"
    resource_classes = [AccountResource]
    stream_exports = ("liabilities", "liabilities-by-month")
    change_form_template = "admin/loyalty/account/change_form.html"
    list_display = (
        "member",
        "tier",
        "available",
        "pending",
        "debt",
        "lifetime_earned",
        "pinned_tier",
        "updated_at",
    )
    list_filter = ("tier", "pinned_tier")
    list_select_related = ("member", "tier", "pinned_tier")
    search_fields = ("=member__card_number", "member__email", "member__last_name")
    search_help_text = _("Phone in any notation, card number, e-mail or last name.")
    show_full_result_count = False
    readonly_fields = (
        "member_link",
        "available",
        "pending",
        "debt",
        "lifetime_earned",
        "tier",
        "tier_since",
        "below_tier_since",
        "pinned_tier",
        "progress",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("member_link",)}),
        (_("Balance"), {"fields": ("available", "pending", "debt", "lifetime_earned")}),
        (
            _("Tier"),
            {"fields": ("tier", "tier_since", "below_tier_since", "pinned_tier", "progress")},
        ),
        (None, {"fields": ("created_at", "updated_at")}),
    )
    inlines = [LiveLotInline, RecentEntryInline]

    @admin.display(description=_("member"))
    def member_link(self, obj: Account):
        url = reverse("admin:customers_member_change", args=[obj.member_id])
        return format_html('<a href="{}">{}</a>', url, obj.member)

    @admin.display(description=_("tier progress"))
    def progress(self, obj: Account):
        p = tier_progress(obj.member_id, now=timezone.now())
        spend = rubles(p.spend)
        if p.next_tier is None:
            return gettext("Qualifying spend %(spend)s ₽ (top tier).") % {"spend": spend}
        return gettext("Qualifying spend %(spend)s ₽; %(needed)s ₽ more to “%(next)s”.") % {
            "spend": spend,
            "needed": rubles(p.spend_needed),
            "next": p.next_tier.display_name,
        }

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("member", "tier", "pinned_tier")

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Every field is read-only: balances change only through the actions below.
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
            "pending_adjustments": (
                pending_adjustments(int(object_id)) if str(object_id).isdigit() else []
            ),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/adjust/",
                wrap(self.adjust_view),
                name="loyalty_account_adjust",
            ),
            path(
                "<path:object_id>/pin-tier/",
                wrap(self.pin_tier_view),
                name="loyalty_account_pin_tier",
            ),
            *super().get_urls(),
        ]

    def _account_for_action(self, request, object_id) -> Account:
        account = self.get_object(request, object_id)
        if account is None:
            raise Http404(gettext("No such account."))
        if not self.has_change_permission(request, account):
            raise PermissionDenied
        return account

    def _render_action(self, request, account, form, *, title, submit_label):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": account,
            "form": form,
            "title": title,
            "submit_label": submit_label,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/loyalty/account/action_form.html", context)

    def _back_to_account(self, account):
        return HttpResponseRedirect(reverse("admin:loyalty_account_change", args=[account.pk]))

    def _run_action(self, request, account, form, *, act, describe, title, submit_label):
        """Show `form`; on a valid POST call the service (`act`), then log and report what
        `describe` says and go back to the account. A refusal is shown on the form."""
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                act(data)
            except DomainError as exc:
                add_domain_error(form, exc, field_map={})
            else:
                message = describe(data)
                self.log_change(request, account, message)
                self.message_user(request, message, messages.SUCCESS)
                return self._back_to_account(account)
        return self._render_action(request, account, form, title=title, submit_label=submit_label)

    def adjust_view(self, request, object_id):
        """Add or remove points by hand; the reason and the staff user go into the ledger. Above
        the program's approval threshold the adjustment waits for a second person instead."""
        account = self._account_for_action(request, object_id)
        asked = {}

        def act(data):
            asked["request"] = request_adjustment(
                member_id=account.pk,
                points=data["points"],
                reason=data["reason"],
                staff=request.user,
                now=timezone.now(),
                member_text=data["member_text"],
            )

        def describe(data) -> str:
            values = {"points": data["points"], "reason": data["reason"]}
            if asked["request"].is_pending:
                return (
                    gettext(
                        "Adjustment by %(points)+d points is waiting for approval by another staff "
                        "member: %(reason)s"
                    )
                    % values
                )
            return gettext("Adjusted by %(points)+d points: %(reason)s") % values

        return self._run_action(
            request,
            account,
            AdjustPointsForm(request.POST or None),
            act=act,
            describe=describe,
            title=gettext("Adjust points of %(member)s") % {"member": account.member},
            submit_label=gettext("Adjust points"),
        )

    def pin_tier_view(self, request, object_id):
        """Pin the member to a tier (a floor) or remove the pin, with a reason."""
        account = self._account_for_action(request, object_id)

        def describe(data) -> str:
            if data["tier"] is None:
                return gettext("Tier pin removed: %(reason)s") % {"reason": data["reason"]}
            return gettext("Pinned to tier “%(tier)s”: %(reason)s") % {
                "tier": data["tier"].display_name,
                "reason": data["reason"],
            }

        return self._run_action(
            request,
            account,
            PinTierForm(request.POST or None, initial={"tier": account.pinned_tier_id}),
            act=lambda data: pin_tier(
                member_id=account.pk,
                tier=data["tier"],
                reason=data["reason"],
                staff=request.user,
                now=timezone.now(),
            ),
            describe=describe,
            title=gettext("Pin the tier of %(member)s") % {"member": account.member},
            submit_label=gettext("Save the pin"),
        )


@admin.register(LedgerEntry)
class LedgerEntryAdmin(
    StreamingExportMixin, MemberPrivacyMixin, PhoneSearchMixin, ReadOnlyMixin, admin.ModelAdmin
):
    phone_lookup = "account__member__phone"
    stream_exports = ("ledger",)
    member_id_attr = "account_id"
    list_display = (
        "created_at",
        "account",
        "kind",
        "points",
        "pending_change",
        "reason",
        "purchase",
        "staff",
    )
    list_filter = ("kind",)
    list_select_related = ("account__member", "purchase", "staff")
    search_fields = ("=account__member__card_number", "reason", "=purchase__external_id")
    search_help_text = _("Phone in any notation, card number, check number or reason.")
    show_full_result_count = False
    raw_id_fields = ("account", "lot", "purchase", "refund", "staff", "partner")


class LotExpiryFilter(admin.SimpleListFilter):
    """Lots with points left that expire soon; or all those with points left, or the spent."""

    title = _("expiry")
    parameter_name = "expires"
    WITHIN_DAYS = (7, 30, 90)

    def lookups(self, request, model_admin):
        return [
            *(
                (
                    str(days),
                    ngettext("expire within %(n)d day", "expire within %(n)d days", days)
                    % {"n": days},
                )
                for days in self.WITHIN_DAYS
            ),
            ("live", _("with points left")),
            ("spent", _("used up or expired")),
        ]

    def queryset(self, request, queryset):
        value, now = self.value(), timezone.now()
        if value == "live":
            return queryset.filter(remaining__gt=0)
        if value == "spent":
            return queryset.filter(remaining=0)
        if value and value.isdigit() and int(value) in self.WITHIN_DAYS:
            return queryset.filter(
                remaining__gt=0,
                expires_at__gt=now,
                expires_at__lte=now + dt.timedelta(days=int(value)),
            ).order_by("expires_at", "id")
        return queryset


@admin.register(PointLot)
class PointLotAdmin(MemberPrivacyMixin, PhoneSearchMixin, ReadOnlyMixin, admin.ModelAdmin):
    phone_lookup = "account__member__phone"
    member_id_attr = "account_id"
    list_display = (
        "created_at",
        "account",
        "source",
        "points",
        "remaining",
        "is_pending",
        "available_at",
        "expires_at",
    )
    list_filter = (LotExpiryFilter, "source", "is_pending")
    list_select_related = ("account__member",)
    search_fields = ("=account__member__card_number",)
    search_help_text = _("Phone in any notation or card number.")
    show_full_result_count = False
    raw_id_fields = ("account", "purchase")
