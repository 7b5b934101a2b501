"""What a campaign brought: the figures of its report (read only).

Participants are the members the campaign gave points to; the holdout group the members it
recorded as held out (they got nothing, to compare with). Revenue is the money members paid
during the campaign's period: check totals less what was paid with points, less refunds (net of
the points part returned). Incremental revenue is what participants paid above the holdout
group, per member, times the participants; the cost of the campaign is its points at the
program's point value; ROI = (incremental revenue − cost) / cost.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import F, Sum
from django.db.models.functions import Coalesce

from campaigns.models import Award, Campaign
from loyalty.models import LedgerEntry, Purchase
from loyalty.services.program import get_program

CENT = Decimal("0.01")
RATIO = Decimal("0.0001")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class CampaignReport:
    campaign: Campaign
    period_start: dt.datetime | None
    period_end: dt.datetime
    members_reached: int
    points_issued: int
    points_redeemed: int
    points_expired: int
    held_out_members: int
    revenue_participants: Decimal
    revenue_held_out: Decimal
    revenue_per_participant: Decimal | None
    revenue_per_held_out: Decimal | None
    incremental_revenue: Decimal | None  # None: no holdout group to compare with
    cost: Decimal
    roi: Decimal | None  # a ratio: 1.5 is +150 %; None without incremental revenue or cost


def _money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _points_out_of(lot_ids, kind: str) -> int:
    """Points that left these lots by entries of `kind` (those entries are negative)."""
    total = LedgerEntry.objects.filter(lot_id__in=lot_ids, kind=kind).aggregate(
        points=Coalesce(Sum("points"), 0)
    )["points"]
    return -total


def revenue_of(member_ids, *, start: dt.datetime | None, end: dt.datetime) -> Decimal:
    """The money these members paid for purchases made from `start` (if any) until `end`:
    totals less the part paid with points, less refunds net of their points part."""
    purchases = Purchase.objects.filter(member_id__in=member_ids, occurred_at__lt=end)
    if start is not None:
        purchases = purchases.filter(occurred_at__gte=start)
    paid = purchases.aggregate(
        paid=Coalesce(
            Sum(F("total") - F("discount") - F("refunded_total") + F("refunded_discount")),
            ZERO,
        )
    )["paid"]
    return _money(paid)


def campaign_report(*, campaign: Campaign, now: dt.datetime) -> CampaignReport:
    """The campaign's report over its period: from its start (or ever) to its end (or now)."""
    end = min(campaign.ends_at, now) if campaign.ends_at is not None else now
    start = campaign.starts_at
    awards = Award.objects.filter(campaign=campaign)
    given = awards.filter(held_out=False, points__gt=0)
    participants = set(given.values_list("member_id", flat=True).distinct())
    held_out = set(awards.filter(held_out=True).values_list("member_id", flat=True).distinct())
    held_out -= participants  # a member who got points counts as a participant
    points_issued = given.aggregate(points=Coalesce(Sum("points"), 0))["points"]
    lot_ids = given.exclude(lot__isnull=True).values("lot_id")
    revenue_in = revenue_of(participants, start=start, end=end)
    revenue_out = revenue_of(held_out, start=start, end=end)
    per_in = _money(revenue_in / len(participants)) if participants else None
    per_out = _money(revenue_out / len(held_out)) if held_out else None
    incremental = None
    if per_in is not None and per_out is not None:
        incremental = _money((per_in - per_out) * len(participants))
    cost = _money(points_issued * get_program().point_value)
    roi = None
    if incremental is not None and cost > 0:
        roi = ((incremental - cost) / cost).quantize(RATIO, rounding=ROUND_HALF_UP)
    return CampaignReport(
        campaign=campaign,
        period_start=start,
        period_end=end,
        members_reached=len(participants),
        points_issued=points_issued,
        points_redeemed=_points_out_of(lot_ids, LedgerEntry.Kind.REDEEM),
        points_expired=_points_out_of(lot_ids, LedgerEntry.Kind.EXPIRE),
        held_out_members=len(held_out),
        revenue_participants=revenue_in,
        revenue_held_out=revenue_out,
        revenue_per_participant=per_in,
        revenue_per_held_out=per_out,
        incremental_revenue=incremental,
        cost=cost,
        roi=roi,
    )
