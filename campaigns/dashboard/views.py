"""The admin's front page for marketers, analysts and admins: the program's figures for a
period, partner and store, with charts, the cohort table and links to the monthly report and to
all sections of the back-office. Other staff get Django's usual index."""

import datetime as dt

from django.contrib import admin
from django.db.models import Max
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext

from campaigns import metrics
from campaigns.dashboard.forms import DashboardFilterForm
from campaigns.dashboard.presentation import (
    chart_data,
    cohort_table,
    figure_groups,
)
from campaigns.metrics.rollups import IN_FLIGHT_MARGIN
from campaigns.metrics.rollups import today as program_today
from campaigns.models import MetricsDay
from core.errors import InvalidInput
from customers.staff_access import ANALYST_GROUP, MARKETER_GROUP

DASHBOARD_GROUPS = (MARKETER_GROUP, ANALYST_GROUP)


def can_see_dashboard(user) -> bool:
    """Marketers, analysts and superusers see the program's figures; a cashier or other staff
    see the usual list of sections."""
    if not (user.is_active and user.is_staff):
        return False
    return user.is_superuser or user.groups.filter(name__in=DASHBOARD_GROUPS).exists()


def rollup_last_run() -> dt.datetime | None:
    """When the nightly rollup last ran (None before its first run). A rolled-up day is stamped
    IN_FLIGHT_MARGIN before its run began."""
    last = MetricsDay.objects.aggregate(last=Max("computed_at"))["last"]
    return None if last is None else last + IN_FLIGHT_MARGIN


def monthly_report_url(*, month, partner, store) -> str:
    """The monthly PDF report of `month` (the month the period ends in) for the same scope."""
    query = {"month": month.strftime("%Y-%m")}
    query["partner"] = partner.pk if partner else ""
    query["store"] = store.pk if store else ""
    return f"{reverse('program_report')}?{urlencode(query)}"


def program_dashboard(request, site=admin.site):
    """The admin's index: the dashboard for those who may see it, Django's index otherwise."""
    if not can_see_dashboard(request.user):
        return site.index(request)
    request.current_app = site.name
    now = timezone.now()
    # An empty query is a valid form too: this month, the whole program.
    form = DashboardFilterForm(request.GET, today=program_today(now))
    result = None
    if form.is_valid():
        data = form.cleaned_data
        start, end = data["start"], data["end"]
        partner, store = data["partner"], data["store"]
        try:
            result = metrics.program_metrics(
                start=start,
                end=end,
                partner_id=partner.pk if partner else None,
                store_id=store.pk if store else None,
                now=now,
            )
        except InvalidInput as exc:  # e.g. the store was deleted since the form checked it
            form.add_error(None, exc.detail)
    context = site.each_context(request)
    context.update(
        title=gettext("Program dashboard"),
        form=form,
        result=result,
        app_list=context["available_apps"],  # the usual index's sections, listed once
    )
    if result is not None:
        width, cohorts = cohort_table(result.cohorts)
        context.update(
            groups=figure_groups(result.figures, scoped=bool(partner or store)),
            charts=chart_data(result),
            cohort_width=range(width),
            cohorts=cohorts,
            partner=partner,
            store=store,
            report_url=monthly_report_url(month=end, partner=partner, store=store),
            rollup_last_run=rollup_last_run(),
        )
    return TemplateResponse(request, "admin/dashboard.html", context)
