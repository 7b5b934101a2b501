"""The program's figures: each one named once, with the one-line definition the dashboard shows
on hover, the PDF report prints and docs/METRICS.md spells out with its formula.

A period is a range of whole days [start, end] in the program's time zone; a scope is the whole
program, one partner or one store. Figures that cannot be split by store (members join the
program, not a store; points expire and are adjusted without a store) are program-wide and are
`None` for a partner or store scope.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str  # "count", "percent" (a ratio 0..1), "rub", "points", "times"
    definition: str
    program_wide: bool = False  # None for a partner or store scope


METRICS: tuple[Metric, ...] = (
    Metric(
        "members",
        pgettext_lazy("metric", "Members"),
        "count",
        _("Members who had joined by the end of the period (erased members excluded)."),
        program_wide=True,
    ),
    Metric(
        "new_members",
        _("New members"),
        "count",
        _("Members who joined during the period."),
        program_wide=True,
    ),
    Metric("checks", _("Checks with a card"), "count", _("Purchases recorded for a member.")),
    Metric(
        "guest_checks",
        _("Checks without a card"),
        "count",
        _("Checks the tills sent without a member, recorded for analytics only."),
    ),
    Metric(
        "card_share",
        _("Share of checks with a card"),
        "percent",
        _("Checks with a card divided by all checks (with and without a card)."),
    ),
    Metric(
        "active_members",
        _("Active members"),
        "count",
        _("Members with at least one purchase in the period."),
    ),
    Metric(
        "new_buyers",
        _("First-time buyers"),
        "count",
        _("Active members whose first purchase ever was in the period."),
    ),
    Metric(
        "retention_rate",
        _("Retention rate"),
        "percent",
        _(
            "(Active members at the end − first-time buyers) / active members of the previous "
            "period of the same length."
        ),
    ),
    Metric("churn_rate", _("Churn rate"), "percent", _("1 − retention rate.")),
    Metric(
        "repeat_purchase_rate",
        _("Repeat purchase rate"),
        "percent",
        _("Share of active members who bought at least twice in the period."),
    ),
    Metric(
        "purchase_frequency",
        _("Purchase frequency"),
        "times",
        _("Checks with a card per active member in the period."),
    ),
    Metric(
        "average_check_members",
        _("Average check, members"),
        "rub",
        _("Total of checks with a card divided by their number."),
    ),
    Metric(
        "average_check_others",
        _("Average check, others"),
        "rub",
        _("Total of checks without a card divided by their number."),
    ),
    Metric(
        "revenue_members",
        _("Members' revenue"),
        "rub",
        _("Money members paid in the period (checks less points), less money refunded."),
    ),
    Metric(
        "ltv",
        _("LTV"),
        "rub",
        _(
            "Money members paid, net of refunds, from their first purchase to the end of the "
            "period, per member who has bought."
        ),
    ),
    Metric(
        "points_issued",
        _("Points issued"),
        "points",
        _("Points earned, campaign bonuses and manual additions in the period."),
    ),
    Metric(
        "points_redeemed",
        _("Points redeemed"),
        "points",
        _("Points spent on checks, less points returned by refunds."),
    ),
    Metric(
        "points_expired",
        _("Points expired"),
        "points",
        _("Points burnt at the end of their life."),
        program_wide=True,
    ),
    Metric(
        "points_taken_back",
        _("Points taken back"),
        "points",
        _("Points clawed back by refunds and removed by hand."),
        program_wide=True,
    ),
    Metric(
        "points_outstanding",
        _("Points outstanding"),
        "points",
        _("Points members hold at the end of the period, pending ones included, less debts."),
        program_wide=True,
    ),
    Metric(
        "liability",
        _("Outstanding liability"),
        "rub",
        _("Points outstanding times the value of a point."),
        program_wide=True,
    ),
    Metric(
        "redemption_rate",
        _("Redemption rate"),
        "percent",
        _("Points redeemed divided by points issued in the period."),
    ),
    Metric(
        "breakage",
        _("Breakage"),
        "percent",
        _("Points expired divided by points redeemed and expired in the period."),
        program_wide=True,
    ),
    Metric(
        "program_cost",
        _("Program cost"),
        "rub",
        _("Points redeemed in the period times the value of a point."),
    ),
    Metric(
        "program_roi",
        _("Program ROI"),
        "percent",
        _(
            "((Average check of members − of others) × checks with a card − program cost) / "
            "program cost."
        ),
    ),
    Metric(
        "cost_per_new_member",
        _("Acquisition cost per member"),
        "rub",
        _("Welcome and referral bonuses given in the period, in ₽, per new member."),
        program_wide=True,
    ),
    Metric(
        "cost_per_retained_member",
        _("Retention cost per member"),
        "rub",
        _(
            "Program cost less acquisition bonuses, per retained member (active members − "
            "first-time buyers)."
        ),
        program_wide=True,
    ),
)

BY_KEY = {metric.key: metric for metric in METRICS}
