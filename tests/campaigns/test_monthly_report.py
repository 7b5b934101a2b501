"""The monthly program report: a PDF of one month's figures (with their definitions), charts and
tables, for the whole program, a partner or a store; downloadable by marketers, analysts and
admins for any month that has begun; e-mailed to marketers once per month by beat."""

import datetime as dt
import io
import json
import subprocess
import zoneinfo
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django_celery_beat.models import PeriodicTask

from campaigns import monthly_report
from campaigns.metrics import (
    CampaignROI,
    CohortRow,
    DailyFigures,
    ExpiryMonth,
    ProgramMetrics,
    TierMove,
    TierShare,
)
from campaigns.metrics.definitions import METRICS
from campaigns.models import MonthlyReportDelivery
from campaigns.tasks import send_monthly_report
from tests.factories import PartnerFactory, StoreFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

MOSCOW = zoneinfo.ZoneInfo("Europe/Moscow")
NOVEMBER = dt.date(2026, 11, 1)
IN_DECEMBER = dt.datetime(2026, 12, 7, 10, 0, tzinfo=MOSCOW)
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _in_december(time_machine):
    """Today is 7 December 2026 in Moscow unless a test says otherwise."""
    time_machine.move_to(IN_DECEMBER)


# --- helpers ------------------------------------------------------------------------------------
def pdf_text(pdf: bytes) -> str:
    result = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    )
    return result.stdout.decode()


