"""How the program's figures look on the dashboard: number formats per unit, the groups of
figure cards, the charts' data and the cohort table's shades. No figure is computed here: they
all come from `campaigns.metrics.program_metrics`."""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils import formats
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from campaigns.metrics.definitions import METRICS, Metric

NARROW_NBSP = "\u202f"  # a thin space that never breaks a number across lines
MINUS = "\u2212"
EMPTY = "—"

GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "members",
        pgettext_lazy("dashboard group", "Members"),
        (
            "members",
            "new_members",
            "active_members",
            "new_buyers",
            "retention_rate",
            "churn_rate",
            "repeat_purchase_rate",
            "purchase_frequency",
            "ltv",
        ),
    ),
    (
        "checks",
        _("Checks"),
        (
            "checks",
            "guest_checks",
            "card_share",
            "average_check_members",
            "average_check_others",
            "revenue_members",
        ),
    ),
    (
        "points",
        _("Points"),
        (
            "points_issued",
            "points_redeemed",
            "points_expired",
            "points_taken_back",
            "points_outstanding",
            "redemption_rate",
            "breakage",
        ),
    ),
    (
        "money",
        _("Money"),
        (
            "liability",
            "program_cost",
            "program_roi",
            "cost_per_new_member",
            "cost_per_retained_member",
        ),
    ),
)
OTHER_GROUP = ("other", _("Other figures"))

HEAT_STEPS = 10


def _digits(value: Decimal, places: int) -> str:
    """`value` rounded half up to `places` decimals, thousands split by a narrow no-break space
    and the language's decimal separator; a true minus sign for negatives."""
    quantum = Decimal(1).scaleb(-places)
    rounded = Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP)
    sign = MINUS if rounded < 0 else ""
    whole, _dot, fraction = f"{abs(rounded):f}".partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = NARROW_NBSP.join(groups)
    if places:
        text += formats.get_format("DECIMAL_SEPARATOR") + fraction
    return sign + text


def format_value(value, unit: str) -> str:
    """A figure as the dashboard prints it: ₽ with kopecks, a ratio as a percent with one
    decimal, counts and points whole, "times" with two decimals; "—" when there is no value."""
    if value is None:
        return EMPTY
    if unit == "rub":
        return f"{_digits(value, 2)}\u00a0₽"
    if unit == "percent":
        percent_sign = "\u00a0%" if (get_language() or "").startswith("ru") else "%"
        return _digits(Decimal(value) * 100, 1) + percent_sign
    if unit == "times":
        return _digits(value, 2)
    return _digits(value, 0)


@dataclass(frozen=True)
class FigureCard:
    key: str
    label: str
    definition: str
    unit: str
    value: str
    program_wide_only: bool  # shown as "—" because the scope is a partner or a store


@dataclass(frozen=True)
class FigureGroup:
    key: str
    title: str
    cards: list[FigureCard]


def _card(metric: Metric, figures: Mapping, *, scoped: bool) -> FigureCard:
    value = figures.get(metric.key)
    return FigureCard(
        key=metric.key,
        label=str(metric.label),
        definition=str(metric.definition),
        unit=metric.unit,
        value=format_value(value, metric.unit),
        program_wide_only=scoped and metric.program_wide and value is None,
    )


def figure_groups(figures: Mapping, *, scoped: bool) -> list[FigureGroup]:
    """Every metric of METRICS as a card, in its group; a metric no group names yet goes to
    "Other figures", so a new metric is never missing from the page."""
    by_key = {metric.key: metric for metric in METRICS}
    placed: set[str] = set()
    groups = []
    for key, title, keys in GROUPS:
        cards = [_card(by_key[k], figures, scoped=scoped) for k in keys if k in by_key]
        placed.update(keys)
        groups.append(FigureGroup(key, str(title), cards))
    rest = [_card(m, figures, scoped=scoped) for m in METRICS if m.key not in placed]
    if rest:
        groups.append(FigureGroup(OTHER_GROUP[0], str(OTHER_GROUP[1]), rest))
    return [group for group in groups if group.cards]


def heat_step(share) -> int | None:
    """The shade of a cohort cell: 0 (nobody came back) to 10 (everybody did)."""
    if share is None:
        return None
    step = (Decimal(share) * HEAT_STEPS).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return max(0, min(HEAT_STEPS, int(step)))


@dataclass(frozen=True)
class CohortCell:
    share: str
    step: int | None


@dataclass(frozen=True)
class CohortLine:
    month: object
    members: str
    cells: list[CohortCell]


def cohort_table(cohorts) -> tuple[int, list[CohortLine]]:
    """The cohort rows as printed: shares as percents with their shade; the width is the longest
    row, so every row has the same number of cells."""
    width = max((len(row.shares) for row in cohorts), default=0)
    lines = []
    for row in cohorts:
        shares = list(row.shares) + [None] * (width - len(row.shares))
        cells = [
            CohortCell(share=format_value(s, "percent") if s is not None else "", step=heat_step(s))
            for s in shares
        ]
        lines.append(CohortLine(row.month, format_value(row.members, "count"), cells))
    return width, lines


def _s(value) -> str | None:
    return None if value is None else str(value)


def chart_data(result) -> dict:
    """What the page's script draws, JSON-ready: one list per series, labels already
    translated, money as strings (the script only plots them)."""
    daily = result.daily
    return {
        "daily": {
            "days": [day.day.isoformat() for day in daily],
            "checks": [day.checks for day in daily],
            "guest_checks": [day.guest_checks for day in daily],
            "revenue_members": [_s(day.revenue_members) for day in daily],
            "points_issued": [day.points_issued for day in daily],
            "points_redeemed": [day.points_redeemed for day in daily],
            "points_expired": [day.points_expired for day in daily],
        },
        "expiry_forecast": {
            "months": [row.month.isoformat() for row in result.expiry_forecast],
            "points": [row.points for row in result.expiry_forecast],
            "rub": [_s(row.rub) for row in result.expiry_forecast],
        },
        "tiers": {
            "labels": [row.tier for row in result.tier_distribution],
            "members": [row.members for row in result.tier_distribution],
        },
        "labels": {
            "checks": str(_("Checks with a card")),
            "guest_checks": str(_("Checks without a card")),
            "revenue_members": str(_("Members' revenue, ₽")),
            "checks_axis": str(_("Checks")),
            "points_issued": str(_("Issued")),
            "points_redeemed": str(_("Redeemed")),
            "points_expired": str(_("Expired")),
            "expiring_points": str(_("Points expiring")),
            "expiring_rub": str(_("₽")),
            "members": str(pgettext_lazy("dashboard group", "Members")),
            "points": str(_("Points")),
        },
    }
