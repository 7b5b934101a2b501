"""The program's figures (docs/METRICS.md) on a small history built with the real services; the
expected numbers are worked out by hand from the definitions, in the comments.

The history (Moscow time, 2026; a point is worth 1 ₽; the base tier earns 1 point per 50 ₽):
  members  A joined 10 Jan, B 20 Jan, C 5 Feb, D 3 Mar, E 10 Mar (E never buys)
  stores   S1 and S2 of partner P, S3 of partner Q
  purchases
    A 15 Jan S2   800 → earns 16
    A 10 Feb S1  1000 → 20        B 15 Feb S3  2000 → 40        C 20 Feb S1   500 → 10
    A  5 Mar S1  1000, pays 30 points → 970 paid, earns 19
    C  7 Mar S1   400 → 8         D  8 Mar S2  1500 → 30
    A 12 Mar S2   600 → 12, half refunded (300 ₽) on 20 Mar: 6 points clawed back
    C 25 Mar S3   300 → 6
  checks without a card: 12 Feb S1 200; March S1 700, S2 300, S3 500
  welcome campaign from 1 Mar: 100 points for D (3 Mar) and E (10 Mar), living 14 days — both
    burnt on 28 Mar (200 expired)
  by hand: C +50 on 15 Mar, B −10 on 16 Mar
"""

import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from campaigns.metrics import program_metrics
from campaigns.metrics.definitions import METRICS
from loyalty.models import Program, Tier
from loyalty.services.program import clear_cache
from tests.campaigns.metrics_history import AFTER_MARCH, MARCH, build_history

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(db):
    return build_history()


def march(**scope):
    return program_metrics(start=MARCH[0], end=MARCH[1], now=AFTER_MARCH, **scope)


def test_the_programs_figures_for_march(history):
    figures = march().figures

    assert figures["members"] == 5  # A–E joined by 31 March
    assert figures["new_members"] == 2  # D, E
    assert figures["checks"] == 5  # A twice, C twice, D
    assert figures["guest_checks"] == 3
    assert figures["card_share"] == Decimal("0.6250")  # 5 / (5 + 3)
    assert figures["active_members"] == 3  # A, C, D
    assert figures["new_buyers"] == 1  # D's first purchase ever
    # (3 active − 1 first-time buyer) / 3 active in 29 Jan – 28 Feb (A, B, C)
    assert figures["retention_rate"] == Decimal("0.6667")
    assert figures["churn_rate"] == Decimal("0.3333")
    assert figures["repeat_purchase_rate"] == Decimal("0.6667")  # A and C bought twice, of 3
    assert figures["purchase_frequency"] == Decimal("1.6667")  # 5 checks / 3 members
    assert figures["average_check_members"] == Decimal("760.00")  # 3800 / 5
    assert figures["average_check_others"] == Decimal("500.00")  # 1500 / 3
    # paid 970 + 400 + 1500 + 600 + 300 = 3770, less 300 refunded
    assert figures["revenue_members"] == Decimal("3470.00")
    # paid net by the end: 800 + 1000 + 2000 + 500 (before March) + 3470 = 7770; 4 buyers
    assert figures["ltv"] == Decimal("1942.50")
    # earned 19 + 8 + 30 + 12 + 6 = 75, welcome 200, by hand +50
    assert figures["points_issued"] == 325
    assert figures["points_redeemed"] == 30
    assert figures["points_expired"] == 200
    assert figures["points_taken_back"] == 16  # 6 clawed back + 10 removed by hand
    # before March 16 + 20 + 40 + 10 = 86; 86 + 325 − 30 − 200 − 16 = 165
    assert figures["points_outstanding"] == 165
    assert figures["liability"] == Decimal("165.00")
    assert figures["redemption_rate"] == Decimal("0.0923")  # 30 / 325
    assert figures["breakage"] == Decimal("0.8696")  # 200 / (30 + 200)
    assert figures["program_cost"] == Decimal("30.00")
    # ((760 − 500) × 5 − 30) / 30
    assert figures["program_roi"] == Decimal("42.3333")
    assert figures["cost_per_new_member"] == Decimal("100.00")  # 200 ₽ of welcome / 2
    # (30 − 200) / (3 active − 1 first-time buyer): the welcome points were not spent
    assert figures["cost_per_retained_member"] == Decimal("-85.00")
    assert list(figures) == [metric.key for metric in METRICS]


