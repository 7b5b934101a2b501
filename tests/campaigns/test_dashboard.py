"""The program dashboard (the admin's index for marketers, analysts and admins): who sees it,
which period it shows, how bad input is answered, and how the figures are printed."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from campaigns import metrics
from campaigns.dashboard.forms import preset_period
from campaigns.dashboard.presentation import NARROW_NBSP, format_value, heat_step
from campaigns.metrics import UnknownScope
from campaigns.metrics.definitions import METRICS
from campaigns.models import MetricsDay
from loyalty.services.program import clear_cache as clear_program_cache
from tests.campaigns.conftest import EN, staff_client
from tests.campaigns.dashboard_data import sample_result
from tests.campaigns.metrics_history import MARCH, build_history
from tests.factories import StoreFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 7)
NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=3)))
THIN = NARROW_NBSP
PAGE_QUERIES = 9
QUERY_BUDGET = 30  # with the one campaign of the history: program_metrics reads 6 per campaign


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def calls(monkeypatch):
    """program_metrics replaced by the hand-built result; the calls it got are returned."""
    seen = []

    def fake(*, start, end, partner_id=None, store_id=None, now):
        seen.append({"start": start, "end": end, "partner_id": partner_id, "store_id": store_id})
        return sample_result(start=start, end=end, partner_id=partner_id, store_id=store_id)

    monkeypatch.setattr(metrics, "program_metrics", fake, raising=False)
    return seen


def page(client, query="", **headers):
    response = client.get(f"/admin/{query}", **{**EN, **headers})
    assert response.status_code == 200
    return response.content.decode()


def superuser_client() -> Client:
    client = Client()
    client.force_login(UserFactory(username="boss", is_superuser=True))
    return client


# --- who sees it ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["marketer", "analyst"])
def test_marketers_and_analysts_get_the_dashboard_as_the_admin_index(role, calls, en):
    html = page(staff_client(f"{role}-d", role))
    assert 'id="dashboard-filter"' in html
    assert "Program dashboard" in html
    assert 'id="all-sections"' in html  # the usual sections stay below the figures


def test_a_superuser_gets_the_dashboard(calls, en):
    assert 'id="dashboard-filter"' in page(superuser_client())


def test_staff_without_a_dashboard_role_get_the_usual_index(calls, en):
    html = page(staff_client("clerk", "cashier"))
    assert 'id="dashboard-filter"' not in html
    assert "Site administration" in html or "Loyalty program administration" in html
    assert calls == []  # no figures were computed for them


def test_a_cashier_without_staff_status_is_sent_to_the_login_page(calls, en):
    client = staff_client("till", "cashier", is_staff=False)
    response = client.get("/admin/", **EN)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert calls == []


def test_a_visitor_is_sent_to_the_login_page(client, calls):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/"


def test_the_app_list_is_still_there_for_the_dashboard_users(marketer, calls, en):
    html = page(marketer)
    sections = html[html.index('id="all-sections"') :]
    assert "/admin/campaigns/campaign/" in sections
    assert "/admin/customers/member/" in sections


# --- the period -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("preset", "today", "first", "last"),
    [
        ("this_month", dt.date(2026, 12, 7), dt.date(2026, 12, 1), dt.date(2026, 12, 7)),
        ("last_month", dt.date(2026, 12, 7), dt.date(2026, 11, 1), dt.date(2026, 11, 30)),
        ("last_month", dt.date(2026, 1, 15), dt.date(2025, 12, 1), dt.date(2025, 12, 31)),
        ("last_month", dt.date(2028, 3, 31), dt.date(2028, 2, 1), dt.date(2028, 2, 29)),
        ("last_30_days", dt.date(2026, 12, 7), dt.date(2026, 11, 8), dt.date(2026, 12, 7)),
        ("this_quarter", dt.date(2026, 12, 7), dt.date(2026, 10, 1), dt.date(2026, 12, 7)),
        ("this_quarter", dt.date(2026, 3, 31), dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
        ("this_quarter", dt.date(2026, 4, 1), dt.date(2026, 4, 1), dt.date(2026, 4, 1)),
        ("this_year", dt.date(2026, 12, 7), dt.date(2026, 1, 1), dt.date(2026, 12, 7)),
    ],
)
def test_preset_periods_run_up_to_today_or_cover_the_whole_last_month(preset, today, first, last):
    assert preset_period(preset, today=today) == (first, last)


def test_last_30_days_are_thirty_days_counting_today():
    first, last = preset_period("last_30_days", today=TODAY)
    assert (last - first).days + 1 == 30


def test_without_a_choice_the_dashboard_shows_this_month_for_the_whole_program(marketer, calls, en):
    html = page(marketer)
    assert calls == [
        {"start": dt.date(2026, 12, 1), "end": TODAY, "partner_id": None, "store_id": None}
    ]
    assert "1 December 2026 – 7 December 2026" in html


def test_a_preset_is_resolved_on_the_server(marketer, calls, en):
    page(marketer, "?period=last_month")
    assert (calls[0]["start"], calls[0]["end"]) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))


def test_a_custom_period_takes_the_dates_given(marketer, calls, en):
    page(marketer, "?period=custom&start=2026-09-15&end=2026-10-14")
    assert (calls[0]["start"], calls[0]["end"]) == (dt.date(2026, 9, 15), dt.date(2026, 10, 14))


def test_dates_without_a_preset_mean_a_custom_period(marketer, calls, en):
    page(marketer, "?start=2026-09-15&end=2026-10-14")
    assert (calls[0]["start"], calls[0]["end"]) == (dt.date(2026, 9, 15), dt.date(2026, 10, 14))


def test_dates_given_with_a_preset_are_ignored(marketer, calls, en):
    page(marketer, "?period=this_year&start=2026-09-15&end=2026-10-14")
    assert (calls[0]["start"], calls[0]["end"]) == (dt.date(2026, 1, 1), TODAY)


def test_a_store_scopes_the_figures_to_it_and_its_partner(marketer, calls, en):
    store = StoreFactory()
    page(marketer, f"?partner={store.partner_id}&store={store.pk}")
    assert calls[0]["partner_id"] == store.partner_id
    assert calls[0]["store_id"] == store.pk


def test_a_store_alone_brings_its_partner(marketer, calls, en):
    store = StoreFactory()
    page(marketer, f"?store={store.pk}")
    assert (calls[0]["partner_id"], calls[0]["store_id"]) == (store.partner_id, store.pk)


def test_the_store_list_offers_only_the_chosen_partners_stores(marketer, calls, en):
    ours, theirs = StoreFactory(name="Ours"), StoreFactory(name="Theirs")
    html = page(marketer, f"?partner={ours.partner_id}")
    store_select = re.search(r'<select name="store".*?</select>', html, re.S).group(0)
    assert "Ours" in store_select
    assert "Theirs" not in store_select
    assert f'data-partner="{ours.partner_id}"' in store_select
    assert theirs.pk


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("?period=custom&start=2026-11-20&end=2026-11-01", "The period ends before it starts."),
        ("?period=custom&start=2026-11-20", "A custom period needs both dates"),
        ("?period=custom&start=2026-11-20&end=2026-12-31", "The period cannot end after today."),
        ("?period=custom&start=2020-01-01&end=2026-12-01", "A period can be at most 731 days"),
        ("?period=custom&start=2026-13-01&end=2026-12-01", "Enter a valid date."),
        ("?period=next_century", "Select a valid choice."),
        ("?partner=abc", "There is no such partner."),
        ("?partner=999999", "There is no such partner."),
    ],
)
def test_bad_input_shows_an_error_in_the_page_and_computes_nothing(
    marketer, calls, en, query, error
):
    html = page(marketer, query)
    assert error in html
    assert 'class="errorlist' in html or 'class="errornote"' in html
    assert calls == []
    assert 'id="dashboard-data"' not in html


def test_a_scope_the_metrics_engine_refuses_is_a_form_error_not_a_server_error(
    marketer, monkeypatch, en
):
    def refuse(**kwargs):
        raise UnknownScope

    monkeypatch.setattr(metrics, "program_metrics", refuse)
    html = page(marketer)
    assert "No such partner or store." in html
    assert 'id="dashboard-data"' not in html


def test_a_store_of_another_partner_is_refused(marketer, calls, en):
    ours, theirs = StoreFactory(), StoreFactory()
    html = page(marketer, f"?partner={ours.partner_id}&store={theirs.pk}")
    assert "There is no such store at the chosen partner." in html
    assert calls == []


# --- how figures are printed ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "english", "russian"),
    [
        (
            Decimal("1234567.5"),
            "rub",
            f"1{THIN}234{THIN}567.50\u00a0₽",
            f"1{THIN}234{THIN}567,50\u00a0₽",
        ),
        (Decimal("0.005"), "rub", "0.01\u00a0₽", "0,01\u00a0₽"),
        (Decimal("-12.3"), "rub", "\u221212.30\u00a0₽", "\u221212,30\u00a0₽"),
        (Decimal("0.1234"), "percent", "12.3%", "12,3\u00a0%"),
        (Decimal("1"), "percent", "100.0%", "100,0\u00a0%"),
        (Decimal("-0.25"), "percent", "\u221225.0%", "\u221225,0\u00a0%"),
        (12345, "count", f"12{THIN}345", f"12{THIN}345"),
        (999, "count", "999", "999"),
        (1234567, "points", f"1{THIN}234{THIN}567", f"1{THIN}234{THIN}567"),
        (Decimal("1.5"), "times", "1.50", "1,50"),
        (None, "rub", "—", "—"),
        (None, "percent", "—", "—"),
    ],
)
def test_figures_are_printed_for_their_unit(value, unit, english, russian):
    with translation.override("en"):
        assert format_value(value, unit) == english
    with translation.override("ru"):
        assert format_value(value, unit) == russian


def test_every_metric_has_a_card_with_its_printed_value(marketer, calls, en):
    html = page(marketer)
    printed = {
        "count": f"12{THIN}345",
        "points": f"1{THIN}234{THIN}567",
        "rub": f"1{THIN}234{THIN}567.50\u00a0₽",
        "percent": "12.3%",
        "times": "1.50",
    }
    for metric in METRICS:
        value = re.search(rf'data-metric="{metric.key}">([^<]*)<', html).group(1)
        assert value == ("—" if metric.key == "ltv" else printed[metric.unit]), metric.key


def test_every_figure_carries_its_definition_as_a_title_and_an_accessible_description(
    marketer, calls, en
):
    with translation.override("en"):
        expected = {metric.key: str(metric.definition) for metric in METRICS}
    html = page(marketer)
    from html import unescape

    for key, definition in expected.items():
        card = re.search(rf'<div class="dash-card[^"]*" id="figure-{key}"[^>]*>', html).group(0)
        assert unescape(re.search(r'title="([^"]*)"', card).group(1)) == definition
        assert f'aria-describedby="definition-{key}"' in card
        tip = re.search(
            rf'<dd class="dash-tip" role="tooltip" id="definition-{key}">([^<]*)<', html
        )
        assert unescape(tip.group(1)) == definition


def test_the_figures_are_grouped_into_members_checks_points_and_money(marketer, calls, en):
    html = page(marketer)
    order = [html.index(f'id="group-{key}"') for key in ("members", "checks", "points", "money")]
    assert order == sorted(order)
    members_group = html[order[0] : order[1]]
    assert 'id="figure-retention_rate"' in members_group
    money_group = html[order[3] :]
    assert 'id="figure-liability"' in money_group


def test_program_wide_figures_say_so_for_a_partner(marketer, monkeypatch, en):
    store = StoreFactory()

    def fake(*, start, end, partner_id=None, store_id=None, now):
        result = sample_result(start=start, end=end, partner_id=partner_id, store_id=store_id)
        wide = {m.key for m in METRICS if m.program_wide}
        return sample_result(
            start=start,
            end=end,
            partner_id=partner_id,
            figures={k: (None if k in wide else v) for k, v in result.figures.items()},
        )

    monkeypatch.setattr(metrics, "program_metrics", fake, raising=False)
    html = page(marketer, f"?partner={store.partner_id}")
    card = html[html.index('id="figure-liability"') :][:800]
    assert "Whole program only" in card
    assert "Whole program only" not in html[html.index('id="figure-checks"') :][:600]


def test_tables_show_tier_movements_campaigns_and_cohort_shades(marketer, calls, en):
    html = page(marketer)
    movements = html[html.index('id="tier-movements"') : html.index('id="top-campaigns"')]
    assert "joined" in movements and f"1{THIN}204" in movements
    campaigns = html[html.index('id="top-campaigns"') : html.index('id="cohorts"')]
    assert "Double points weekend" in campaigns
    assert f"12{THIN}500.00\u00a0₽" in campaigns and "150.0%" in campaigns
    assert "/admin/campaigns/campaign/7/change/" in campaigns
    cohorts = html[html.index('id="cohorts"') : html.index('id="all-sections"')]
    assert "October 2026" in cohorts
    assert '<td class="num heat heat-5">46.0%</td>' in cohorts
    assert '<td class="num heat heat-0">4.0%</td>' in cohorts
    assert '<td class="num heat"></td>' in cohorts  # a month not reached yet: no shade


@pytest.mark.parametrize(
    ("share", "step"), [("0", 0), ("0.04", 0), ("0.05", 1), ("0.46", 5), ("1", 10)]
)
def test_cohort_cells_are_shaded_by_their_share(share, step):
    assert heat_step(Decimal(share)) == step


def test_charts_get_their_data_as_json_and_no_inline_script_runs(marketer, calls, en):
    html = page(marketer)
    data = re.search(
        r'<script id="dashboard-data" type="application/json">(.*?)</script>', html, re.S
    )
    assert '"days": ["2026-12-01"' in data.group(1)
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    for chart in ("chart-checks", "chart-points", "chart-expiry", "chart-tiers"):
        assert f'<canvas id="{chart}"' in html
    assert "/static/vendor/chartjs/chart.umd.min.js" in html


def test_the_freshness_note_names_the_rollups_last_run(marketer, calls, monkeypatch, en):
    MetricsDay.objects.create(
        day=dt.date(2026, 12, 6), computed_at=dt.datetime(2026, 12, 7, 0, 20, tzinfo=dt.UTC)
    )
    html = page(marketer)
    assert "Figures up to yesterday come from the nightly rollup; today's are live." in html
    assert "The rollup last ran on 7 December 2026, 03:30." in html


# --- the monthly report link ------------------------------------------------------------------


def test_the_monthly_report_link_names_the_month_and_scope(marketer, calls, en):
    store = StoreFactory()
    html = page(marketer, f"?period=last_month&partner={store.partner_id}&store={store.pk}")
    link = re.search(r'id="monthly-report-link" class="dash-link" href="([^"]*)"', html).group(1)
    assert link == (
        f"{reverse('program_report')}?month=2026-11&amp;partner={store.partner_id}"
        f"&amp;store={store.pk}"
    )


# --- the real figures, and the cost ----------------------------------------------------------


def test_the_page_prints_what_the_metrics_engine_computed(marketer, en):
    """March 2026 of the metrics tests' hand-computed history (tests/campaigns/test_metrics.py),
    read through the page: five members, five checks with a card and three without."""
    build_history()
    html = page(marketer, "?period=custom&start=2026-03-01&end=2026-03-31")
    value = lambda key: re.search(rf'data-metric="{key}">([^<]*)<', html).group(1)  # noqa: E731
    assert value("members") == "5"
    assert value("checks") == "5"
    assert value("guest_checks") == "3"
    assert value("card_share") == "62.5%"
    result = metrics.program_metrics(start=MARCH[0], end=MARCH[1], now=timezone.now())
    with translation.override("en"):
        for metric in METRICS:
            assert value(metric.key) == format_value(result.figures[metric.key], metric.unit)


def test_the_page_adds_a_fixed_number_of_queries_to_the_figures(en, django_assert_max_num_queries):
    """Besides program_metrics, the page reads the session, the user, their role and
    permissions, the messaging settings (the app list), the last rollup, the partners and the
    stores: nine reads, however many partners and stores there are."""
    build_history()
    client = staff_client("marketer-q", "marketer")
    for _ in range(5):
        StoreFactory()
    clear_program_cache()
    with CaptureQueriesContext(connection) as engine:
        metrics.program_metrics(start=MARCH[0], end=MARCH[1], now=timezone.now())
    clear_program_cache()
    with django_assert_max_num_queries(QUERY_BUDGET) as whole_page:
        page(client, "?period=custom&start=2026-03-01&end=2026-03-31")
    assert len(whole_page) - len(engine) <= PAGE_QUERIES
