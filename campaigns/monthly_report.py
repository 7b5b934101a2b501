"""The monthly program report: the program's figures for one calendar month (the program's time
zone) and one scope — the whole program, a partner or a store — as a PDF with charts, to
download for any month that has begun and e-mailed to marketers on the 1st for the month before.

Every number comes from `campaigns.metrics.program_metrics` (the figures the dashboard shows,
with the same definitions); this module only lays them out. A month is e-mailed once: the
delivery is claimed by inserting its month's row (unique) in the same transaction that sends it,
so a second worker waits for the first and then finds the month taken, and a failed send leaves
no row for the next run to trip on.
"""

import base64
import datetime as dt
import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaigns import report_charts
from campaigns.dashboard.presentation import cohort_table, figure_groups
from campaigns.models import MonthlyReportDelivery
from core.errors import DomainError, InvalidInput
from core.pdf import html_to_pdf
from customers.models import User
from customers.staff_access import MARKETER_GROUP
from loyalty.models import Partner, Store
from loyalty.services.program import get_program, program_zone

logger = logging.getLogger(__name__)

DOWNLOAD_PERMISSION = "campaigns.download_monthly_report"
TEMPLATE = "campaigns/monthly_report.html"
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class ReportMonthNotStarted(DomainError):
    code = "report_month_not_started"
    default_detail = _("This month has not started yet: its report does not exist.")


class StoreOfAnotherPartner(DomainError):
    code = "store_of_another_partner"
    default_detail = _("The store belongs to another partner.")


def can_download_report(user) -> bool:
    """Marketers, analysts and admins read the program's monthly report (it names no member)."""
    return user.is_active and user.is_staff and user.has_perm(DOWNLOAD_PERMISSION)


def program_today(now: dt.datetime) -> dt.date:
    return now.astimezone(program_zone(get_program())).date()


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def previous_month(today: dt.date) -> dt.date:
    """The 1st of the month before the one `today` is in."""
    return month_start(month_start(today) - dt.timedelta(days=1))


def parse_month(text: str) -> dt.date:
    """The 1st of a month written YYYY-MM (2000 or later)."""
    match = MONTH.match(text.strip())
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 2000:
        raise InvalidInput(
            _("Give the month as YYYY-MM, for example 2026-11."),
            fields={"month": [_("Give the month as YYYY-MM, for example 2026-11.")]},
        )
    return dt.date(int(match[1]), int(match[2]), 1)


def month_end(month: dt.date) -> dt.date:
    """The last day of the month `month` is in."""
    return month_start(month_start(month) + dt.timedelta(days=31)) - dt.timedelta(days=1)


def month_period(month: dt.date, *, today: dt.date) -> tuple[dt.date, dt.date]:
    """The days a month's report covers: the whole month, or up to today for the current one;
    a month that has not begun has no report."""
    first = month_start(month)
    if first > today:
        raise ReportMonthNotStarted(fields={"month": [ReportMonthNotStarted.default_detail]})
    return first, min(month_end(first), today)


def report_filename(month: dt.date) -> str:
    return f"kopilka-report-{month:%Y-%m}.pdf"


# --- the report ---------------------------------------------------------------------------------
# The figures printed large at the top (every figure is in the table below them).
HEADLINE = ("active_members", "checks", "revenue_members", "points_issued")


@dataclass(frozen=True)
class MonthlyReport:
    program_name: str
    month: dt.date
    start: dt.date
    end: dt.date
    is_partial: bool  # the current month, covered up to today
    partner: Partner | None
    store: Store | None
    generated_at: dt.datetime
    metrics: object  # campaigns.metrics.results.ProgramMetrics
    headline: list  # [FigureCard]: HEADLINE's figures
    figure_groups: list  # [FigureGroup]: every figure, as the dashboard groups them
    charts: dict[str, str]  # name → data: URI of an SVG
    cohort_width: int
    cohort_lines: list  # [CohortLine]

    @property
    def is_scoped(self) -> bool:
        return self.partner is not None


def _svg_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _charts(metrics) -> dict[str, str]:
    svgs = {
        "checks": report_charts.checks_and_revenue(
            metrics.daily,
            checks=gettext("Checks with a card"),
            guest_checks=gettext("Checks without a card"),
            revenue=gettext("Members' revenue, ₽ (right axis)"),
        ),
        "points": report_charts.points_flow(
            metrics.daily,
            issued=gettext("Issued"),
            redeemed=gettext("Redeemed"),
            expired=gettext("Expired"),
        ),
        "expiry": report_charts.expiry_forecast(metrics.expiry_forecast),
        "tiers": report_charts.tier_distribution(metrics.tier_distribution),
    }
    return {name: _svg_uri(svg) for name, svg in svgs.items()}


