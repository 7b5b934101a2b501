"""Campaigns in the back-office: the list with statuses and the actions a marketer runs (copy,
pause, resume, end now, export), the form with its live preview, the report and the import page;
and the awards, read-only.

Marketers add and change campaigns; analysts only read them and their reports (migration 0002).
"""

import json

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from campaigns import lifecycle
from campaigns.forms import CampaignForm, ImportForm, PreviewForm
from campaigns.models import Award, Campaign
from campaigns.preview import preview_purchase
from campaigns.reports import campaign_report
from customers.admin import ReadOnlyMixin, add_domain_error
from customers.errors import DomainError
from customers.staff_access import can_see_personal_data
from loyalty.admin.history import AuditHistoryMixin

Status = Campaign.Status


def status_filter(status: str, now) -> Q:
    """The campaigns whose Campaign.status_at(now) is `status`, as a query."""
    not_draft = ~Q(state=Campaign.State.DRAFT)
    ended = not_draft & Q(ends_at__lte=now)
    not_ended = Q(ends_at__isnull=True) | Q(ends_at__gt=now)
    started = Q(starts_at__isnull=True) | Q(starts_at__lte=now)
    active = Q(state=Campaign.State.ACTIVE) & not_ended
    return {
        Status.DRAFT: Q(state=Campaign.State.DRAFT),
        Status.ENDED: ended,
        Status.PAUSED: Q(state=Campaign.State.PAUSED) & not_ended,
        Status.SCHEDULED: active & ~started,
        Status.RUNNING: active & started,
    }[status]


class StatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return Status.choices

    def queryset(self, request, queryset):
        if self.value() in Status.values:
            return queryset.filter(status_filter(self.value(), timezone.now()))
        return queryset