def test_outstanding_points_move_by_the_points_issued_redeemed_expired_and_taken_back(history):
    february = program_metrics(
        start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 28), now=AFTER_MARCH
    ).figures
    figures = march().figures

    assert figures["points_outstanding"] == (
        february["points_outstanding"]
        + figures["points_issued"]
        - figures["points_redeemed"]
        - figures["points_expired"]
        - figures["points_taken_back"]
    )


def test_a_partners_figures_count_only_its_stores(history):
    figures = march(partner_id=history.p.pk).figures

    assert figures["checks"] == 4  # A twice, C on 7 Mar, D
    assert figures["guest_checks"] == 2  # S1 700, S2 300
    assert figures["card_share"] == Decimal("0.6667")
    assert figures["active_members"] == 3
    assert figures["new_buyers"] == 1  # D; A and C bought at P in February
    # (3 − 1) / 2 active at P in 29 Jan – 28 Feb (A, C; B bought at Q)
    assert figures["retention_rate"] == Decimal("1.0000")
    assert figures["churn_rate"] == Decimal("0.0000")
    assert figures["repeat_purchase_rate"] == Decimal("0.3333")  # only A twice at P
    assert figures["purchase_frequency"] == Decimal("1.3333")
    assert figures["average_check_members"] == Decimal("875.00")  # 3500 / 4
    assert figures["average_check_others"] == Decimal("500.00")  # 1000 / 2
    assert figures["revenue_members"] == Decimal("3170.00")  # 970 + 400 + 1500 + 600 − 300
    assert figures["ltv"] == Decimal("1823.33")  # (800 + 1000 + 500 + 3170) / 3 (A, C, D)
    assert figures["points_issued"] == 69  # earned at P: 19 + 8 + 30 + 12
    assert figures["points_redeemed"] == 30
    assert figures["redemption_rate"] == Decimal("0.4348")  # 30 / 69
    assert figures["program_cost"] == Decimal("30.00")
    assert figures["program_roi"] == Decimal("49.0000")  # ((875 − 500) × 4 − 30) / 30
    for metric in METRICS:
        if metric.program_wide:
            assert figures[metric.key] is None, metric.key


def test_a_stores_figures_and_none_where_a_denominator_is_zero(history):
    figures = march(store_id=history.s3.pk).figures

    assert figures["checks"] == 1  # C on 25 Mar
    assert figures["card_share"] == Decimal("0.5000")  # 1 / (1 + 1)
    assert figures["active_members"] == 1
    assert figures["new_buyers"] == 1  # C's first purchase at S3
    assert figures["retention_rate"] == Decimal("0.0000")  # (1 − 1) / 1 (B in February)
    assert figures["churn_rate"] == Decimal("1.0000")
    assert figures["repeat_purchase_rate"] == Decimal("0.0000")
    assert figures["ltv"] == Decimal("1150.00")  # (2000 + 300) / 2 (B, C)
    assert figures["points_issued"] == 6
    assert figures["points_redeemed"] == 0
    assert figures["redemption_rate"] == Decimal("0.0000")
    assert figures["program_cost"] == Decimal("0.00")
    assert figures["program_roi"] is None  # no cost to divide by
    assert figures["members"] is None  # program-wide


def test_a_period_with_nothing_in_it_has_no_ratios(history):
    figures = program_metrics(
        start=dt.date(2025, 6, 1), end=dt.date(2025, 6, 30), now=AFTER_MARCH
    ).figures

    assert figures["checks"] == 0
    assert figures["active_members"] == 0
    for key in (
        "card_share",
        "retention_rate",
        "churn_rate",
        "repeat_purchase_rate",
        "purchase_frequency",
        "average_check_members",
        "average_check_others",
        "ltv",
        "redemption_rate",
        "breakage",
        "program_roi",
        "cost_per_new_member",
        "cost_per_retained_member",
    ):
        assert figures[key] is None, key


