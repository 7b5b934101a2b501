"""Admin registrations for staff users, members and consents.

Members join only through one enrolment service (the add form and the import both call it;
loyalty.admin.members sets it to loyalty.services.enroll_member, which also opens the points
account — members never import the ledger), so the rules of joining — personal-data consent,
one member per phone in any notation, unique e-mail, a plausible birth date — live in one place.
"""

from operator import attrgetter

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin

from core.spreadsheet_admin import ImportTemplateMixin, SpreadsheetExportMixin
from customers.errors import DomainError, InvalidPhone, MemberExists
from customers.models import Consent, DataRequest, ImportantDate, Member, PersonalDataAccess, User
from customers.phones import normalize_phone
from customers.resources import MemberResource
from customers.services import (
    erase_member,
    normalize_email,
    register_member,
    update_profile,
    validate_birth_date,
)
from customers.staff_access import (
    CASHIER_GROUP,
    can_export_personal_data,
    can_see_personal_data,
    record_personal_data_export,
)


class StaffUserChangeForm(UserChangeForm):
    """A cashier works only at the desk, so a user in the cashier group has no staff status
    (staff status opens the back-office)."""

    def clean(self):
        data = super().clean()
        groups = data.get("groups")
        is_cashier = groups is not None and groups.filter(name=CASHIER_GROUP).exists()
        if is_cashier and data.get("is_staff"):
            self.add_error(
                "is_staff",
                _(
                    "A cashier works only at the cashier desk: leave staff status off "
                    "(it opens the back-office)."
                ),
            )
        return data


@admin.register(User)
class StaffUserAdmin(BaseUserAdmin):
    """Staff users; loyalty.admin.staff adds the store a cashier works at."""

    form = StaffUserChangeForm
    list_display = ("username", "email", "first_name", "last_name", "is_staff")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")


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
        if not can_see_personal_data(request.user):
            return results, may_have_duplicates  # no probing whether a phone is a member
        e164 = phone_query(search_term.strip()) if search_term.strip() else None
        if e164:
            results = results | queryset.filter(**{self.phone_lookup: e164})
        return results, may_have_duplicates


class ReadOnlyMixin:
    """A record nobody adds, changes or deletes by hand (ledgers, logs): it can only be read."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class PersonalDataExportMixin(SpreadsheetExportMixin):
    """Every export in the back-office: offered only to staff allowed to take members' personal
    data out, and logged (who, when, which columns, how many rows, the filter or selection)
    before the file is handed out. Every admin with an export uses this mixin."""

    def has_export_permission(self, request) -> bool:
        return super().has_export_permission(request) and can_export_personal_data(request.user)

    def get_export_data(self, file_format, request, queryset, **kwargs):
        kwargs.setdefault("file_format_title", file_format.get_title())
        return super().get_export_data(file_format, request, queryset, **kwargs)

    def get_data_for_export(self, request, queryset, **kwargs):
        dataset = super().get_data_for_export(request, queryset, **kwargs)
        export_form = kwargs.get("export_form")
        selection = []
        if export_form is not None and "export_items" in export_form.changed_data:
            selection = export_form.cleaned_data["export_items"]
        resource_class = self.choose_export_resource_class(export_form, request)
        to_key = getattr(resource_class, "column_key", lambda header: None)
        record_personal_data_export(
            user=request.user,
            resource=resource_class.__name__,
            model=self.model._meta.label_lower,
            # the columns' keys, the same whatever language the headers were written in
            columns=[to_key(header) or header for header in dataset.headers or []],
            row_count=len(dataset),
            filters=dict(request.GET.lists()),
            selection=selection,
            file_format=kwargs.get("file_format_title", ""),
            ip=request.META.get("REMOTE_ADDR"),
            now=timezone.now(),
        )
        return dataset


class MemberPrivacyMixin:
    """Staff who may not see members' personal data (analysts) see a member only as a number:
    list columns and fields that would show a phone, card or name (`member_columns`) show
    "#<member id>" instead, and searching by member details is off."""

    member_columns: tuple[str, ...] = ("member", "account", "member_link")
    member_id_attr = "member_id"  # the path from the row to its member's id

    def _hides_personal_data(self, request) -> bool:
        return not can_see_personal_data(request.user)

    def _pseudonymise(self, names):
        result = []
        for name in names:
            name = "member_number" if name in self.member_columns else name
            if name not in result:
                result.append(name)
        return tuple(result)

    @admin.display(description=_("member"))
    def member_number(self, obj) -> str:
        return f"#{attrgetter(self.member_id_attr)(obj)}"

    def get_list_display(self, request):
        names = super().get_list_display(request)
        return self._pseudonymise(names) if self._hides_personal_data(request) else names

    def get_list_display_links(self, request, list_display):
        links = super().get_list_display_links(request, list_display)
        if links and self._hides_personal_data(request):
            links = [name for name in self._pseudonymise(links) if name in list_display]
        return links

    def get_readonly_fields(self, request, obj=None):
        names = super().get_readonly_fields(request, obj)
        return self._pseudonymise(names) if self._hides_personal_data(request) else names

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not self._hides_personal_data(request):
            return fieldsets
        return [
            (title, {**options, "fields": self._pseudonymise(options["fields"])})
            for title, options in fieldsets
        ]

    def get_search_fields(self, request):
        names = super().get_search_fields(request)
        if self._hides_personal_data(request):
            return tuple(name for name in names if "member" not in name)
        return names

    def _pseudonym(self, obj) -> str:
        return gettext("member #%(id)s") % {"id": attrgetter(self.member_id_attr)(obj)}

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and self._hides_personal_data(request):
            # The page title and breadcrumbs name the object; for an account that is the phone.
            context["original"] = Pseudonymous(obj, self._pseudonym(obj))
            context["subtitle"] = self._pseudonym(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and self._hides_personal_data(request):
            label = self._pseudonym(obj)
            extra_context = {
                **(extra_context or {}),
                "title": gettext("Change history: %s") % label,
                "object": Pseudonymous(obj, label),
            }
        return super().history_view(request, object_id, extra_context)


class Pseudonymous:
    """An object as the admin templates see it, named without personal data."""

    def __init__(self, obj, label: str):
        self._obj = obj
        self._label = label

    def __getattr__(self, name):
        return getattr(self._obj, name)

    def __str__(self) -> str:
        return self._label


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The log of personal data taken out of the back-office: read-only, for superusers and
    staff holding its view permission (marketers)."""

    list_display = ("created_at", "username", "action", "model", "resource", "row_count", "ip")
    list_filter = ("action", "model", "created_at")
    search_fields = ("username", "ip")
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = (
        "created_at",
        "user",
        "username",
        "action",
        "model",
        "resource",
        "row_count",
        "columns",
        "filters",
        "selection",
        "file_format",
        "ip",
    )
    readonly_fields = fields