def page_png(pdf: bytes, page: int, dpi: int = 50) -> bytes:
    result = subprocess.run(
        ["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), "-"],
        input=pdf,
        capture_output=True,
        check=True,
    )
    return result.stdout


def inked_share(png: bytes) -> float:
    """The share of the page's pixels that are not (nearly) white."""
    from PIL import Image

    histogram = Image.open(io.BytesIO(png)).convert("L").histogram()
    return sum(histogram[:235]) / sum(histogram)


def page_count(pdf: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True)
    line = next(x for x in info.stdout.decode().splitlines() if x.startswith("Pages:"))
    return int(line.split()[1])


def staff(username: str, group: str | None = None, **fields) -> Client:
    user = UserFactory(username=username, **fields)
    if group:
        user.groups.add(Group.objects.get(name=group))
    client = Client()
    client.force_login(user)
    return client


def november_metrics(**overrides) -> ProgramMetrics:
    """Figures as program_metrics returns them, built by hand for rendering checks."""
    days = [NOVEMBER + dt.timedelta(days=i) for i in range(30)]
    figures = {metric.key: None for metric in METRICS}
    figures.update(
        members=1234,
        new_members=87,
        checks=4321,
        guest_checks=1500,
        card_share=Decimal("0.7423"),
        active_members=987,
        revenue_members=Decimal("1234567.89"),
        retention_rate=Decimal("0.6512"),
        points_issued=45678,
        points_redeemed=23456,
    )
    values = {
        "start": NOVEMBER,
        "end": dt.date(2026, 11, 30),
        "partner_id": None,
        "store_id": None,
        "figures": figures,
        "daily": [
            DailyFigures(
                day=day,
                checks=100 + (day.day * 7) % 60,
                guest_checks=40 + day.day % 9,
                revenue_members=Decimal(30000 + (day.day * 1301) % 20000),
                new_members=day.day % 5,
                points_issued=1200 + (day.day * 97) % 600,
                points_redeemed=600 + (day.day * 53) % 400,
                points_expired=200 if day.day == 30 else 0,
            )
            for day in days
        ],
        "expiry_forecast": [
            ExpiryMonth(
                month=dt.date(2026 + (11 + i) // 12, (11 + i) % 12 + 1, 1),
                points=1000 * (i + 1),
                rub=Decimal(1000 * (i + 1)),
            )
            for i in range(12)
        ],
        "tier_distribution": [
            TierShare("Базовый", 900),
            TierShare("Серебряный", 250),
            TierShare("Золотой", 84),
        ],
        "tier_movements": [TierMove(None, "Базовый", 87), TierMove("Базовый", "Серебряный", 12)],
        "top_campaigns": [
            CampaignROI(
                7,
                "Двойные баллы по средам",
                Decimal("15000.00"),
                Decimal("48000.00"),
                Decimal("2.2000"),
            ),
            CampaignROI(8, "Осенняя распродажа", Decimal("9000.00"), None, None),
        ],
        "cohorts": [
            CohortRow(
                month=dt.date(2026, m, 1),
                members=100 + m,
                shares=[Decimal("0.9") - Decimal("0.07") * i for i in range(12 - m)],
            )
            for m in range(1, 12)
        ],
    }
    values.update(overrides)
    return ProgramMetrics(**values)


@pytest.fixture
def hand_built(monkeypatch):
    """program_metrics answers with `november_metrics()`; the calls are kept."""
    calls = []

    def fake(**kwargs):
        calls.append(kwargs)
        return november_metrics(
            start=kwargs["start"],
            end=kwargs["end"],
            partner_id=kwargs["partner_id"],
            store_id=kwargs["store_id"],
        )

    monkeypatch.setattr("campaigns.metrics.program_metrics", fake)
    return calls


# --- the PDF ------------------------------------------------------------------------------------
def test_the_pdf_shows_the_month_the_scope_each_figure_with_its_definition(hand_built):
    with translation.override("en"):
        pdf = monthly_report.build_report_pdf(month=NOVEMBER, now=IN_DECEMBER)
    text = pdf_text(pdf)
    flat = " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())
    assert "Monthly report" in flat and "November 2026" in flat
    assert "Scope The whole program" in flat
    assert "Period Nov. 1, 2026 — Nov. 30, 2026" in flat
    assert "Копилка · Monthly report · November 2026" in flat  # every page's footer
    assert "Checks with a card 4 321" in flat
    assert "Members' revenue 1 234 567.89 ₽" in flat
    assert "Share of checks with a card 74.2%" in flat
    with translation.override("en"):
        labels = {metric.key: " ".join(str(metric.label).split()) for metric in METRICS}
    for key, label in labels.items():
        assert label in flat, key
    # the definitions in small print: one checked word for word
    assert "Members with at least one purchase in the period." in flat
    assert "Двойные баллы по средам" in flat and "220.0%" in flat
    assert "Серебряный" in flat  # tier movements
    assert hand_built == [
        {
            "start": NOVEMBER,
            "end": dt.date(2026, 11, 30),
            "partner_id": None,
            "store_id": None,
            "now": IN_DECEMBER,
        }
    ]


def test_the_pdf_draws_its_four_charts(hand_built):
    with translation.override("en"):
        report = monthly_report.build_report(month=NOVEMBER, now=IN_DECEMBER)
        pdf = monthly_report.render_report_pdf(report)
    assert set(report.charts) == {"checks", "points", "expiry", "tiers"}
    assert all(uri.startswith("data:image/svg+xml;base64,") for uri in report.charts.values())
    assert page_count(pdf) >= 3
    flat = " ".join(pdf_text(pdf).split())
    assert "Checks and members' revenue per day" in flat
    # the charts' own text: legends, tier names and shares, the forecast's bar labels
    assert "Members' revenue, ₽ (right axis)" in flat
    assert "Issued" in flat and "Redeemed" in flat and "Expired" in flat
    assert "Золотой 84 (6.8%)" in flat
    assert "12,000" in flat
    # The charts' page is mostly drawing: bars and lines, not white paper.
    assert inked_share(page_png(pdf, 2)) > 0.05
    assert inked_share(page_png(pdf, 2)) > 3 * inked_share(_blank_charts_page())


def _blank_charts_page() -> bytes:
    """The same page with no data: axes and "No data" only."""
    empty = november_metrics(daily=[], expiry_forecast=[], tier_distribution=[])
    report = monthly_report.MonthlyReport(
        program_name="Копилка",
        month=NOVEMBER,
        start=NOVEMBER,
        end=dt.date(2026, 11, 30),
        is_partial=False,
        partner=None,
        store=None,
        generated_at=IN_DECEMBER,
        metrics=empty,
        headline=[],
        figure_groups=[],
        charts=monthly_report._charts(empty),
        cohort_width=0,
        cohort_lines=[],
    )
    return page_png(monthly_report.render_report_pdf(report), 2)


def test_the_pdf_in_russian_names_the_month_in_russian(hand_built):
    with translation.override("ru"):
        pdf = monthly_report.build_report_pdf(month=NOVEMBER, now=IN_DECEMBER)
    text = pdf_text(pdf)
    assert "Ноябрь 2026" in text
    assert "4 321" in text.replace("\u202f", " ").replace("\xa0", " ")


def test_a_store_report_names_the_store_and_blanks_the_program_wide_figures(hand_built):
    partner = PartnerFactory(name="Магазин у дома")
    store = StoreFactory(partner=partner, name="Тверская")
    with translation.override("en"):
        pdf = monthly_report.build_report_pdf(month=NOVEMBER, store=store, now=IN_DECEMBER)
    flat = " ".join(pdf_text(pdf).split())
    assert "Store Тверская (Магазин у дома)" in flat
    assert "Counted for the whole program only" in flat
    assert hand_built[0]["partner_id"] == partner.pk and hand_built[0]["store_id"] == store.pk


def test_the_current_month_is_reported_up_to_today(hand_built):
    with translation.override("en"):
        report = monthly_report.build_report(month=dt.date(2026, 12, 1), now=IN_DECEMBER)
    assert (report.start, report.end, report.is_partial) == (
        dt.date(2026, 12, 1),
        dt.date(2026, 12, 7),
        True,
    )


def test_a_month_that_has_not_begun_has_no_report(hand_built):
    with pytest.raises(monthly_report.ReportMonthNotStarted):
        monthly_report.build_report(month=dt.date(2027, 1, 1), now=IN_DECEMBER)
    assert hand_built == []


# --- figures from real data ---------------------------------------------------------------------
@pytest.fixture
def three_purchases_in_november(partner, store, time_machine):
    """Two members join on November 2nd; Anna buys for 1 000 ₽ and 3 000 ₽, Boris for
    2 000 ₽ (no points spent; the base tier earns a point per 50 ₽): 3 checks, 2 active
    members, one of them twice, 6 000 ₽ of members' revenue, 120 points issued."""
    from campaigns.checkout import record_purchase
    from tests.factories import make_member

    joined = dt.datetime(2026, 11, 2, 10, 0, tzinfo=MOSCOW)
    time_machine.move_to(joined)  # the clock of the rows' own timestamps too
    anna = make_member(now=joined, first_name="Анна")
    boris = make_member(now=joined, first_name="Борис")
    for n, (member, amount, day) in enumerate(
        [(anna, "1000.00", 3), (boris, "2000.00", 10), (anna, "3000.00", 20)]
    ):
        record_purchase(
            member_id=member.pk,
            partner=partner,
            store=store,
            external_id=f"NOV-{n}",
            amount=amount,
            now=dt.datetime(2026, 11, day, 15, 0, tzinfo=MOSCOW),
        )
    time_machine.move_to(IN_DECEMBER)
    # A purchase of December is not November's.
    record_purchase(
        member_id=boris.pk,
        partner=partner,
        store=store,
        external_id="DEC-1",
        amount="9000.00",
        now=dt.datetime(2026, 12, 2, 15, 0, tzinfo=MOSCOW),
    )


def test_the_pdf_shows_the_figures_of_the_months_purchases(three_purchases_in_november):
    with translation.override("en"):
        report = monthly_report.build_report(month=NOVEMBER, now=IN_DECEMBER)
        pdf = monthly_report.render_report_pdf(report)
    flat = " ".join(pdf_text(pdf).replace("\u202f", " ").replace("\xa0", " ").split())
    assert "November 2026" in flat
    assert "Checks with a card 3 Purchases recorded for a member." in flat
    assert "Active members 2 " in flat
    assert "New members 2 " in flat
    assert "Members' revenue 6 000.00 ₽" in flat
    assert "Average check, members 2 000.00 ₽" in flat
    assert "Repeat purchase rate 50.0%" in flat
    assert "Points issued 120 " in flat
    days = {row.day: row.checks for row in report.metrics.daily}
    assert len(days) == 30 and sum(days.values()) == 3
    assert days[dt.date(2026, 11, 20)] == 1


# --- the page and the download ------------------------------------------------------------------
URL = "/admin/reports/monthly/"


def test_the_url_is_named_program_report():
    assert reverse("program_report") == URL


@pytest.mark.parametrize(
    ("group", "superuser"), [("marketer", False), ("analyst", False), (None, True)]
)
def test_marketers_analysts_and_admins_download_the_pdf(hand_built, group, superuser):
    client = staff(f"reader-{group}", group, is_superuser=superuser)
    response = client.get(URL, {"month": "2026-11"}, **EN)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="kopilka-report-2026-11.pdf"'
    assert "November 2026" in pdf_text(response.content)


def test_without_parameters_the_page_offers_a_month_and_a_scope(hand_built):
    response = staff("m1", "marketer").get(URL, **EN)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'type="month"' in page and 'name="partner"' in page and 'name="store"' in page
    assert "Monthly program report" in page
    assert hand_built == []


def test_other_staff_and_cashiers_and_strangers_get_no_report(hand_built, store):
    assert staff("plain-staff").get(URL, {"month": "2026-11"}).status_code == 403
    cashier = staff("till", "cashier", is_staff=False, store=store)
    assert cashier.get(URL, {"month": "2026-11"}).status_code == 302  # to the admin's login
    anonymous = Client().get(URL, {"month": "2026-11"})
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    assert hand_built == []


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({"month": "2026-13"}, "Give the month as YYYY-MM, for example 2026-11."),
        ({"month": "ноябрь"}, "Give the month as YYYY-MM, for example 2026-11."),
        ({"month": ""}, "Choose the month of the report."),
        ({"partner": "1"}, "Choose the month of the report."),
        ({"month": "2027-01"}, "This month has not started yet: its report does not exist."),
        ({"month": "2026-11", "partner": "999999"}, "There is no such partner."),
        ({"month": "2026-11", "partner": "x"}, "There is no such partner."),
        ({"month": "2026-11", "partner": "99999999999999999999"}, "There is no such partner."),
        ({"month": "2026-11", "store": "999999"}, "There is no such store at the chosen partner."),
    ],
)
def test_a_bad_month_or_scope_is_a_form_error_on_the_page(hand_built, time_machine, query, error):
    time_machine.move_to(IN_DECEMBER)
    response = staff("m2", "marketer").get(URL, query, **EN)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert error in response.content.decode()
    assert hand_built == []