@admin.register(Campaign)
class CampaignAdmin(AuditHistoryMixin, admin.ModelAdmin):
    form = CampaignForm
    change_form_template = "admin/campaigns/campaign/change_form.html"
    change_list_template = "admin/campaigns/campaign/change_list.html"
    list_display = (
        "name",
        "kind",
        "status_badge",
        "period",
        "stacking_group",
        "points_given",
        "uses_count",
        "report_link",
    )
    list_filter = ("kind", StatusFilter)
    search_fields = ("name", "code")
    readonly_fields = ("spent_points", "uses", "created_at", "updated_at")
    actions = ("clone", "pause", "resume", "end_now", "export_json")
    fieldsets = (
        (None, {"fields": ("code", "name", "kind", "state", "starts_at", "ends_at")}),
        (_("Texts for members"), {"fields": ("description", "description_en")}),
        (
            _("Conditions"),
            {
                "fields": (
                    "min_check_amount",
                    ("required_skus", "required_categories"),
                    "tiers",
                    "min_member_days",
                    "partners",
                    "stores",
                    "channels",
                    "weekdays",
                    ("time_from", "time_to"),
                    ("date_from", "date_to"),
                    "first_purchase_only",
                    "conditions_json",
                )
            },
        ),
        (
            _("Effect"),
            {
                "fields": (
                    "effect",
                    "value",
                    "per_amount",
                    ("lines_skus", "lines_categories"),
                    ("lines_exclude_skus", "lines_exclude_categories"),
                    "steps_text",
                    "max_points_per_check",
                    "bonus_lifetime_days",
                    "activation_delay_days",
                )
            },
        ),
        (
            _("Event parameters"),
            {
                "fields": (
                    ("param_days_before", "param_days_after"),
                    "param_every_years",
                    ("param_referrer_points", "param_max_per_referrer"),
                    ("param_goal", "param_count", "param_window_days", "param_weeks"),
                    "param_fields",
                )
            },
        ),
        (_("Stacking"), {"fields": ("stacking_group", "exclusive", "priority")}),
        (
            _("Limits"),
            {
                "fields": (
                    ("budget_points", "spent_points"),
                    ("max_uses", "uses"),
                    ("member_limit_day", "member_limit_month", "member_limit_total"),
                )
            },
        ),
        (
            _("Holdout and early access"),
            {"fields": ("holdout_percent", "early_access_tiers", "early_access_days")},
        ),
        (None, {"fields": ("created_at", "updated_at")}),
    )
    # What staff who may only read see instead of the plain fields: the stored JSON itself.
    read_only_swaps = {
        "min_check_amount": "conditions",
        "lines_skus": "lines",
        "steps_text": "steps",
        "param_days_before": "params",
    }

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        return [
            (title, {**options, "fields": self._stored(options["fields"])})
            for title, options in fieldsets
        ]

    def _stored(self, names) -> tuple:
        """The form's plain fields replaced by the model's JSON fields they are compiled into."""
        form_only = set(CampaignForm.declared_fields)
        result = []
        for name in names:
            first = name[0] if isinstance(name, tuple) else name
            if first in self.read_only_swaps:
                result.append(self.read_only_swaps[first])
            elif not (set(name) if isinstance(name, tuple) else {name}) & form_only:
                result.append(name)
        return tuple(result)

    # --- list columns --------------------------------------------------------------------
    @admin.display(description=_("status"))
    def status_badge(self, obj: Campaign):
        status = obj.status_at(timezone.now())
        return format_html(
            '<span class="campaign-status campaign-status-{}">{}</span>',
            status,
            Status(status).label,
        )

    @admin.display(description=_("period"), ordering="starts_at")
    def period(self, obj: Campaign) -> str:
        def day(moment):
            return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "…"

        if obj.starts_at is None and obj.ends_at is None:
            return gettext("no dates")
        return f"{day(obj.starts_at)} — {day(obj.ends_at)}"

    def get_queryset(self, request):
        # What was given, from the awards: the counters spent_points/uses are kept only for
        # campaigns with a budget or a number of uses (counted under lock at the till).
        given = Q(awards__held_out=False, awards__points__gt=0)
        return (
            super()
            .get_queryset(request)
            .annotate(
                given_points=Coalesce(Sum("awards__points", filter=given), 0),
                given_uses=Count("awards", filter=given),
            )
        )

    @admin.display(description=_("points given / budget"), ordering="given_points")
    def points_given(self, obj: Campaign) -> str:
        budget = obj.budget_points if obj.budget_points is not None else "∞"
        return f"{getattr(obj, 'given_points', obj.spent_points)} / {budget}"

    @admin.display(description=_("uses"), ordering="given_uses")
    def uses_count(self, obj: Campaign) -> str:
        uses = getattr(obj, "given_uses", obj.uses)
        return f"{uses} / {obj.max_uses}" if obj.max_uses is not None else str(uses)

    @admin.display(description=_("report"))
    def report_link(self, obj: Campaign):
        url = reverse("admin:campaigns_campaign_report", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Report"))

    # --- actions -------------------------------------------------------------------------
    def _report_count(self, request, done: int, skipped: int, done_text, skipped_text):
        if done:
            self.message_user(request, done_text % {"n": done}, messages.SUCCESS)
        if skipped:
            self.message_user(request, skipped_text % {"n": skipped}, messages.WARNING)

    @admin.action(description=_("Copy as a draft"), permissions=("add",))
    def clone(self, request, queryset):
        for campaign in queryset:
            copy_ = lifecycle.clone_campaign(campaign=campaign)
            self.log_addition(request, copy_, [{"added": {}}])
        count = len(queryset)
        self.message_user(
            request,
            ngettext("%(n)s draft copy made.", "%(n)s draft copies made.", count) % {"n": count},
            messages.SUCCESS,
        )

    def _each(self, request, queryset, act, message: str) -> tuple[int, int]:
        done = skipped = 0
        for campaign in queryset:
            if act(campaign):
                done += 1
                self.log_change(request, campaign, message)
            else:
                skipped += 1
        return done, skipped

    @admin.action(description=_("Pause"), permissions=("change",))
    def pause(self, request, queryset):
        done, skipped = self._each(
            request,
            queryset,
            lambda c: lifecycle.pause_campaign(campaign=c),
            gettext("Paused."),
        )
        self._report_count(
            request,
            done,
            skipped,
            gettext("Paused: %(n)s."),
            gettext("Not active, left as they were: %(n)s."),
        )

    @admin.action(description=_("Resume"), permissions=("change",))
    def resume(self, request, queryset):
        done, skipped = self._each(
            request,
            queryset,
            lambda c: lifecycle.resume_campaign(campaign=c),
            gettext("Resumed."),
        )
        self._report_count(
            request,
            done,
            skipped,
            gettext("Resumed: %(n)s."),
            gettext("Not paused, left as they were: %(n)s."),
        )

    @admin.action(description=_("End now"), permissions=("change",))
    def end_now(self, request, queryset):
        now = timezone.now()
        done, skipped = self._each(
            request,
            queryset,
            lambda c: lifecycle.end_campaign(campaign=c, now=now),
            gettext("Ended."),
        )
        self._report_count(
            request,
            done,
            skipped,
            gettext("Ended: %(n)s."),
            gettext("Neither running nor paused, left as they were: %(n)s."),
        )

    @admin.action(description=_("Export as JSON"), permissions=("change",))
    def export_json(self, request, queryset):
        from campaigns.transfer import export_campaigns

        data = export_campaigns(queryset, now=timezone.now())
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response = HttpResponse(
            json.dumps(data, ensure_ascii=False, indent=2, default=str),
            content_type="application/json; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="campaigns-{stamp}.json"'
        return response

    # --- pages ---------------------------------------------------------------------------
    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/report/",
                wrap(self.report_view),
                name="campaigns_campaign_report",
            ),
            path("import/", wrap(self.import_view), name="campaigns_campaign_import"),
            *super().get_urls(),
        ]

    def report_view(self, request, object_id):
        """The campaign's report; anyone who may view campaigns may read it."""
        campaign = self.get_object(request, unquote(object_id))
        if campaign is None:
            raise Http404(gettext("No such campaign."))
        if not self.has_view_permission(request, campaign):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": campaign,
            "title": gettext("Report: %(name)s") % {"name": campaign.name},
            "report": campaign_report(campaign=campaign, now=timezone.now()),
        }
        return TemplateResponse(request, "admin/campaigns/campaign/report.html", context)

    def import_view(self, request):
        """Upload a JSON file of campaigns: first a dry run shows what would change, then the
        same file is applied."""
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        from campaigns.transfer import import_campaigns

        form = ImportForm(request.POST or None, request.FILES or None)
        result, applied = None, False
        if request.method == "POST" and form.is_valid():
            applied = "_apply" in request.POST
            result = import_campaigns(form.cleaned_data["parsed"], dry_run=not applied)
            if applied and not result.errors:
                self.message_user(
                    request,
                    gettext("Imported: %(created)s new, %(updated)s changed, %(same)s the same.")
                    % {
                        "created": len(result.created),
                        "updated": len(result.updated),
                        "same": len(result.unchanged),
                    },
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:campaigns_campaign_changelist"))
            form = ImportForm(initial={"payload": form.cleaned_data["payload"]})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Import campaigns from JSON"),
            "form": form,
            "result": result,
            "applied": applied,
        }
        return TemplateResponse(request, "admin/campaigns/campaign/import.html", context)

    # --- the form and its preview ----------------------------------------------------------
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and "_preview" in request.POST:
            return self.preview_view(request, object_id, form_url)
        if self._may_preview(request, object_id):
            extra_context = {**(extra_context or {}), "preview_form": PreviewForm(prefix="preview")}
        return super().changeform_view(request, object_id, form_url, extra_context)

    def _may_preview(self, request, object_id) -> bool:
        """Previewing is part of editing: only for staff who may save the form."""
        if object_id is None:
            return self.has_add_permission(request)
        return self.has_change_permission(request, self.get_object(request, unquote(object_id)))

    def preview_view(self, request, object_id, form_url=""):
        """The change form again, as posted, with what its campaign would give on the check
        described below it — nothing is saved."""
        add = object_id is None
        obj = None if add else self.get_object(request, unquote(object_id))
        if not add and obj is None:
            raise Http404(gettext("No such campaign."))
        allowed = (
            self.has_add_permission(request) if add else self.has_change_permission(request, obj)
        )
        if not allowed:
            raise PermissionDenied
        form_class = self.get_form(request, obj, change=not add)
        form = form_class(request.POST, request.FILES, instance=obj)
        preview_form = PreviewForm(request.POST, prefix="preview")
        preview = None
        campaign_ok = form.is_valid()
        if preview_form.is_valid() and campaign_ok:
            preview = self._preview(form, preview_form)
        fieldsets = self.get_fieldsets(request, obj)
        admin_form = helpers.AdminForm(
            form,
            list(fieldsets),
            self.get_prepopulated_fields(request, obj),
            self.get_readonly_fields(request, obj),
            model_admin=self,
        )
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Add campaign") if add else gettext("Change campaign"),
            "subtitle": None if add else str(obj),
            "adminform": admin_form,
            "object_id": object_id,
            "original": obj,
            "is_popup": False,
            "to_field": None,
            "media": self.media + admin_form.media,
            "inline_admin_formsets": [],
            "errors": helpers.AdminErrorList(form, []),
            "preserved_filters": self.get_preserved_filters(request),
            "preview_form": preview_form,
            "preview": preview,
            "preview_blocked": not campaign_ok,
        }
        return self.render_change_form(
            request, context, add=add, change=not add, obj=obj, form_url=form_url
        )

    def _preview(self, form, preview_form) -> dict | None:
        data = preview_form.cleaned_data
        try:
            return preview_purchase(
                campaign=form.instance,
                early_access_tiers=form.cleaned_data.get("early_access_tiers"),
                member_number=data["member"],
                now=data.get("moment") or timezone.now(),
                lines=data["lines"],
                amount=data["total"],
                partner=data.get("partner"),
                store=data.get("store"),
                channel=data.get("channel") or "till",
            )
        except DomainError as exc:
            add_domain_error(preview_form, exc, field_map={"amount": "total"})
            return None

    # --- who may do what -------------------------------------------------------------------
    def has_delete_permission(self, request, obj=None) -> bool:
        # Awards and ledger entries point at campaigns; a campaign is ended, not deleted.
        return False