def test_daily_figures(history):
    daily = {row.day: row for row in march().daily}

    assert len(daily) == 31
    assert daily[dt.date(2026, 3, 5)].checks == 1
    assert daily[dt.date(2026, 3, 5)].revenue_members == Decimal("970.00")
    assert daily[dt.date(2026, 3, 5)].points_issued == 19
    assert daily[dt.date(2026, 3, 5)].points_redeemed == 30
    assert daily[dt.date(2026, 3, 3)].new_members == 1  # D, with 100 welcome points
    assert daily[dt.date(2026, 3, 3)].points_issued == 100
    assert daily[dt.date(2026, 3, 9)].guest_checks == 1
    assert daily[dt.date(2026, 3, 20)].revenue_members == Decimal("-300.00")  # the refund
    assert daily[dt.date(2026, 3, 28)].points_expired == 200


def test_expiry_forecast_tiers_and_campaigns(history):
    result = march()

    forecast = {row.month: row.points for row in result.expiry_forecast}
    assert min(forecast) == dt.date(2026, 4, 1) and len(forecast) == 12
    # Points live 6 months to the end of the day. August: A's February lot (20 − 14 spent),
    # B's (40 − 10), C's (10); September: A 19 + (12 − 6), C 8 + 50 + 6, D 30.
    assert forecast[dt.date(2026, 8, 1)] == 46
    assert forecast[dt.date(2026, 9, 1)] == 119
    assert sum(forecast.values()) == 165  # everything outstanding
    base = Tier.objects.get(code="base")
    lowest = result.tier_distribution[0]
    assert (lowest.tier, lowest.members) == (base.display_name, 5)
    assert [(m.from_tier, m.to_tier, m.count) for m in result.tier_movements] == [
        (None, base.display_name, 2)  # D and E joined
    ]
    [welcome] = result.top_campaigns
    assert welcome.name == "Welcome"
    assert welcome.cost == Decimal("200.00")
    assert welcome.roi is None  # no holdout group to compare with


def test_cohorts_by_month_of_joining(history):
    cohorts = {row.month: row for row in march().cohorts}

    assert min(cohorts) == dt.date(2025, 4, 1) and len(cohorts) == 12
    january = cohorts[dt.date(2026, 1, 1)]  # A, B
    assert january.members == 2
    # January: A bought; February: A and B; March: A; April on: not reached
    assert january.shares[:4] == [Decimal("0.5000"), Decimal("1.0000"), Decimal("0.5000"), None]
    february = cohorts[dt.date(2026, 2, 1)]  # C, who bought in February and March
    assert february.shares[:3] == [Decimal("1.0000"), Decimal("1.0000"), None]
    assert cohorts[dt.date(2026, 3, 1)].shares[:2] == [Decimal("0.5000"), None]  # D of D, E
    assert cohorts[dt.date(2025, 12, 1)].members == 0


def test_point_value_prices_the_liability_and_the_cost(history):
    Program.objects.filter(pk=1).update(point_value=Decimal("0.50"))
    clear_cache()

    figures = march().figures

    assert figures["liability"] == Decimal("82.50")  # 165 × 0.50
    assert figures["program_cost"] == Decimal("15.00")  # 30 × 0.50
    assert figures["cost_per_new_member"] == Decimal("50.00")  # 200 × 0.50 / 2


def test_the_command_prints_the_figures_as_json(history):
    out = StringIO()
    call_command(
        "program_metrics",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
        "--store",
        str(history.s3.pk),
        "--now",
        AFTER_MARCH.isoformat(),
        stdout=out,
    )

    data = json.loads(out.getvalue())
    assert data["scope"] == "store"
    assert data["partner_id"] == history.q.pk
    assert data["figures"]["checks"] == 1
    assert data["figures"]["ltv"] == "1150.00"
    assert data["figures"]["members"] is None
    assert len(data["daily"]) == 31


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-02-30", "--to", "2026-03-31"], "--from: not a date"),
        (["--from", "2026-03-31", "--to", "2026-03-01"], "is after --to"),
        (["--from", "2026-03-01", "--to", "2026-03-31", "--partner", "999999"], "No partner"),
        (["--from", "2026-03-01", "--to", "2026-03-31", "--store", "999999"], "No store"),
    ],
)
def test_the_command_refuses_bad_input_clearly(db, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("program_metrics", *args, stdout=StringIO())