def test_a_store_of_another_partner_is_refused(hand_built):
    ours, theirs = PartnerFactory(name="Ours"), PartnerFactory(name="Theirs")
    store = StoreFactory(partner=theirs)
    response = staff("m3", "marketer").get(
        URL, {"month": "2026-11", "partner": ours.pk, "store": store.pk}, **EN
    )
    assert response.status_code == 400
    assert "There is no such store at the chosen partner." in response.content.decode()


def test_a_partner_report_downloads_for_the_partner(hand_built, time_machine):
    time_machine.move_to(IN_DECEMBER)
    partner = PartnerFactory(name="Магазин у дома")
    response = staff("m4", "analyst").get(URL, {"month": "2026-11", "partner": partner.pk}, **EN)
    assert response.status_code == 200
    assert "Partner Магазин у дома" in " ".join(pdf_text(response.content).split())
    assert hand_built[0]["partner_id"] == partner.pk and hand_built[0]["store_id"] is None


# --- the e-mail on the 1st ----------------------------------------------------------------------
@pytest.fixture
def marketers(db):
    # get_or_create: a transactional test may run after another one flushed the groups
    marketer = Group.objects.get_or_create(name="marketer")[0]
    people = {
        "olga": UserFactory(username="olga", email="olga@kopilka.local"),
        "pavel": UserFactory(username="pavel", email="pavel@kopilka.local"),
        "gone": UserFactory(username="gone", email="gone@kopilka.local", is_active=False),
        "no-mail": UserFactory(username="no-mail", email=""),
    }
    for user in people.values():
        user.groups.add(marketer)
    analyst = UserFactory(username="ana", email="ana@kopilka.local")
    analyst.groups.add(Group.objects.get_or_create(name="analyst")[0])
    return people