@admin.register(DataRequest)
class DataRequestAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Members' personal-data requests carried out (a copy handed out, an erasure): read-only,
    the record kept for the regulator (152-FZ)."""

    list_display = ("created_at", "member", "kind", "source", "staff")
    list_filter = ("kind", "source", "created_at")
    date_hierarchy = "created_at"
    list_select_related = ("member", "staff")
    show_full_result_count = False
    fields = ("created_at", "member", "kind", "source", "staff")
    readonly_fields = fields


class ConsentInline(ReadOnlyMixin, admin.TabularInline):
    """The consent history: every grant and withdrawal, as given. Never edited by hand."""

    model = Consent
    fields = ("kind", "given_at", "withdrawn_at", "source_label", "text_version", "text")
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description=_("source"))
    def source_label(self, obj: Consent) -> str:
        # Consents are given where members join: the source is a join channel's code.
        if obj.source in Member.Channel.values:
            return Member.Channel(obj.source).label
        return obj.source


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

    # The service that enrols; loyalty.admin.members swaps in the one that also opens the account.
    enroll = staticmethod(register_member)

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
            self.instance = self.enroll(
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
        fields = (
            "email",
            "first_name",
            "last_name",
            "birth_date",
            "status",
            "language",
            "time_zone",
        )

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
class MemberAdmin(
    PhoneSearchMixin,
    PersonalDataExportMixin,
    ImportTemplateMixin,
    ImportExportMixin,
    admin.ModelAdmin,
):
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
    actions = ["erase_personal_data"]
    readonly_fields = (
        "phone",
        "card_number",
        "referral_code",
        "referred_by",
        "channel",
        "closure_requested_at",
        "closed_at",
        "erased_at",
        "created_at",
        "updated_at",
        "account_link",
        "messages_link",
        "tier",
        "available_points",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "phone",
                    "card_number",
                    "status",
                    "tier",
                    "available_points",
                    "account_link",
                    "messages_link",
                )
            },
        ),
        (
            _("Profile"),
            {
                "fields": (
                    "first_name",
                    "last_name",
                    "email",
                    "birth_date",
                    "language",
                    "time_zone",
                )
            },
        ),
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
                    "closed_at",
                    "erased_at",
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

    @admin.action(permissions=["change"], description=_("Erase personal data (152-FZ)"))
    def erase_personal_data(self, request, queryset):
        """Erasure on a member's request or after closure: a confirmation page first, then
        `erase_member` for each selected member."""
        if request.POST.get("confirm") != "yes":
            return TemplateResponse(
                request,
                "admin/customers/member/erase_confirmation.html",
                {
                    **self.admin_site.each_context(request),
                    "title": _("Erase personal data"),
                    "opts": self.model._meta,
                    "members": queryset,
                    "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                },
            )
        now = timezone.now()
        for member_id in queryset.values_list("pk", flat=True):
            erase_member(
                member_id=member_id, now=now, source=DataRequest.Source.ADMIN, staff=request.user
            )
        self.message_user(
            request, gettext("Personal data erased: %(count)d.") % {"count": queryset.count()}
        )
        return None

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

    @admin.display(description=_("messages"))
    def messages_link(self, obj: Member):
        if obj.pk is None:
            return "—"
        url = reverse("admin:campaigns_message_changelist") + f"?member__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("what triggers sent or held back"))

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

    def has_import_permission(self, request) -> bool:
        # An import enrols members: only staff who may add members (not analysts, who see the
        # back-office but no members).
        return super().has_import_permission(request) and self.has_add_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        # Members with points history are protected; closing an account is a status change.
        return False
