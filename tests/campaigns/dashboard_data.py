"""A hand-built result of `campaigns.metrics.program_metrics`, for the dashboard's rendering
tests: every figure has a value whose printed form the tests know."""

import datetime as dt
from decimal import Decimal

from campaigns.metrics.definitions import METRICS
from campaigns.metrics.results import (
    CampaignROI,
    CohortRow,
    DailyFigures,
    ExpiryMonth,
    ProgramMetrics,
    TierMove,
    TierShare,
)

SAMPLE = {
    "count": 12345,
    "points": 1234567,
    "rub": Decimal("1234567.50"),
    "percent": Decimal("0.1234"),
    "times": Decimal("1.5"),
}


def sample_figures() -> dict:
    figures = {metric.key: SAMPLE[metric.unit] for metric in METRICS}
    figures["ltv"] = None  # a figure with no value is shown as a dash
    return figures


def sample_result(*, start: dt.date, end: dt.date, partner_id=None, store_id=None, figures=None):
    days = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
    return ProgramMetrics(
        start=start,
        end=end,
        partner_id=partner_id,
        store_id=store_id,
        figures=sample_figures() if figures is None else figures,
        daily=[
            DailyFigures(
                day=day,
                checks=10 + n % 7,
                guest_checks=4 + n % 3,
                revenue_members=Decimal("15000.00") + n * 100,
                new_members=2,
                points_issued=300 + n * 5,
                points_redeemed=120 + n % 4 * 10,
                points_expired=n % 5 * 20,
            )
            for n, day in enumerate(days)
        ],
        expiry_forecast=[
            ExpiryMonth(
                month=dt.date(2027, month, 1),
                points=1000 * month,
                rub=Decimal(1000 * month),
            )
            for month in range(1, 13)
        ],
        tier_distribution=[
            TierShare("Silver", 800),
            TierShare("Gold", 150),
            TierShare("Platinum", 20),
        ],
        tier_movements=[TierMove(None, "Silver", 35), TierMove("Silver", "Gold", 1204)],
        top_campaigns=[
            CampaignROI(
                7,
                "Double points weekend",
                Decimal("5000.00"),
                Decimal("12500.00"),
                Decimal("1.5000"),
            ),
            CampaignROI(8, "Birthday bonus", Decimal("800.00"), None, None),
        ],
        cohorts=[
            CohortRow(dt.date(2026, 10, 1), 120, [Decimal("1"), Decimal("0.46"), Decimal("0.31")]),
            CohortRow(dt.date(2026, 11, 1), 90, [Decimal("1"), Decimal("0.04"), None]),
        ],
    )