@pytest.fixture
def locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.LANGUAGE_CODE = "en"
    mail.outbox.clear()


def test_on_the_1st_last_months_report_goes_to_active_marketers_once(
    hand_built, marketers, locmem_mail, time_machine
):
    time_machine.move_to(dt.datetime(2026, 12, 1, 7, 0, tzinfo=MOSCOW))
    assert "sent to 2" in send_monthly_report.delay().get()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == ["olga@kopilka.local", "pavel@kopilka.local"]
    assert "November 2026" in message.subject
    ((name, pdf, mimetype),) = message.attachments
    assert (name, mimetype) == ("kopilka-report-2026-11.pdf", "application/pdf")
    assert "November 2026" in pdf_text(pdf)
    delivery = MonthlyReportDelivery.objects.get()
    assert delivery.month == NOVEMBER
    assert delivery.recipients == ["olga@kopilka.local", "pavel@kopilka.local"]
    assert hand_built[0]["start"] == NOVEMBER and hand_built[0]["end"] == dt.date(2026, 11, 30)

    # beat runs again the same month (a re-run, a second worker): nothing more is sent
    time_machine.move_to(dt.datetime(2026, 12, 1, 9, 30, tzinfo=MOSCOW))
    assert "already sent" in send_monthly_report.delay().get()
    assert len(mail.outbox) == 1
    assert MonthlyReportDelivery.objects.count() == 1


