"""The periodic tier review: recompute every member's qualifying spend in batches and apply
upgrades and due downgrades (the rules themselves are `tiers.review_target`)."""

import datetime as dt
from decimal import Decimal

from django.db import transaction

from loyalty.models import Account, Purchase, Tier, TierChange
from loyalty.services.program import get_program, get_tiers
from loyalty.services.tiers import (
    QUALIFYING,
    ZERO,
    review_target,
    tier_for_spend,
    window_start,
)
from loyalty.store.batches import write_tier_review


def spend_by_member(purchases, start: dt.datetime | None) -> dict[int, Decimal]:
    """The qualifying spend of each member among these purchases since `start` (None: the
    lifetime window), in one aggregate; members without purchases are left out."""
    if start is not None:
        purchases = purchases.filter(occurred_at__gte=start)
    return dict(
        purchases.order_by()
        .values("member_id")
        .annotate(s=QUALIFYING)
        .values_list("member_id", "s")
    )


def _spend_by_member(first: int, last: int, start: dt.datetime | None) -> dict[int, Decimal]:
    return spend_by_member(
        Purchase.objects.filter(member_id__gte=first, member_id__lte=last), start
    )


def _apply_review(decisions: dict, *, now: dt.datetime, stats: dict[str, int]) -> None:
    """Write one batch's decisions (accounts and TierChange rows) in one transaction."""
    with transaction.atomic(durable=True):
        written = write_tier_review(decisions, reason=TierChange.Reason.REVIEW.value, now=now)
    stats["skipped"] += len(decisions) - len(written)
    for member_id in written:
        (tier_id, _pinned, old_below), current, target, _below, _spend = decisions[member_id]
        if target.pk == tier_id:
            stats["grace_started" if old_below is None else "grace_ended"] += 1
        else:
            stats["upgraded" if target.min_spend > current.min_spend else "downgraded"] += 1


def review_tiers(*, now: dt.datetime, batch_size: int = 10_000) -> dict[str, int]:
    """Recompute every member's qualifying spend and apply upgrades and due downgrades.

    Reads accounts in member order, a batch at a time with one aggregate over the batch's
    purchases, and writes only the accounts that change, so memory stays constant. Running it
    twice with the same `now` changes nothing more; it is safe next to live purchases.
    """
    program = get_program()
    tiers = get_tiers()
    by_id = {t.pk: t for t in tiers}

    def tier(pk: int) -> Tier:
        if pk not in by_id:  # an inactive tier someone still holds
            by_id[pk] = Tier.objects.get(pk=pk)
        return by_id[pk]

    start = window_start(program, now)
    stats = dict.fromkeys(
        ["accounts", "upgraded", "downgraded", "grace_started", "grace_ended", "skipped"], 0
    )
    last = 0
    while True:
        rows = list(
            Account.objects.filter(member_id__gt=last)
            .order_by("member_id")
            .values_list("member_id", "tier_id", "pinned_tier_id", "below_tier_since")[:batch_size]
        )
        if not rows:
            return stats
        last = rows[-1][0]
        spend_of = _spend_by_member(rows[0][0], last, start)
        decisions = {}
        for member_id, tier_id, pinned_id, below_since in rows:
            spend = spend_of.get(member_id, ZERO)
            current = tier(tier_id)
            target, below = review_target(
                current=current,
                pinned=tier(pinned_id) if pinned_id else None,
                qualified=tier_for_spend(spend, tiers),
                below_since=below_since,
                program=program,
                tiers=tiers,
                now=now,
            )
            if target.pk != tier_id or below != below_since:
                decisions[member_id] = (
                    (tier_id, pinned_id, below_since),
                    current,
                    target,
                    below,
                    spend,
                )
        if decisions:
            _apply_review(decisions, now=now, stats=stats)
        stats["accounts"] += len(rows)