def build_report(
    *, month: dt.date, partner: Partner | None = None, store: Store | None = None, now: dt.datetime
) -> MonthlyReport:
    """The report of `month` for the whole program, a partner or a store (the store's partner
    when only the store is named), with the figures as of `now`; labels in the active
    language."""
    from campaigns.metrics import program_metrics

    if store is not None and partner is not None and store.partner_id != partner.pk:
        raise StoreOfAnotherPartner(fields={"store": [StoreOfAnotherPartner.default_detail]})
    if store is not None and partner is None:
        partner = store.partner
    today = program_today(now)
    start, end = month_period(month, today=today)
    metrics = program_metrics(
        start=start,
        end=end,
        partner_id=partner.pk if partner else None,
        store_id=store.pk if store else None,
        now=now,
    )
    program = get_program()
    scoped = partner is not None
    groups = figure_groups(metrics.figures, scoped=scoped)
    cards = {card.key: card for group in groups for card in group.cards}
    cohort_width, cohort_lines = cohort_table(metrics.cohorts)
    return MonthlyReport(
        program_name=program.name,
        month=start,
        start=start,
        end=end,
        is_partial=end < month_end(start),
        partner=partner,
        store=store,
        generated_at=now.astimezone(program_zone(program)),
        metrics=metrics,
        headline=[cards[key] for key in HEADLINE if key in cards],
        figure_groups=groups,
        charts=_charts(metrics),
        cohort_width=cohort_width,
        cohort_lines=cohort_lines,
    )


def render_report_pdf(report: MonthlyReport, *, base_url: str | None = None) -> bytes:
    """The report as a PDF (A4), in the active language."""
    html = render_to_string(TEMPLATE, {"report": report, "metrics": report.metrics})
    return html_to_pdf(html, base_url=base_url)


def build_report_pdf(
    *,
    month: dt.date,
    partner: Partner | None = None,
    store: Store | None = None,
    now: dt.datetime,
    base_url: str | None = None,
) -> bytes:
    return render_report_pdf(
        build_report(month=month, partner=partner, store=store, now=now), base_url=base_url
    )


# --- the e-mail on the 1st ----------------------------------------------------------------------
def report_recipients() -> list[str]:
    """Marketers get the report: active users of the marketer group who have an e-mail (an
    admin who wants it joins the group; everyone else downloads it)."""
    emails = (
        User.objects.filter(is_active=True, groups__name=MARKETER_GROUP)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    return sorted(set(emails))


def _claim(month: dt.date, *, recipients: list[str], now: dt.datetime) -> bool:
    """Take the month for this run. The insert of its unique row waits while another run holds
    it uncommitted; afterwards it fails if that run committed (the month is sent)."""
    try:
        with transaction.atomic():
            MonthlyReportDelivery.objects.create(month=month, sent_at=now, recipients=recipients)
    except IntegrityError:
        return False
    return True


def send_monthly_report(
    *, now: dt.datetime, month: dt.date | None = None
) -> MonthlyReportDelivery | None:
    """E-mail the whole program's report of `month` (by default the month before `now`'s, in
    the program's time zone) to the marketers, with the PDF attached — once per month: None
    when the month was already sent or nobody is there to receive it."""
    month = month_start(month or previous_month(program_today(now)))
    recipients = report_recipients()
    if not recipients:
        logger.warning("Monthly report %s: no active marketer with an e-mail", f"{month:%Y-%m}")
        return None
    with transaction.atomic(durable=True):
        if not _claim(month, recipients=recipients, now=now):
            return None
        with translation.override(settings.LANGUAGE_CODE):
            report = build_report(month=month, now=now)
            pdf = render_report_pdf(report)
            month_name = formats.date_format(month, "F Y")
            message = EmailMessage(
                subject=gettext("%(program)s: the program's monthly report, %(month)s")
                % {"program": report.program_name, "month": month_name},
                body=gettext(
                    "Hello,\n\nattached is the loyalty program's monthly report (%(month)s): "
                    "the figures, their definitions and the charts.\n\nAny month's report can "
                    "be downloaded in the back-office: %(url)s\n"
                )
                % {"month": month_name, "url": settings.SITE_URL + reverse("program_report")},
                to=recipients,
            )
        message.attach(report_filename(month), pdf, "application/pdf")
        message.send()
        return MonthlyReportDelivery.objects.get(month=month)
