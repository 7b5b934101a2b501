"""History imports in the back-office: upload a file (members, purchases or opening balances),
follow the job's progress, read its report, run a clean dry run for real.

Marketers (and admins) import; analysts see the jobs read-only. The work is the Celery task's
(loyalty.tasks.run_history_import over loyalty.services.history): this page only queues it.
"""

import csv
import io

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from loyalty.models import HistoryImport, Partner
from loyalty.services.history import (
    ImportNotReady,
    run_for_real,
    start_history_import,
    template_rows,
)
from loyalty.tasks import run_history_import

REPORT_ON_PAGE = 100
EXTENSIONS = (".csv", ".xlsx")


class HistoryImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=HistoryImport.Kind.choices)
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8, “;” or “,” separated, a header row) or XLSX."),
    )
    partner = forms.ModelChoiceField(
        label=_("Partner"),
        queryset=Partner.objects.order_by("name"),
        required=False,
        help_text=_("Purchases only: the partner of rows that name none."),
    )
    dry_run = forms.BooleanField(
        label=_("Dry run"),
        required=False,
        initial=True,
        help_text=_("Check every row and write nothing; run it for real afterwards."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(EXTENSIONS):
            raise forms.ValidationError(gettext("Choose a .csv or .xlsx file."))
        if not upload.size:
            raise forms.ValidationError(gettext("The file is empty."))
        return upload


def _queue(job: HistoryImport) -> None:
    transaction.on_commit(lambda: run_history_import.delay(job.pk))


@admin.register(HistoryImport)
class HistoryImportAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "kind",
        "file_name",
        "dry_run",
        "status",
        "rows_total",
        "rows_imported",
        "rows_skipped",
        "rows_failed",
        "created_by",
        "created_at",
    )
    list_display_links = ("id", "file_name")
    list_filter = ("kind", "status", "dry_run")
    date_hierarchy = "created_at"
    change_form_template = "admin/loyalty/historyimport/job.html"
    add_form_template = "admin/loyalty/historyimport/upload.html"

    def has_change_permission(self, request, obj=None):
        return False  # a job is changed only by its worker

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/progress/",
                wrap(self.progress_view),
                name="loyalty_historyimport_progress",
            ),
            path(
                "<path:object_id>/report.csv",
                wrap(self.report_view),
                name="loyalty_historyimport_report",
            ),
            path("<path:object_id>/run/", wrap(self.run_view), name="loyalty_historyimport_run"),
            path(
                "template/<str:kind>.csv",
                wrap(self.template_view),
                name="loyalty_historyimport_template",
            ),
            *super().get_urls(),
        ]

    def _job(self, request, object_id) -> HistoryImport:
        if not self.has_view_permission(request):
            raise PermissionDenied
        job = self.get_object(request, unquote(object_id))
        if job is None:
            raise Http404
        return job

    # --- upload --------------------------------------------------------------------------
    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = HistoryImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            with transaction.atomic():
                job = start_history_import(
                    kind=data["kind"],
                    file=data["file"],
                    dry_run=data["dry_run"],
                    partner=data["partner"],
                    staff=request.user,
                    language=translation.get_language() or "ru",
                    now=timezone.now(),
                )
                _queue(job)
            return redirect(reverse("admin:loyalty_historyimport_change", args=[job.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Import history"),
            "form": form,
            "kinds": HistoryImport.Kind.choices,
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.add_form_template, context)

    # --- the job page ---------------------------------------------------------------------
    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self._job(request, object_id)
        problems = list(job.problems.filter(skipped=False).order_by("row", "id")[:REPORT_ON_PAGE])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": job,
            "title": str(job),
            "job": job,
            "problems": problems,
            "more_problems": len(problems) == REPORT_ON_PAGE
            and job.problems.filter(skipped=False).count() > REPORT_ON_PAGE,
            "report_on_page": REPORT_ON_PAGE,
            "can_run": job.is_clean_dry_run and self.has_add_permission(request),
            "runs": job.runs.order_by("-created_at"),
        }
        return TemplateResponse(request, self.change_form_template, context)

    def progress_view(self, request, object_id):
        job = self._job(request, object_id)
        return JsonResponse(
            {
                "status": job.status,
                "status_label": job.get_status_display(),
                "finished": job.is_finished,
                "percent": job.percent,
                "rows_total": job.rows_total,
                "rows_processed": job.rows_processed,
                "rows_imported": job.rows_imported,
                "rows_skipped": job.rows_skipped,
                "rows_failed": job.rows_failed,
            }
        )

    def report_view(self, request, object_id):
        """Every line of the report (errors and skipped rows), streamed as CSV."""
        job = self._job(request, object_id)

        def lines():
            out = io.StringIO()
            writer = csv.writer(out, delimiter=";")
            writer.writerow(
                [gettext("row"), gettext("column"), gettext("message"), gettext("result")]
            )
            problems = job.problems.order_by("row", "id").values_list(
                "row", "column", "message", "skipped"
            )
            failed, skipped = gettext("error"), gettext("already imported")
            for row, column, message, was_skipped in problems.iterator(chunk_size=2000):
                writer.writerow([row, column, message, skipped if was_skipped else failed])
                yield out.getvalue()
                out.seek(0)
                out.truncate()

        response = StreamingHttpResponse(_with_bom(lines()), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-report.csv"'
        return response

    def run_view(self, request, object_id):
        job = self._job(request, object_id)
        if request.method != "POST" or not self.has_add_permission(request):
            raise PermissionDenied
        try:
            with transaction.atomic():
                real = run_for_real(job=job, staff=request.user, now=timezone.now())
                _queue(real)
        except ImportNotReady as exc:
            messages.error(request, str(exc.detail))
            return redirect(reverse("admin:loyalty_historyimport_change", args=[job.pk]))
        return redirect(reverse("admin:loyalty_historyimport_change", args=[real.pk]))

    def template_view(self, request, kind):
        if not self.has_view_permission(request) or kind not in HistoryImport.Kind.values:
            raise Http404
        out = io.StringIO()
        csv.writer(out, delimiter=";").writerows(template_rows(kind))
        response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="history-{kind}.csv"'
        return response


def _with_bom(lines):
    yield "\ufeff"  # spreadsheet programs read the Cyrillic right
    yield from lines
