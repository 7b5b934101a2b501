"""The monthly report in the back-office (/admin/reports/monthly/): with `?month=YYYY-MM` (and
optionally `partner`, `store`) the PDF downloads; without, a page to pick the month and the
scope. A wrong month, a month not begun, an unknown partner or store are form errors on that
page, never a server error."""

import datetime as dt

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaigns import monthly_report
from campaigns.dashboard.forms import ScopeForm
from core.errors import DomainError


class MonthlyReportForm(ScopeForm):
    month = forms.CharField(
        label=_("Month"),
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
        error_messages={"required": _("Choose the month of the report.")},
    )

    def clean_month(self) -> dt.date:
        try:
            month = monthly_report.parse_month(self.cleaned_data["month"])
            monthly_report.month_period(month, today=self.today)
        except DomainError as error:
            raise ValidationError(str(error.detail)) from error
        return month


def _page(request, form, *, status: int = 200):
    context = {
        **admin.site.each_context(request),
        "title": gettext("Monthly program report"),
        "form": form,
    }
    return TemplateResponse(request, "admin/campaigns/monthly_report.html", context, status=status)


def program_report(request):
    """Marketers, analysts and admins download any begun month's report for the whole program,
    a partner or a store (admin.site.admin_view in config/urls.py signs staff in first)."""
    if not monthly_report.can_download_report(request.user):
        raise PermissionDenied
    now = timezone.now()
    today = monthly_report.program_today(now)
    if not request.GET:
        initial = {"month": f"{monthly_report.previous_month(today):%Y-%m}"}
        return _page(request, MonthlyReportForm(initial=initial, today=today))
    form = MonthlyReportForm(request.GET, today=today)
    if not form.is_valid():
        return _page(request, form, status=400)
    data = form.cleaned_data
    pdf = monthly_report.build_report_pdf(
        month=data["month"],
        partner=data["partner"],
        store=data["store"],
        now=now,
        base_url=request.build_absolute_uri("/"),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    name = monthly_report.report_filename(data["month"])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
