"""Segments in the back-office: the list with sizes, the form (a rule segment's condition tree
checked on save), the counts over time on the change page, the upload of a list for a static
segment; the members of segments (read-only, exported through the logged personal-data export);
the RFM thresholds (one row; changing them makes the next recomputation full).

Marketers add and change segments and thresholds; analysts only read them, members as bare
numbers (migration 0009). Nobody but a superuser deletes a segment: campaigns and triggers name
them.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets

from campaigns.models import RfmSettings, Segment, SegmentMember
from campaigns.segment_lists import read_rows, upload_static
from campaigns.segments import rule_problems
from core.errors import DomainError
from core.resources import TitledColumnsMixin
from customers.admin import MemberPrivacyMixin, PersonalDataExportMixin, ReadOnlyMixin
from loyalty.admin.history import AuditHistoryMixin

Kind = Segment.Kind
COUNT_DAYS = 90  # days of counts shown on a segment's page
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class SegmentForm(forms.ModelForm):
    class Meta:
        model = Segment
        fields = ("code", "name", "name_en", "description", "kind", "conditions", "is_active")
        help_texts = {
            "conditions": _(
                "For a rule segment: the campaigns' condition language over the member, e.g. "
                '<code>{"all": [{"tier": ["gold"]}, {"segment": ["at_risk"]}]}</code>. Only '
                "<code>tier</code>, <code>segment</code>, <code>member_days</code>, "
                "<code>birthday</code>, <code>first_purchase</code> and <code>date</code> "
                "can be used."
            )
        }

    def clean(self):
        data = super().clean()
        kind = data.get("kind", getattr(self.instance, "kind", ""))
        if self.instance.pk is None and kind == Kind.RFM:
            self.add_error(
                "kind",
                _("The five RFM segments exist already: add a rule segment or an uploaded list."),
            )
        if kind == Kind.RULE and "conditions" in data:
            for problem in rule_problems(data["conditions"]):
                self.add_error("conditions", problem)
        elif kind != Kind.RULE and data.get("conditions"):
            self.add_error("conditions", _("Only a rule segment has a rule."))
        return data


@admin.register(Segment)
class SegmentAdmin(AuditHistoryMixin, admin.ModelAdmin):
    form = SegmentForm
    change_form_template = "admin/campaigns/segment/change_form.html"
    list_display = (
        "name",
        "code",
        "kind",
        "rfm_class",
        "member_count",
        "computed_at",
        "is_active",
        "members_link",
    )
    list_filter = ("kind", "is_active")
    search_fields = ("name", "code")

    def get_fieldsets(self, request, obj=None):
        main = ["code", "name", "name_en", "description", "kind", "is_active"]
        if obj is not None and obj.kind == Kind.RFM:
            main.insert(5, "rfm_class")
        if obj is None or obj.kind == Kind.RULE:
            main.append("conditions")
        fieldsets = [(None, {"fields": main})]
        if obj is not None:
            fieldsets.append(
                (
                    _("Members"),
                    {"fields": ("member_count", "computed_at", "members_link", "counts_over_time")},
                )
            )
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        names = ["member_count", "computed_at", "members_link", "counts_over_time"]
        if obj is not None:
            names += ["kind", "rfm_class"]
            if obj.kind == Kind.RFM:
                names.append("code")  # triggers and campaigns of a fresh install name them
        return names

    @admin.display(description=_("members"))
    def members_link(self, obj: Segment):
        url = reverse("admin:campaigns_segmentmember_changelist")
        return format_html(
            '<a href="{}?segment__id__exact={}">{}</a>', url, obj.pk, gettext("list, export")
        )

    @admin.display(description=_("counts over time"))
    def counts_over_time(self, obj: Segment):
        rows = list(obj.counts.order_by("-day")[:COUNT_DAYS])
        if not rows:
            return "—"
        head = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            gettext("day"),
            gettext("members"),
            gettext("joined"),
            gettext("left"),
        )
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>+{}</td><td>−{}</td></tr>",
            ((row.day.isoformat(), row.members, row.joined, row.left) for row in rows),
        )
        return format_html('<table class="segment-counts">{}{}</table>', head, body)

    def save_model(self, request, obj, form, change):
        if change and {"conditions", "is_active"} & set(form.changed_data):
            # Judged anew for every member by the next recomputation (see segments.py).
            obj.computed_at = None
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/upload/",
                wrap(self.upload_view),
                name="campaigns_segment_upload",
            ),
            *super().get_urls(),
        ]

    def upload_view(self, request, object_id):
        segment = self.get_object(request, unquote(object_id))
        if segment is None or segment.kind != Kind.STATIC:
            raise Http404
        if not self.has_change_permission(request, segment):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            try:
                result = upload_static(
                    segment=segment,
                    rows=form.cleaned_data["rows"],
                    replace=form.cleaned_data["mode"] == "replace",
                    now=timezone.now(),
                )
            except DomainError as exc:
                form.add_error(None, str(exc.detail))
            else:
                messages.success(
                    request,
                    gettext("%(found)s members found: %(added)s added, %(removed)s removed.")
                    % {"found": result.found, "added": result.added, "removed": result.removed},
                )
                segment.refresh_from_db()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": segment,
            "title": gettext("Upload a list: %s") % segment.name,
            "form": form,
            "result": result,
        }
        return TemplateResponse(request, "admin/campaigns/segment/upload.html", context)


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("List of members"),
        help_text=_(
            "CSV, XLSX or plain text: a phone (any notation) or a card number in the first "
            "column of each row."
        ),
    )
    mode = forms.ChoiceField(
        label=_("The list"),
        choices=(
            ("replace", _("replaces the segment's members")),
            ("add", _("is added to the segment's members")),
        ),
        initial="replace",
        widget=forms.RadioSelect,
    )

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload is None:
            return data
        if upload.size > MAX_UPLOAD_BYTES:
            self.add_error("file", _("The file is larger than 50 MB."))
            return data
        try:
            data["rows"] = read_rows(upload.name, upload.read())
        except DomainError as exc:
            self.add_error("file", str(exc.detail))
            return data
        if not data["rows"]:
            self.add_error("file", _("The file lists no members."))
        return data


# --- the members of segments ---------------------------------------------------------------------
class SegmentMemberResource(TitledColumnsMixin, resources.ModelResource):
    column_titles = {"segment": _("Segment")}

    segment = fields.Field(attribute="segment__code", column_name="segment")
    card_number = fields.Field(attribute="member__card_number", column_name="card_number")
    phone = fields.Field(attribute="member__phone", column_name="phone")
    email = fields.Field(attribute="member__email", column_name="email")
    first_name = fields.Field(attribute="member__first_name", column_name="first_name")
    last_name = fields.Field(attribute="member__last_name", column_name="last_name")
    since = fields.Field(attribute="since", column_name="since", widget=widgets.DateTimeWidget())

    class Meta:
        model = SegmentMember
        fields = ("segment", "card_number", "phone", "email", "first_name", "last_name", "since")

    def import_data(self, *args, **kwargs):
        raise NotImplementedError("segment members are computed or uploaded, not imported")

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("segment", "member")


@admin.register(SegmentMember)
class SegmentMemberAdmin(
    ReadOnlyMixin, MemberPrivacyMixin, PersonalDataExportMixin, admin.ModelAdmin
):
    """Who is in a segment (filter by segment), read-only; the export is logged."""

    resource_classes = [SegmentMemberResource]
    list_display = ("member", "segment", "since")
    list_filter = ("segment",)
    list_select_related = ("member", "segment")
    show_full_result_count = False
    fields = ("segment", "member", "since")
    readonly_fields = fields


# --- the RFM thresholds --------------------------------------------------------------------------
@admin.register(RfmSettings)
class RfmSettingsAdmin(AuditHistoryMixin, admin.ModelAdmin):
    """One row: the list opens it."""

    readonly_fields = ("recomputed_at", "updated_at")
    fields = (*RfmSettings.THRESHOLDS, *readonly_fields)

    def changelist_view(self, request, extra_context=None):
        settings = RfmSettings.current()
        return HttpResponseRedirect(
            reverse("admin:campaigns_rfmsettings_change", args=[settings.pk])
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if form.changed_data:
            messages.info(
                request,
                gettext("The next recomputation of the segments will look at every member."),
            )

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
