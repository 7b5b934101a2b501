"""Webhooks in the back-office: the partners' endpoints (their secret shown once, when made or
rotated; a test event sent on request) and the delivery log, read-only, with its attempts and a
"send again" action.

Marketers (and admins) manage endpoints and send deliveries again; analysts read both (migration
0013), without the events' contents, which name members by card.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from campaigns.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from campaigns.models.webhooks import SUBSCRIBABLE, EventType
from campaigns.webhooks import endpoints
from core.errors import DomainError
from customers.admin import ReadOnlyMixin
from customers.staff_access import can_see_personal_data

MANAGE_PERMISSION = "campaigns.change_webhookendpoint"


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        label=_("events"), choices=SUBSCRIBABLE, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("name", "url", "partner", "event_types", "is_active")

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            endpoints.check_url(url)
        except DomainError as error:
            raise forms.ValidationError(error.fields.get("url") or [str(error.detail)]) from error
        return url


def _secret_message(request, endpoint: WebhookEndpoint, secret: str) -> None:
    messages.success(
        request,
        format_html(
            '{} <input type="text" readonly size="60" value="{}">',
            gettext("The signing secret of “%(name)s”, shown this once (copy it to the partner):")
            % {"name": endpoint.name},
            secret,
        ),
    )


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ("name", "url", "partner", "events", "is_active", "deliveries_link")
    list_filter = ("is_active", "partner")
    list_select_related = ("partner",)
    search_fields = ("name", "url")
    readonly_fields = ("secret_hint", "secret_rotated_at", "created_at", "updated_at")
    actions = ("send_test_event", "rotate_secret")

    @admin.display(description=_("events"))
    def events(self, obj: WebhookEndpoint) -> str:
        labels = dict(EventType.choices)
        return ", ".join(str(labels.get(value, value)) for value in obj.event_types)

    @admin.display(description=_("signing secret"))
    def secret_hint(self, obj: WebhookEndpoint) -> str:
        return endpoints.masked(obj.secret)

    @admin.display(description=_("deliveries"))
    def deliveries_link(self, obj: WebhookEndpoint):
        return format_html(
            '<a href="../webhookdelivery/?endpoint__id__exact={}">{}</a>', obj.pk, _("log")
        )

    def save_model(self, request, obj, form, change):
        secret = endpoints.save_endpoint(endpoint=obj, now=timezone.now())
        if secret:
            _secret_message(request, obj, secret)

    @admin.action(description=_("Send a test event"), permissions=("change",))
    def send_test_event(self, request, queryset):
        now = timezone.now()
        for endpoint in queryset:
            endpoints.send_test_event(endpoint=endpoint, now=now)
        count = queryset.count()
        self.message_user(
            request,
            ngettext(
                "A test event was queued for %(count)d endpoint; see the delivery log.",
                "A test event was queued for %(count)d endpoints; see the delivery log.",
                count,
            )
            % {"count": count},
        )

    @admin.action(
        description=_("Make a new signing secret (the old one works 24 more hours)"),
        permissions=("change",),
    )
    def rotate_secret(self, request, queryset):
        now = timezone.now()
        for endpoint in queryset:
            _secret_message(request, endpoint, endpoints.rotate_secret(endpoint=endpoint, now=now))


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ("at", "status_code", "response_excerpt", "error", "duration_ms")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        """Part of the delivery log: whoever reads the log reads its attempts."""
        return request.user.has_perm("campaigns.view_webhookdelivery")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The delivery log: one row per event and endpoint, with each attempt."""

    list_display = (
        "created_at",
        "event_type",
        "event_number",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "last_attempt_at",
        "next_attempt_at",
    )
    list_filter = ("status", "event__type", "endpoint")
    list_select_related = ("event", "endpoint")
    search_fields = ("=event__id",)
    search_help_text = _("Event id.")
    show_full_result_count = False
    actions = ("send_again",)
    inlines = [WebhookAttemptInline]
    fields = (
        "event_type",
        "event_number",
        "endpoint",
        "status",
        "attempts",
        "next_attempt_at",
        "last_attempt_at",
        "last_status_code",
        "last_error",
        "delivered_at",
        "created_at",
        "payload",
    )
    readonly_fields = fields

    @admin.display(description=_("event"), ordering="event__type")
    def event_type(self, obj: WebhookDelivery) -> str:
        return obj.event.get_type_display()

    # Not named event_id: the admin labels a foreign key's column name itself ("Event id").
    @admin.display(description=_("event id"), ordering="event_id")
    def event_number(self, obj: WebhookDelivery) -> int:
        return obj.event_id

    @admin.display(description=_("data"))
    def payload(self, obj: WebhookDelivery):
        return format_html(
            "<pre>{}</pre>", json.dumps(obj.event.data, ensure_ascii=False, indent=2)
        )

    def get_fields(self, request, obj=None):
        names = super().get_fields(request, obj)
        # The data names the member by card: not for staff who see members as numbers.
        if not can_see_personal_data(request.user):
            return tuple(name for name in names if name != "payload")
        return names

    def has_resend_permission(self, request) -> bool:
        return request.user.has_perm(MANAGE_PERMISSION)

    @admin.action(description=_("Send again"), permissions=("resend",))
    def send_again(self, request, queryset):
        count = endpoints.send_again(
            delivery_ids=list(queryset.values_list("pk", flat=True)), now=timezone.now()
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery was queued again.",
                "%(count)d deliveries were queued again.",
                count,
            )
            % {"count": count},
        )
