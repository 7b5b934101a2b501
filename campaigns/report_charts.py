"""The monthly report's charts, drawn with matplotlib as SVG (no GUI: a bare `Figure`, never
pyplot). Their text stays text in DejaVu Sans — the font of the report, which carries Cyrillic
and "₽" — so WeasyPrint sets it like the rest of the page and it can be searched and copied from
the PDF; numbers are formatted in the active language. Each function takes plain figures and the
translated legend labels, and returns the SVG document as text."""

import datetime as dt
import io
from collections.abc import Sequence
from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext as _

from campaigns.dashboard.presentation import format_value

NAVY = "#1f3b63"
BLUE = "#4a7fb5"
LIGHT = "#c9d3df"
GREEN = "#3b8f5a"
ORANGE = "#d9822b"
RED = "#b8433b"
GREY = "#6b7280"
GRID = "#e5e7eb"

FULL = (7.1, 2.35)  # inches: the width of the A4 text block
HALF = (3.45, 2.35)

STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 7,
    "axes.edgecolor": GREY,
    "axes.labelcolor": "#222222",
    "axes.linewidth": 0.6,
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "xtick.major.width": 0.5,
    "ytick.major.width": 0.5,
    "legend.frameon": False,
    "svg.fonttype": "none",  # text as <text>, set by WeasyPrint
    "svg.hashsalt": "kopilka-monthly-report",  # the same data draws the same file
}


def _number(value, places: int = 0) -> str:
    return formats.number_format(value, places, use_l10n=True, force_grouping=True)


def _label_ticks(axis, label, *, whole: bool = False) -> None:
    """Tick labels by `label`; `whole`: only whole-number ticks (counts of checks, points)."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axis.set_major_formatter(FuncFormatter(lambda value, _pos: label(value)))
    if whole:
        axis.set_major_locator(MaxNLocator(integer=True))


def _draw(size, paint) -> str:
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(STYLE):
        figure = Figure(figsize=size, dpi=100)
        axes = figure.add_subplot()
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        axes.grid(axis="y", color=GRID, linewidth=0.6)
        axes.set_axisbelow(True)
        _label_ticks(axes.yaxis, lambda v: _number(abs(v)), whole=True)
        paint(figure, axes)
        figure.tight_layout(pad=0.4)
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    return out.getvalue()


def _nothing_to_show(axes) -> None:
    axes.text(
        0.5,
        0.5,
        _("No data for this period"),
        transform=axes.transAxes,
        ha="center",
        va="center",
        color=GREY,
    )
    axes.set_yticks([])


def _day_ticks(axes, days: Sequence[dt.date]) -> None:
    numbers = [day.day for day in days]
    axes.set_xticks([n for n in numbers if n == 1 or n % 5 == 0 or n == numbers[-1]])
    axes.set_xlim(0.4, numbers[-1] + 0.6)
    axes.tick_params(axis="x", length=0)


def checks_and_revenue(daily: Sequence, *, checks: str, guest_checks: str, revenue: str) -> str:
    """Bars: checks with and without a card per day; line (right axis): members' revenue."""

    def paint(figure, axes):
        if not daily:
            return _nothing_to_show(axes)
        x = [row.day.day for row in daily]
        with_card = [row.checks for row in daily]
        axes.bar(x, with_card, width=0.7, color=NAVY, label=checks)
        axes.bar(
            x,
            [row.guest_checks for row in daily],
            width=0.7,
            bottom=with_card,
            color=LIGHT,
            label=guest_checks,
        )
        _day_ticks(axes, [row.day for row in daily])
        money = axes.twinx()
        money.plot(
            x,
            [float(row.revenue_members) for row in daily],
            color=ORANGE,
            linewidth=1.4,
            marker="o",
            markersize=2,
            label=revenue,
        )
        peak = max(float(row.revenue_members) for row in daily)
        money.set_ylim(0, (peak or 1) * 1.12)
        money.spines["top"].set_visible(False)
        money.spines["left"].set_visible(False)
        _label_ticks(money.yaxis, lambda v: f"{_number(v)} ₽")
        axes.set_ylim(0, max(max(row.checks + row.guest_checks for row in daily), 1) * 1.12)
        handles = axes.get_legend_handles_labels()
        more = money.get_legend_handles_labels()
        axes.legend(
            handles[0] + more[0],
            handles[1] + more[1],
            loc="lower left",
            bbox_to_anchor=(0, 1.0),
            ncol=3,
            borderaxespad=0.2,
        )

    return _draw(FULL, paint)


def points_flow(daily: Sequence, *, issued: str, redeemed: str, expired: str) -> str:
    """Per day: points issued above the axis, points redeemed and expired below it."""

    def paint(figure, axes):
        if not daily:
            return _nothing_to_show(axes)
        x = [row.day.day for row in daily]
        spent = [-row.points_redeemed for row in daily]
        axes.bar(x, [row.points_issued for row in daily], width=0.7, color=GREEN, label=issued)
        axes.bar(x, spent, width=0.7, color=BLUE, label=redeemed)
        axes.bar(
            x,
            [-row.points_expired for row in daily],
            width=0.7,
            bottom=spent,
            color=RED,
            label=expired,
        )
        axes.axhline(0, color=GREY, linewidth=0.6)
        _day_ticks(axes, [row.day for row in daily])
        axes.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=3, borderaxespad=0.2)

    return _draw(FULL, paint)


def expiry_forecast(months: Sequence) -> str:
    """Bars: the liability in ₽ that expires in each of the next months, labelled with it."""

    def paint(figure, axes):
        if not any(row.points for row in months):
            return _nothing_to_show(axes)
        labels = [formats.date_format(row.month, "M Y") for row in months]
        values = [float(row.rub) for row in months]
        bars = axes.bar(range(len(months)), values, width=0.65, color=BLUE)
        axes.set_xticks(range(len(months)), labels, rotation=45, ha="right")
        axes.tick_params(axis="x", length=0)
        _label_ticks(axes.yaxis, lambda v: f"{_number(v)} ₽")
        axes.bar_label(
            bars,
            labels=[_number(v) if v else "" for v in values],
            fontsize=5.5,
            padding=1.5,
            color="#333333",
        )
        axes.margins(y=0.15)

    return _draw(HALF, paint)


def tier_distribution(tiers: Sequence) -> str:
    """Horizontal bars: members per tier (lowest tier at the bottom), with each tier's share."""

    def paint(figure, axes):
        total = sum(row.members for row in tiers)
        if not total:
            return _nothing_to_show(axes)
        names = [row.tier for row in tiers]
        counts = [row.members for row in tiers]
        bars = axes.barh(range(len(tiers)), counts, height=0.6, color=NAVY)
        axes.set_yticks(range(len(tiers)), names)
        axes.grid(axis="y", visible=False)
        axes.grid(axis="x", color=GRID, linewidth=0.6)
        _label_ticks(axes.xaxis, _number, whole=True)
        axes.bar_label(
            bars,
            labels=[
                f"{_number(c)} ({format_value(Decimal(c) / total, 'percent')})" for c in counts
            ],
            fontsize=6,
            padding=2,
        )
        axes.margins(x=0.3)
        axes.tick_params(axis="y", length=0)

    return _draw(HALF, paint)
