"""Triggered messages in the back-office: triggers with their templates, a preview on a real
member, the delivery and conversion report; the message log (read-only, nobody edits or sends
from it); the messaging settings (one row: the frequency cap and quiet hours).

Marketers add and change triggers, templates and the settings and read the log; analysts only
read (migration 0008), and see members in the log as bare numbers. Previewing shows a member's
name, so it is for staff who may see personal data.
"""

import datetime as dt

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpResponseRedirect
from django.template import TemplateSyntaxError
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from campaigns.messaging_forms import (
    CHANNEL_LABELS,
    MessageTemplateForm,
    PreviewForm,
    ReportPeriodForm,
    TriggerForm,
)
from campaigns.messaging_preview import SAMPLE_OCCASIONS, render_preview
from campaigns.messaging_reports import trigger_report
from campaigns.models import Message, MessageTemplate, MessagingSettings, Trigger
from campaigns.models.messaging import Channel
from customers.admin import MemberPrivacyMixin, PhoneSearchMixin, ReadOnlyMixin
from customers.staff_access import can_see_personal_data
from loyalty.admin.history import AuditHistoryMixin

Kind = Trigger.Kind
REPORT_DAYS = 30  # the list's figures and the report's default period


class MessageTemplateInline(admin.StackedInline):
    model = MessageTemplate
    form = MessageTemplateForm
    extra = 0
    fields = (("channel", "language"), "subject", "text", "html")


