"""The periodic tier review: recompute every member's qualifying spend in batches and apply
upgrades and due downgrades (the rules themselves are `tiers.review_target`)."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db import connection, transaction

from loyalty.models import Account, Purchase, Tier, TierChange
from loyalty.services.program import get_program, get_tiers
from loyalty.services.tiers import (
    QUALIFYING,
    ZERO,
    review_target,
    tier_for_spend,
    window_start,
)


def _spend_by_member(first: int, last: int, start: dt.datetime | None) -> dict[int, Decimal]:
    purchases = Purchase.objects.filter(member_id__gte=first, member_id__lte=last)
    if start is not None:
        purchases = purchases.filter(occurred_at__gte=start)
    return dict(
        purchases.order_by()
        .values("member_id")
        .annotate(s=QUALIFYING)
        .values_list("member_id", "s")
    )


# One statement per batch on PostgreSQL: an account is written only if its tier state is still
# what the review read (a purchase or a pin since then wins; the UPDATE re-checks the condition
# on the row's newest version), a TierChange is inserted for each written account whose tier
# moved, and the written ids come back. The decisions themselves are made in Python.
_CAS_SQL = """
WITH v AS (
    SELECT * FROM unnest(
        %(ids)s::bigint[], %(old_tier)s::bigint[], %(old_pinned)s::bigint[],
        %(old_below)s::timestamptz[], %(new_tier)s::bigint[], %(new_below)s::timestamptz[],
        %(spend)s::numeric[]
    ) AS v(member_id, old_tier, old_pinned, old_below, new_tier, new_below, spend)
), written AS (
    UPDATE loyalty_account AS a
    SET tier_id = v.new_tier,
        tier_since = CASE WHEN v.new_tier = a.tier_id THEN a.tier_since ELSE %(now)s END,
        below_tier_since = v.new_below,
        updated_at = %(now)s
    FROM v
    WHERE a.member_id = v.member_id
      AND a.tier_id = v.old_tier
      AND a.pinned_tier_id IS NOT DISTINCT FROM v.old_pinned
      AND a.below_tier_since IS NOT DISTINCT FROM v.old_below
    RETURNING a.member_id, v.old_tier, v.new_tier, v.spend
), changes AS (
    INSERT INTO loyalty_tierchange
        (account_id, from_tier_id, to_tier_id, reason, note, qualifying_spend, created_at)
    SELECT member_id, old_tier, new_tier, %(reason)s, '', spend, %(now)s
    FROM written WHERE new_tier <> old_tier
)
SELECT member_id FROM written
"""


def _array(values) -> str:
    """A PostgreSQL array literal of ints, decimals or datetimes (one parameter, not thousands)."""
    return "{" + ",".join("NULL" if v is None else str(v).replace(" ", "T") for v in values) + "}"


def _write_compare_and_set(decisions: dict, now: dt.datetime) -> list[int]:
    """PostgreSQL: write the accounts and their TierChange rows in one statement; return the
    ids written."""
    seen = [d[0] for d in decisions.values()]
    params = {
        "now": now,
        "reason": TierChange.Reason.REVIEW.value,
        "ids": _array(decisions),
        "old_tier": _array(s[0] for s in seen),
        "old_pinned": _array(s[1] for s in seen),
        "old_below": _array(s[2] for s in seen),
        "new_tier": _array(d[2].pk for d in decisions.values()),
        "new_below": _array(d[3] for d in decisions.values()),
        "spend": _array(d[4] for d in decisions.values()),
    }
    with connection.cursor() as cursor:
        cursor.execute(_CAS_SQL, params)
        return [row[0] for row in cursor.fetchall()]


def _write_locked(decisions: dict, now: dt.datetime) -> list[int]:
    """Any database: lock the accounts that change, keep those whose tier state is still what
    the review read, update them with one statement per outcome and record the tier changes;
    return the ids written."""
    groups: dict[tuple[int, dt.datetime | None, bool], list[int]] = defaultdict(list)
    changes = []
    locked = (
        Account.objects.select_for_update(no_key=True)
        .filter(member_id__in=list(decisions))
        .values_list("member_id", "tier_id", "pinned_tier_id", "below_tier_since")
    )
    for member_id, *state in locked:
        seen, _current, target, below, spend = decisions[member_id]
        if tuple(state) != seen:
            continue
        moved = target.pk != seen[0]
        groups[(target.pk, below, moved)].append(member_id)
        if moved:
            changes.append(
                TierChange(
                    account_id=member_id,
                    from_tier_id=seen[0],
                    to_tier=target,
                    reason=TierChange.Reason.REVIEW,
                    qualifying_spend=spend,
                    created_at=now,
                )
            )
    for (tier_id, below, moved), ids in groups.items():
        fields = {"tier_id": tier_id, "below_tier_since": below, "updated_at": now}
        if moved:
            fields["tier_since"] = now
        Account.objects.filter(member_id__in=ids).update(**fields)
    TierChange.objects.bulk_create(changes)
    return [member_id for ids in groups.values() for member_id in ids]


def _apply_review(decisions: dict, *, now: dt.datetime, stats: dict[str, int]) -> None:
    """Write one batch's decisions (accounts and TierChange rows) in one transaction."""
    write = _write_compare_and_set if connection.vendor == "postgresql" else _write_locked
    with transaction.atomic(durable=True):
        written = write(decisions, now)
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
