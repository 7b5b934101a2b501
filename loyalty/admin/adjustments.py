"""Manual adjustments of points and their four-eyes approval (loyalty/services/approvals.py).

Every adjustment made on an account's page is listed here with the balance before and after;
those above the program's threshold wait, and a staff member with the approval permission who
did not ask for one approves it (the points move then) or rejects it with a note. The list opens
on the requests waiting for approval.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.admin import MemberPrivacyMixin, PhoneSearchMixin, ReadOnlyMixin
from customers.errors import DomainError
from loyalty.models import AdjustmentRequest
from loyalty.services.approvals import (
    approve_adjustment,
    may_approve,
    reject_adjustment,
)

Status = AdjustmentRequest.Status


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=_("note"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=_("Required to reject: say why."),
    )


class StatusFilter(admin.SimpleListFilter):
    """Opens on the requests waiting for approval."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [*Status.choices, ("all", _("All"))]

    def choices(self, changelist):
        value = self.value() or Status.PENDING
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or Status.PENDING
        return queryset if value == "all" else queryset.filter(status=value)


@admin.register(AdjustmentRequest)
class AdjustmentRequestAdmin(ReadOnlyMixin, MemberPrivacyMixin, PhoneSearchMixin, admin.ModelAdmin):
    phone_lookup = "member__phone"
    change_form_template = "admin/loyalty/adjustmentrequest/change_form.html"
    list_display = (
        "requested_at",
        "member",
        "points",
        "reason",
        "status",
        "requested_by",
        "decided_by",
        "balance_before",
        "balance_after",
    )
    list_filter = (StatusFilter,)
    list_select_related = ("member", "requested_by", "decided_by")
    search_fields = ("=member__card_number", "reason")
    show_full_result_count = False
    fields = (
        "member",
        "points",
        "reason",
        "member_text",
        "status",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
        "note",
        "balance_before",
        "balance_after",
        "entry_list",
    )
    readonly_fields = fields

    @admin.display(description=_("ledger entries"))
    def entry_list(self, obj: AdjustmentRequest):
        return ", ".join(f"#{e.pk} {e.points:+d}" for e in obj.entries.all()) or "—"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/decide/",
                wrap(self.decide_view),
                name="loyalty_adjustmentrequest_decide",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        can_decide = (
            obj is not None
            and obj.is_pending
            and may_approve(request.user)
            and obj.requested_by_id != request.user.pk
        )
        extra_context = {
            **(extra_context or {}),
            "can_decide": can_decide,
            "decision_form": DecisionForm(),
            "is_requester": obj is not None and obj.requested_by_id == request.user.pk,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def decide_view(self, request, object_id):
        """Approve (the points move) or reject (with a note) a pending adjustment."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if request.method != "POST":
            return HttpResponseRedirect(
                reverse("admin:loyalty_adjustmentrequest_change", args=[obj.pk])
            )
        if not may_approve(request.user):
            raise PermissionDenied
        form = DecisionForm(request.POST)
        if form.is_valid():
            note = form.cleaned_data["note"]
            try:
                if "_reject" in request.POST:
                    reject_adjustment(
                        request_id=obj.pk, staff=request.user, now=timezone.now(), note=note
                    )
                    message = gettext("The adjustment was rejected.")
                else:
                    approve_adjustment(
                        request_id=obj.pk, staff=request.user, now=timezone.now(), note=note
                    )
                    message = gettext("The adjustment was approved and applied.")
            except DomainError as exc:
                form.add_error("note" if exc.fields.get("note") else None, str(exc.detail))
            else:
                self.log_change(request, obj, message)
                self.message_user(request, message, messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:loyalty_adjustmentrequest_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": obj,
            "title": gettext("Approve or reject"),
            "decision_form": form,
            "can_decide": True,
        }
        return TemplateResponse(
            request, "admin/loyalty/adjustmentrequest/decide.html", context, status=400
        )