@admin.register(Award)
class AwardAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """What campaigns gave, read-only; a member shows as a number and card, never a phone."""

    list_display = ("created_at", "campaign", "member_number", "points", "held_out", "occasion")
    list_filter = ("campaign", "held_out")
    list_select_related = ("campaign", "member")
    show_full_result_count = False
    fields = (
        "campaign",
        "member_number",
        "purchase",
        "occasion",
        "points",
        "held_out",
        "entry",
        "created_at",
    )
    readonly_fields = fields

    @admin.display(description=_("member"), ordering="member_id")
    def member_number(self, obj: Award) -> str:
        return f"#{obj.member_id}"

    @admin.display(description=_("member"), ordering="member_id")
    def member_card(self, obj: Award) -> str:
        return f"#{obj.member_id} · {obj.member.card_number}"

    def _with_cards(self, request, names):
        if not can_see_personal_data(request.user):
            return names
        return tuple("member_card" if name == "member_number" else name for name in names)

    def get_list_display(self, request):
        return self._with_cards(request, super().get_list_display(request))

    def get_fields(self, request, obj=None):
        return self._with_cards(request, super().get_fields(request, obj))

    def get_readonly_fields(self, request, obj=None):
        return self._with_cards(request, super().get_readonly_fields(request, obj))

    def get_search_fields(self, request):
        return ("=member__card_number",) if can_see_personal_data(request.user) else ()


# Triggers, the message log and the messaging settings; segments, their members and counts,
# the RFM thresholds.
# Webhook endpoints and their delivery log. Bulk awards and deductions of points. The beat
# jobs, titled, and their schedules.
from campaigns import (  # noqa: E402, F401
    beat_schedules_admin,
    bulk_admin,
    messaging_admin,
    schedules_admin,
    segment_admin,
    webhooks_admin,
)