def test_the_month_is_the_one_before_in_the_programs_time_zone(
    hand_built, marketers, locmem_mail, time_machine
):
    # 1 January 00:30 in Moscow is still 31 December in UTC: the report is December's.
    time_machine.move_to(dt.datetime(2026, 12, 31, 21, 30, tzinfo=dt.UTC))
    send_monthly_report.delay().get()
    assert MonthlyReportDelivery.objects.get().month == dt.date(2026, 12, 1)


def test_a_failed_send_leaves_the_month_to_the_next_run(
    hand_built, marketers, locmem_mail, time_machine, monkeypatch
):
    time_machine.move_to(dt.datetime(2026, 12, 1, 7, 0, tzinfo=MOSCOW))

    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("the mail server is down")

    with monkeypatch.context() as patch:
        patch.setattr("django.core.mail.EmailMessage.send", refuse)
        with pytest.raises(ConnectionRefusedError):
            send_monthly_report.delay().get()
    assert not MonthlyReportDelivery.objects.exists()
    send_monthly_report.delay().get()
    assert len(mail.outbox) == 1


def test_with_no_marketer_to_receive_it_nothing_is_claimed(hand_built, locmem_mail, time_machine):
    time_machine.move_to(dt.datetime(2026, 12, 1, 7, 0, tzinfo=MOSCOW))
    assert "nobody to send it to" in send_monthly_report.delay().get()
    assert mail.outbox == [] and not MonthlyReportDelivery.objects.exists()


def test_the_command_writes_the_pdf_and_sends_once(
    hand_built, marketers, locmem_mail, time_machine, tmp_path
):
    time_machine.move_to(IN_DECEMBER)
    out = tmp_path / "report.pdf"
    call_command("monthly_report", "--month", "2026-11", "--output", str(out), "--language", "en")
    assert "November 2026" in pdf_text(out.read_bytes())
    call_command("monthly_report", "--month", "2026-11", "--send")
    call_command("monthly_report", "--month", "2026-11", "--send")
    assert len(mail.outbox) == 1


# --- the schedule -------------------------------------------------------------------------------
def test_beat_sends_the_report_on_the_1st_at_7_in_the_programs_time_zone():
    task = PeriodicTask.objects.get(task="campaigns.tasks.send_monthly_report")
    assert task.enabled
    crontab = task.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_month) == ("0", "7", "1")
    assert (crontab.day_of_week, crontab.month_of_year) == ("*", "*")
    assert str(crontab.timezone) == "Europe/Moscow"
    assert json.loads(task.kwargs or "{}") == {}


@pytest.mark.django_db(transaction=True)
def test_two_workers_on_the_1st_send_the_month_once(
    hand_built, marketers, locmem_mail, time_machine, monkeypatch
):
    """The second worker waits on the first's claim of the month, then finds it sent."""
    import threading
    import time

    from django.db import connection

    time_machine.move_to(dt.datetime(2026, 12, 1, 7, 0, tzinfo=MOSCOW))
    sending, proceed = threading.Event(), threading.Event()
    real_send = mail.EmailMessage.send

    def held_send(self, *args, **kwargs):
        sending.set()
        assert proceed.wait(timeout=60)
        return real_send(self, *args, **kwargs)

    monkeypatch.setattr("django.core.mail.EmailMessage.send", held_send)
    outcomes = {}

    def worker(name):
        try:
            outcomes[name] = monthly_report.send_monthly_report(now=IN_DECEMBER, month=NOVEMBER)
        finally:
            connection.close()

    def claims_waiting() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted"
            )
            return cursor.fetchone()[0]

    first = threading.Thread(target=worker, args=("first",))
    second = threading.Thread(target=worker, args=("second",))
    first.start()
    try:
        assert sending.wait(timeout=60)
        second.start()
        deadline = time.monotonic() + 30
        while claims_waiting() < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert claims_waiting() == 1, "the second worker should wait for the first's claim"
    finally:
        proceed.set()
        for thread in (first, second):
            if thread.ident is not None:
                thread.join(timeout=60)
    assert outcomes["first"] is not None and outcomes["second"] is None
    assert len(mail.outbox) == 1
    assert MonthlyReportDelivery.objects.count() == 1
