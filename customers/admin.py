"""Admin registrations for staff users, members and consents.

Members join only through `customers.services.enroll_member` (the add form and the import both
call it), so the rules of joining — personal-data consent, one member per phone in any notation,
unique e-mail, a plausible birth date — live in one place.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin

from customers.errors import DomainError, InvalidPhone, MemberExists
from customers.models import Consent, ImportantDate, Member, User
from customers.phones import normalize_phone
from customers.resources import MemberResource
from customers.services import (
    enroll_member,
    normalize_email,
    update_profile,
    validate_birth_date,
)


@admin.register(User)
class StaffUserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Cashier desk"), {"fields": ("store",)}),
    )
    list_display = ("username", "email", "first_name", "last_name", "is_staff", "store")
    list_select_related = ("store__partner",)
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    autocomplete_fields = ("store",)


def phone_query(term: str) -> str | None:
    """The E.164 form of a search term when it reads as a phone number, else None."""
    try:
        return normalize_phone(term)
    except InvalidPhone:
        return None


class PhoneSearchMixin:
    """Admin search that also finds a member by phone typed in any notation."""

    phone_lookup = "member__phone"

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        e164 = phone_query(search_term.strip()) if search_term.strip() else None
        if e164:
            results = results | queryset.filter(**{self.phone_lookup: e164})
        return results, may_have_duplicates


class ConsentInline(admin.TabularInline):
    """The consent history: every grant and withdrawal, as given. Never edited by hand."""

    model = Consent
    fields = ("kind", "given_at", "withdrawn_at", "source", "text_version")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ImportantDateInline(admin.TabularInline):
    model = ImportantDate
    fields = ("label", "date", "yearly")
    extra = 0


CONSENT_FIELDS = {
    Consent.Kind.PERSONAL_DATA: "consent_personal_data",
    Consent.Kind.MARKETING_EMAIL: "consent_marketing_email",
    Consent.Kind.MARKETING_SMS: "consent_marketing_sms",
    Consent.Kind.PUSH: "consent_push",
}


def add_domain_error(form: forms.Form, exc: DomainError, *, field_map: dict[str, str]) -> None:
    """Show a service's error on the form: on its fields when it names them, else on top."""
    if isinstance(exc, MemberExists | InvalidPhone) and "phone" in form.fields:
        form.add_error("phone", str(exc.detail))
        return
    placed = False
    for name, messages in exc.fields.items():
        field = field_map.get(name, name)
        if field in form.fields:
            for message in messages:
                form.add_error(field, str(message))
            placed = True
    if not placed:
        form.add_error(None, str(exc.detail))


class MemberAddForm(forms.ModelForm):
    """Enrol a member from the back-office. Validation is the enrolment service itself."""

    phone = forms.CharField(
        label=_("phone"), max_length=32, help_text=_("Any notation: 8 (912) 345-67-89")
    )
    consent_personal_data = forms.BooleanField(
        label=_("Consent to personal data processing (required to join)"), required=False
    )
    consent_marketing_email = forms.BooleanField(label=_("marketing e-mail"), required=False)
    consent_marketing_sms = forms.BooleanField(label=_("marketing SMS"), required=False)
    consent_push = forms.BooleanField(label=_("push notifications"), required=False)

    class Meta:
        model = Member
        fields = ("phone", "email", "first_name", "last_name", "birth_date")

    def _post_clean(self):
        # Instead of the model's own validation, enrol through the service: it refuses a missing
        # consent, a malformed or taken phone, a taken e-mail and a bad birth date, and saves
        # nothing when it refuses. The admin view's transaction holds the new rows.
        if self.errors:
            return
        data = self.cleaned_data
        try:
            self.instance = enroll_member(
                phone=data["phone"],
                email=data.get("email") or "",
                first_name=data.get("first_name") or "",
                last_name=data.get("last_name") or "",
                birth_date=data.get("birth_date"),
                consents={kind: bool(data.get(field)) for kind, field in CONSENT_FIELDS.items()},
                channel=Member.Channel.ADMIN,
                source=Member.Channel.ADMIN,
                now=timezone.now(),
            )
        except DomainError as exc:
            field_map = {"consents": "consent_personal_data"}
            add_domain_error(self, exc, field_map=field_map)

    def save(self, commit=True):
        self.save_m2m = lambda: None
        return self.instance


