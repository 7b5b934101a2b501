"""Reads about points and tiers for the cabinet, the desk, the API and admin."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import TruncDate

from loyalty.models import Account, LedgerEntry, PointLot, Tier
from loyalty.services.program import get_program, get_tier, get_tiers, program_zone
from loyalty.services.tiers import qualifying_purchases, qualifying_spend


@dataclass
class Balance:
    available: int
    pending: int
    debt: int
    next_activation: dt.datetime | None


@dataclass
class ExpiringPoints:
    date: dt.date  # the last day the points can be spent, in the program zone
    points: int


@dataclass
class TierProgress:
    tier: Tier
    spend: Decimal
    next_tier: Tier | None
    spend_needed: Decimal  # ₽ left to the next tier (0 at the top)
    progress_percent: int
    secured_until: dt.date | None  # None: no end (lifetime window, or nothing can lower it)
    pinned: bool


def member_balance(member_id: int, *, now: dt.datetime) -> Balance:
    """Spendable and pending points as of `now` (even before the beat jobs have run)."""
    account = Account.objects.get(member_id=member_id)
    if account.available == 0 and account.pending == 0:
        return Balance(0, 0, account.debt, None)
    live = list(
        PointLot.objects.filter(
            account_id=member_id, remaining__gt=0, expires_at__gt=now
        ).values_list("remaining", "available_at")
    )
    available = sum(r for r, at in live if at <= now)
    pending_at = [at for r, at in live if at > now]
    return Balance(
        available=available,
        pending=sum(r for r, at in live if at > now),
        debt=account.debt,
        next_activation=min(pending_at) if pending_at else None,
    )


def expiring_points(
    member_id: int, *, now: dt.datetime, within_days: int | None = None, limit: int = 5
) -> list[ExpiringPoints]:
    """Points by the last day they can be spent, nearest first (optionally within N days)."""
    program = get_program()
    zone = program_zone(program)
    lots = PointLot.objects.filter(account_id=member_id, remaining__gt=0, expires_at__gt=now)
    if within_days is not None:
        lots = lots.filter(expires_at__lte=now + dt.timedelta(days=within_days))
    rows = (
        lots.annotate(day=TruncDate("expires_at", tzinfo=zone))
        .values("day")
        .annotate(points=Sum("remaining"))
        .order_by("day")[:limit]
    )
    # A lot expires at midnight that starts `day`: the last day to spend it is the day before.
    return [ExpiringPoints(row["day"] - dt.timedelta(days=1), row["points"]) for row in rows]


def tier_progress(member_id: int, *, now: dt.datetime) -> TierProgress:
    """Current tier, qualifying spend, ₽ left to the next tier, and until when the tier holds."""
    program = get_program()
    account = Account.objects.only("tier_id", "pinned_tier_id", "below_tier_since").get(
        member_id=member_id
    )
    tier = get_tier(account.tier_id)
    spend = qualifying_spend(member_id, now=now, program=program)
    higher = [t for t in get_tiers() if t.min_spend > tier.min_spend]
    next_tier = higher[0] if higher else None
    needed = max(Decimal(0), next_tier.min_spend - spend) if next_tier else Decimal(0)
    if next_tier:
        span = next_tier.min_spend - tier.min_spend
        percent = int(max(0, min(100, (spend - tier.min_spend) * 100 / span))) if span else 100
    else:
        percent = 100
    return TierProgress(
        tier=tier,
        spend=spend,
        next_tier=next_tier,
        spend_needed=needed,
        progress_percent=percent,
        secured_until=_tier_secured_until(account, tier, program, now),
        pinned=account.pinned_tier_id is not None and account.pinned_tier_id == tier.pk,
    )


def _tier_secured_until(account, tier, program, now) -> dt.date | None:
    zone = program_zone(program)
    grace = dt.timedelta(days=program.tier_grace_days)
    if tier.min_spend == 0 or program.tier_downgrade_policy == "none":
        return None
    if account.pinned_tier_id and get_tier(account.pinned_tier_id).min_spend >= tier.min_spend:
        return None
    if account.below_tier_since is not None:
        return (account.below_tier_since + grace).astimezone(zone).date()
    if program.tier_window_months == 0:
        return None
    # Walk the window's purchases oldest first: the tier holds until enough of them roll out.
    from loyalty.money import add_months

    rows = list(
        qualifying_purchases(program, now)
        .filter(member_id=account.member_id)
        .order_by("occurred_at")
        .values_list("occurred_at", "total", "discount", "refunded_total", "refunded_discount")
    )
    spend = sum((t - d - rt + rd for _at, t, d, rt, rd in rows), Decimal(0))
    for occurred_at, t, d, rt, rd in rows:
        spend -= t - d - rt + rd
        if spend < tier.min_spend:
            drops = add_months(occurred_at.astimezone(zone).date(), program.tier_window_months)
            return drops + grace
    return (now + grace).astimezone(zone).date()


def ledger_entries(member_id: int, *, kinds: list[str] | None = None):
    """The member's ledger, newest first, without the internal activation entries by default."""
    entries = LedgerEntry.objects.filter(account_id=member_id).select_related("purchase")
    if kinds:
        return entries.filter(kind__in=kinds)
    return entries.exclude(kind=LedgerEntry.Kind.ACTIVATE)