@admin.register(Trigger)
class TriggerAdmin(AuditHistoryMixin, admin.ModelAdmin):
    history_children = {MessageTemplate: ("trigger", ("channel", "language"))}
    form = TriggerForm
    change_form_template = "admin/campaigns/trigger/change_form.html"
    change_list_template = "admin/campaigns/trigger/change_list.html"
    inlines = [MessageTemplateInline]
    list_display = (
        "name",
        "kind",
        "topic",
        "enabled",
        "channel_list",
        "last_run_at",
        "sent_recently",
        "suppressed_recently",
        "links",
    )
    list_filter = ("enabled", "kind", "topic")
    search_fields = ("name", "code")
    actions = ("switch_on", "switch_off")
    readonly_fields = ("last_run_at", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("code", "name", "kind", "topic", "enabled")}),
        (
            _("Parameters"),
            {
                "fields": ("params", "send_at"),
                "description": _(
                    "Each kind has its own parameters (see <code>docs/MESSAGING.md</code>); a "
                    "broadcast goes out once, at its send time, to its segment."
                ),
            },
        ),
        (_("Channels"), {"fields": ("channels", "channel_order")}),
        (_("Audience"), {"fields": ("segment", "campaign")}),
        (_("Effect"), {"fields": ("holdout_percent", "conversion_days")}),
        (None, {"fields": ("last_run_at", "created_at", "updated_at")}),
    )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        # Read-only: the channels in their order instead of the form's checkboxes and picker.
        swap = {"channels": "channel_list"}
        return [
            (
                title,
                {
                    **options,
                    "fields": tuple(
                        swap.get(f, f) for f in options["fields"] if f != "channel_order"
                    ),
                },
            )
            for title, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        # Occasions are keyed by kind: a saved trigger keeps its kind (make a new trigger).
        names = super().get_readonly_fields(request, obj)
        return (*names, "kind") if obj is not None else names

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if initial.get("kind") == Kind.BROADCAST:
            initial.setdefault("topic", Trigger.Topic.OFFERS)
            initial.setdefault("channels", [Channel.EMAIL, Channel.PUSH, Channel.SMS])
            initial.setdefault("code", f"broadcast-{timezone.localtime():%Y%m%d-%H%M}")
        return initial

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        match = request.resolver_match
        if match is None or match.url_name != "campaigns_trigger_changelist":
            return queryset  # the counts are for the list only
        since = timezone.now() - dt.timedelta(days=REPORT_DAYS)
        recent = Q(messages__created_at__gte=since)
        return queryset.annotate(
            sent_30=Count("messages", filter=recent & Q(messages__status=Message.Status.SENT)),
            suppressed_30=Count(
                "messages", filter=recent & Q(messages__status=Message.Status.SUPPRESSED)
            ),
        )

    # --- list columns --------------------------------------------------------------------
    @admin.display(description=_("channels, in order"))
    def channel_list(self, obj: Trigger) -> str:
        return " → ".join(str(CHANNEL_LABELS.get(c, c)) for c in obj.channels or ()) or "—"

    @admin.display(description=_("sent, 30 days"), ordering="sent_30")
    def sent_recently(self, obj: Trigger) -> int:
        return getattr(obj, "sent_30", 0)

    @admin.display(description=_("suppressed, 30 days"), ordering="suppressed_30")
    def suppressed_recently(self, obj: Trigger) -> int:
        return getattr(obj, "suppressed_30", 0)

    @admin.display(description=_("see"))
    def links(self, obj: Trigger):
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:campaigns_trigger_report", args=[obj.pk]),
            gettext("report"),
            self.log_url(obj),
            gettext("messages"),
        )

    @staticmethod
    def log_url(obj: Trigger) -> str:
        return reverse("admin:campaigns_message_changelist") + f"?trigger__id__exact={obj.pk}"

    # --- actions -------------------------------------------------------------------------
    def _switch(self, request, queryset, enabled: bool, text: str):
        changed = 0
        for trigger in queryset.filter(enabled=not enabled):
            trigger.enabled = enabled
            trigger.save(update_fields=["enabled", "updated_at"])
            self.log_change(request, trigger, text)
            changed += 1
        self.message_user(
            request,
            ngettext("%(n)s trigger changed.", "%(n)s triggers changed.", changed) % {"n": changed},
            messages.SUCCESS,
        )

    @admin.action(description=_("Switch on"), permissions=("change",))
    def switch_on(self, request, queryset):
        self._switch(request, queryset, True, gettext("Switched on."))

    @admin.action(description=_("Switch off"), permissions=("change",))
    def switch_off(self, request, queryset):
        self._switch(request, queryset, False, gettext("Switched off."))

    # --- pages ---------------------------------------------------------------------------
    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/report/", wrap(self.report_view), name="campaigns_trigger_report"
            ),
            path(
                "<path:object_id>/preview/",
                wrap(self.preview_view),
                name="campaigns_trigger_preview",
            ),
            *super().get_urls(),
        ]

    def _trigger(self, request, object_id) -> Trigger:
        trigger = self.get_object(request, unquote(object_id))
        if trigger is None:
            raise Http404(gettext("No such trigger."))
        if not self.has_view_permission(request, trigger):
            raise PermissionDenied
        return trigger

    def _page(self, request, trigger, title: str, page: str, **context):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": trigger,
            "title": title % {"name": trigger.name},
            "log_url": self.log_url(trigger),
            **context,
        }
        return TemplateResponse(request, f"admin/campaigns/trigger/{page}", context)

    def report_view(self, request, object_id):
        """Delivery figures and conversion of the trigger over a period (default: 30 days)."""
        trigger = self._trigger(request, object_id)
        today = timezone.localdate()
        first, last = today - dt.timedelta(days=REPORT_DAYS - 1), today
        form = ReportPeriodForm(request.GET or None, initial={"first": first, "last": last})
        if form.is_valid():
            first = form.cleaned_data.get("first") or first
            last = form.cleaned_data.get("last") or last
        zone = timezone.get_current_timezone()
        start = dt.datetime.combine(first, dt.time.min, tzinfo=zone)
        end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        report = trigger_report(trigger=trigger, start=start, end=end)
        return self._page(
            request,
            trigger,
            gettext("Report: %(name)s"),
            "report.html",
            form=form,
            report=report,
            first=first,
            last=last,
        )

    def preview_view(self, request, object_id):
        """A template of the trigger rendered for a real member: subject, text and the e-mail's
        HTML in a sandboxed frame. Nothing is saved or sent."""
        trigger = self._trigger(request, object_id)
        if not can_see_personal_data(request.user):
            raise PermissionDenied  # the preview shows the member's name and numbers
        sample = SAMPLE_OCCASIONS.get(trigger.kind, {})
        first_channel = (trigger.channels or [Channel.EMAIL])[0]
        form = PreviewForm(
            request.POST or None, initial={"variables": sample, "channel": first_channel}
        )
        rendered = template = None
        missing = False
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                template, rendered = render_preview(
                    trigger=trigger,
                    member=data["member"],
                    channel=data["channel"],
                    language=data["language"],
                    variables=data["variables"] or sample,
                )
            except TemplateSyntaxError as exc:  # saved before the form checked templates
                form.add_error(None, gettext("Template error: %(error)s") % {"error": exc})
            missing = template is None and not form.errors
        return self._page(
            request,
            trigger,
            gettext("Preview: %(name)s"),
            "preview.html",
            form=form,
            template=template,
            rendered=rendered,
            missing=missing,
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        # The log points at triggers; a trigger is switched off, not deleted.
        return False


@admin.register(Message)
class MessageAdmin(ReadOnlyMixin, MemberPrivacyMixin, PhoneSearchMixin, admin.ModelAdmin):
    """The message log: what each trigger made of each occasion, read-only for everyone."""

    list_display = (
        "created_at",
        "trigger",
        "member_card",
        "channel",
        "status",
        "reason",
        "occasion",
        "sent_at",
    )
    list_filter = (
        "trigger",
        "status",
        "reason",
        "channel",
        ("created_at", admin.DateFieldListFilter),
    )
    list_select_related = ("trigger", "member")
    search_fields = ("=member__card_number",)
    search_help_text = _("Member's phone in any notation or card number.")
    date_hierarchy = "created_at"
    show_full_result_count = False
    actions = None
    fields = (
        "trigger",
        "member_card",
        "occasion",
        "topic",
        "channel",
        "status",
        "reason",
        "address",
        "subject",
        "body",
        "context",
        "send_after",
        "attempts",
        "error",
        "created_at",
        "sent_at",
    )
    readonly_fields = fields
    # What a message says and where it went names the member: not for staff who see numbers.
    personal_fields = ("address", "subject", "body", "context")
    member_columns = ("member_card",)

    @admin.display(description=_("member"), ordering="member_id")
    def member_card(self, obj: Message) -> str:
        return f"#{obj.member_id} · {obj.member.card_number}"

    def get_fields(self, request, obj=None):
        names = super().get_fields(request, obj)
        if self._hides_personal_data(request):
            return tuple(n for n in names if n not in self.personal_fields)
        return names

    def get_readonly_fields(self, request, obj=None):
        names = super().get_readonly_fields(request, obj)
        if self._hides_personal_data(request):
            return tuple(n for n in names if n not in self.personal_fields)
        return names


@admin.register(MessagingSettings)
class MessagingSettingsAdmin(AuditHistoryMixin, admin.ModelAdmin):
    """One row: the list opens it straight away."""

    fields = (("cap_messages", "cap_days"), ("quiet_start", "quiet_end"), "updated_at")
    readonly_fields = ("updated_at",)

    def changelist_view(self, request, extra_context=None):
        row = MessagingSettings.objects.order_by("pk").first()
        if row is not None:
            return HttpResponseRedirect(
                reverse("admin:campaigns_messagingsettings_change", args=[row.pk])
            )
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and not MessagingSettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