class MemberChangeForm(forms.ModelForm):
    """Profile changes keep the enrolment rules: e-mail unique (any case), plausible birth date."""

    class Meta:
        model = Member
        fields = ("email", "first_name", "last_name", "birth_date", "status", "language")

    def clean_email(self):
        email = normalize_email(self.cleaned_data.get("email"))
        taken = Member.objects.filter(email__iexact=email).exclude(pk=self.instance.pk)
        if email and taken.exists():
            raise forms.ValidationError(_("This e-mail belongs to another member."))
        return email

    def clean_birth_date(self):
        birth_date = self.cleaned_data.get("birth_date")
        try:
            validate_birth_date(birth_date, today=timezone.localdate())
        except DomainError as exc:
            raise forms.ValidationError(str(exc.detail)) from exc
        return birth_date


@admin.register(Member)
class MemberAdmin(PhoneSearchMixin, ImportExportMixin, admin.ModelAdmin):
    phone_lookup = "phone"
    resource_classes = [MemberResource]
    form = MemberChangeForm
    add_form = MemberAddForm
    list_display = (
        "phone",
        "card_number",
        "full_name",
        "email",
        "status",
        "channel",
        "tier",
        "available_points",
        "created_at",
    )
    list_display_links = ("phone", "card_number")
    list_filter = ("status", "channel", "account__tier")
    list_select_related = ("account__tier",)
    search_fields = ("phone", "=card_number", "email", "first_name", "last_name")
    search_help_text = _("Phone in any notation, card number, e-mail or name.")
    date_hierarchy = "created_at"
    show_full_result_count = False
    readonly_fields = (
        "phone",
        "card_number",
        "referral_code",
        "referred_by",
        "channel",
        "closure_requested_at",
        "created_at",
        "updated_at",
        "account_link",
    )
    fieldsets = (
        (None, {"fields": ("phone", "card_number", "status", "account_link")}),
        (_("Profile"), {"fields": ("first_name", "last_name", "email", "birth_date", "language")}),
        (
            _("Enrolment"),
            {
                "fields": (
                    "channel",
                    "referral_code",
                    "referred_by",
                    "created_at",
                    "updated_at",
                    "closure_requested_at",
                )
            },
        ),
    )
    add_fieldsets = (
        (None, {"fields": ("phone", "first_name", "last_name", "email", "birth_date")}),
        (
            _("Consents"),
            {"fields": tuple(CONSENT_FIELDS.values())},
        ),
    )
    inlines = [ImportantDateInline, ConsentInline]

    @admin.display(description=_("name"))
    def full_name(self, obj: Member) -> str:
        return obj.full_name

    @admin.display(description=_("tier"), ordering="account__tier__min_spend")
    def tier(self, obj: Member):
        account = getattr(obj, "account", None)
        return account.tier.display_name if account else "—"

    @admin.display(description=_("available points"), ordering="account__available")
    def available_points(self, obj: Member):
        account = getattr(obj, "account", None)
        return account.available if account else "—"

    @admin.display(description=_("points account"))
    def account_link(self, obj: Member):
        if obj.pk is None:
            return "—"
        url = reverse("admin:loyalty_account_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("balance, lots, ledger, adjustments"))

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_inlines(self, request, obj):
        # Important dates and consents belong to an existing member; enrolment records the
        # consents given on the add form.
        return self.inlines if obj is not None else []

    def save_model(self, request, obj, form, change):
        # A new member was saved by enroll_member while the add form was validated; a change
        # goes through the profile service, which saves the status and language with it.
        if change:
            update_profile(
                member=obj,
                email=obj.email,
                first_name=obj.first_name,
                last_name=obj.last_name,
                birth_date=obj.birth_date,
                now=timezone.now(),
            )

    def has_delete_permission(self, request, obj=None) -> bool:
        # Members with points history are protected; closing an account is a status change.
        return False
