"""Bulk operations in the back-office (the rules: campaigns/bulk.py).

Add: award or deduct N points for a segment or an uploaded list, with a reason — saved as a
draft. The operation's page shows the preview (who is reached, who is skipped and why, the total,
a masked sample), then the buttons of its state: submit (runs it, or asks for approval when its
total is above the program's threshold), approve / reject (another staff member with the
approval permission), undo (a finished operation, once); while it runs or is undone, a progress
bar polls `progress/` (static/backoffice/progress.js: no inline script under the CSP).

Marketers create, submit and undo operations; analysts read them, members as bare numbers.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaigns import bulk
from campaigns.models import BulkItem, BulkOperation, Segment
from campaigns.segment_admin import MAX_UPLOAD_BYTES
from campaigns.segment_lists import read_rows
from customers.admin import MemberPrivacyMixin, ReadOnlyMixin, add_domain_error
from customers.errors import DomainError
from customers.staff_access import can_see_personal_data
from loyalty.admin.adjustments import DecisionForm
from loyalty.models.ledger import MEMBER_TEXT_LENGTH
from loyalty.services.approvals import may_approve

Status = BulkOperation.Status


class BulkOperationForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("operation"), choices=BulkOperation.Kind.choices, widget=forms.RadioSelect
    )
    points = forms.IntegerField(label=_("points per member"), min_value=1, max_value=10_000_000)
    reason = forms.CharField(
        label=_("internal reason"),
        max_length=450,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=_(
            "For staff only: kept in every ledger entry together with the operation's number; "
            "never shown to the members."
        ),
    )
    member_text = forms.CharField(
        label=_("text for the members"),
        max_length=MEMBER_TEXT_LENGTH,
        required=False,
        widget=forms.TextInput(attrs={"size": 60}),
        help_text=_(
            "Optional. Shown to each member in the history and the statement; without it they "
            "see “Added by the store” or “Removed by the store”."
        ),
    )
    when_short = forms.ChoiceField(
        label=_("a member with fewer points than deducted"),
        choices=BulkOperation.WhenShort.choices,
        initial=BulkOperation.WhenShort.PARTIAL,
        widget=forms.RadioSelect,
        help_text=_("Deductions only. A member with no points at all is always skipped."),
    )
    segment = forms.ModelChoiceField(
        label=_("segment"),
        queryset=Segment.objects.filter(is_active=True).order_by("name"),
        required=False,
        help_text=_("Its members when the operation is submitted."),
    )
    file = forms.FileField(
        label=_("or a list of members"),
        required=False,
        help_text=_(
            "CSV, XLSX or plain text: a phone (any notation) or a card number in the first "
            "column of each row."
        ),
    )

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if (data.get("segment") is None) == (upload is None):
            raise forms.ValidationError(_("Choose a segment or upload a list, not both."))
        if upload is not None:
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


@admin.register(BulkOperation)
class BulkOperationAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "reason",
        "target",
        "status",
        "undo_status",
        "total",
        "applied",
        "skipped",
        "points_moved",
        "created_by",
        "created_at",
    )
    list_filter = ("status", "kind", "undo_status")
    list_select_related = ("segment", "created_by")
    search_fields = ("reason",)
    show_full_result_count = False

    @admin.display(description=_("members of"))
    def target(self, obj: BulkOperation) -> str:
        if obj.segment_id is not None:
            return gettext("segment “%(name)s”") % {"name": obj.segment.name}
        return gettext("list %(name)s") % {"name": obj.list_name or "—"}

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/progress/",
                wrap(self.progress_view),
                name="campaigns_bulkoperation_progress",
            ),
            path(
                "<path:object_id>/act/",
                wrap(self.act_view),
                name="campaigns_bulkoperation_act",
            ),
            *super().get_urls(),
        ]

    # --- the pages ---------------------------------------------------------------------------
    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = BulkOperationForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                operation = bulk.create_operation(
                    kind=data["kind"],
                    points=data["points"],
                    reason=data["reason"],
                    member_text=data["member_text"],
                    when_short=data["when_short"] or BulkOperation.WhenShort.PARTIAL,
                    segment=data["segment"],
                    rows=data.get("rows"),
                    list_name=data["file"].name if data.get("file") else "",
                    staff=request.user,
                    now=timezone.now(),
                )
            except DomainError as exc:
                add_domain_error(form, exc, field_map={})
            else:
                self.log_addition(request, operation, gettext("Drafted"))
                return HttpResponseRedirect(self._url(operation))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("New bulk operation"),
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/campaigns/bulkoperation/add.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        operation = self._operation(request, object_id)
        personal = can_see_personal_data(request.user)
        is_draft = operation.status == Status.DRAFT
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": operation,
            "title": str(operation),
            "target": self.target(operation),
            "preview": bulk.preview(operation, personal_data=personal)
            if is_draft or operation.status == Status.AWAITING_APPROVAL
            else None,
            "personal_data": personal,
            "progress": bulk.progress(operation),
            "progress_url": reverse("admin:campaigns_bulkoperation_progress", args=[operation.pk]),
            "act_url": reverse("admin:campaigns_bulkoperation_act", args=[operation.pk]),
            "items_url": reverse("admin:campaigns_bulkitem_changelist")
            + f"?operation__id__exact={operation.pk}",
            "can_change": self.has_change_permission(request, operation),
            "can_decide": operation.status == Status.AWAITING_APPROVAL
            and may_approve(request.user)
            and operation.created_by_id != request.user.pk,
            "can_undo": operation.status == Status.DONE
            and not operation.undo_status
            and self.has_change_permission(request, operation),
            "note_form": DecisionForm(),
            "shortfalls": BulkItem.objects.filter(operation=operation, undo_shortfall__gt=0)
            .order_by("member_id")
            .values_list("member_id", "undo_points", "undo_shortfall")[:50],
        }
        return TemplateResponse(request, "admin/campaigns/bulkoperation/detail.html", context)

    def progress_view(self, request, object_id):
        """The counters as JSON, polled by the progress bar."""
        return JsonResponse(bulk.progress(self._operation(request, object_id)))

    def act_view(self, request, object_id):
        """Submit, approve, reject or undo (one button each), then back to the operation."""
        operation = self._operation(request, object_id)
        if request.method != "POST":
            return HttpResponseRedirect(self._url(operation))
        now, user = timezone.now(), request.user
        form = DecisionForm(request.POST)
        form.is_valid()
        note = form.cleaned_data.get("note", "")
        actions = {
            "_submit": (
                True,
                lambda: bulk.submit_operation(operation_id=operation.pk, staff=user, now=now),
            ),
            "_approve": (
                False,
                lambda: bulk.approve_operation(operation_id=operation.pk, staff=user, now=now),
            ),
            "_reject": (
                False,
                lambda: bulk.reject_operation(
                    operation_id=operation.pk, staff=user, now=now, note=note
                ),
            ),
            "_undo": (
                True,
                lambda: bulk.request_undo(operation_id=operation.pk, staff=user, now=now),
            ),
        }
        name = next((key for key in actions if key in request.POST), None)
        if name is None:
            return HttpResponseRedirect(self._url(operation))
        needs_change, act = actions[name]
        if needs_change and not self.has_change_permission(request, operation):
            raise PermissionDenied
        try:
            done = act()
        except DomainError as exc:
            self.message_user(request, str(exc.detail), messages.ERROR)
        else:
            message = {
                "_submit": gettext("Waiting for approval by another staff member.")
                if done.status == Status.AWAITING_APPROVAL
                else gettext("Queued: the points are being moved."),
                "_approve": gettext("Approved: the points are being moved."),
                "_reject": gettext("Rejected."),
                "_undo": gettext("The undo is queued."),
            }[name]
            self.log_change(request, operation, message)
            self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(self._url(operation))

    def _operation(self, request, object_id) -> BulkOperation:
        operation = self.get_object(request, unquote(object_id))
        if operation is None:
            raise Http404(gettext("No such bulk operation."))
        if not self.has_view_permission(request, operation):
            raise PermissionDenied
        return operation

    def _url(self, operation) -> str:
        return reverse("admin:campaigns_bulkoperation_change", args=[operation.pk])


@admin.register(BulkItem)
class BulkItemAdmin(ReadOnlyMixin, MemberPrivacyMixin, admin.ModelAdmin):
    """What each member got from an operation (filter by operation), read-only."""

    list_display = (
        "operation",
        "member",
        "status",
        "skip_reason",
        "points",
        "undone",
        "undo_points",
        "undo_shortfall",
    )
    list_filter = ("status", "undone", "operation")
    list_select_related = ("operation", "member")
    show_full_result_count = False
    fields = (*list_display, "entry_ids", "undo_entry_ids")
    readonly_fields = fields
