"""Tiers: up, down, and at risk of going down at the next review."""

import datetime as dt
from decimal import Decimal

from django.db.models import F

from campaigns.messaging import Occasion
from campaigns.models import Trigger
from campaigns.trigger_params import with_defaults
from campaigns.triggers.base import (
    ACTIVE,
    CHUNK,
    chunks,
    events_since,
    local_zone,
    max_delay,
)
from customers.models import Member
from loyalty.models import Purchase, TierChange
from loyalty.services.program import get_program, get_tier, get_tiers
from loyalty.services.tier_review import spend_by_member
from loyalty.services.tiers import review_target, tier_for_spend, window_start


def _tier_changes(trigger: Trigger, now: dt.datetime, *, up: bool):
    params = with_defaults(trigger)
    higher = {
        "to_tier__min_spend__gt" if up else "to_tier__min_spend__lt": F("from_tier__min_spend")
    }
    rows = (
        TierChange.objects.filter(
            created_at__gte=events_since(trigger, params, now),
            created_at__lte=now,
            from_tier__isnull=False,
            account__member__status=ACTIVE,
            **higher,
        )
        .order_by("pk")
        .values_list(
            "pk",
            "account_id",
            "from_tier__name",
            "from_tier__name_en",
            "to_tier__name",
            "to_tier__name_en",
            "created_at",
        )
    )
    for pk, member_id, old, old_en, new, new_en, created_at in rows.iterator(chunk_size=CHUNK):
        yield Occasion(
            member_id=member_id,
            key=f"tierchange:{pk}",
            variables={
                "old_tier": old,
                "old_tier_en": old_en or old,
                "new_tier": new,
                "new_tier_en": new_en or new,
            },
            stale_at=created_at + max_delay(params),
        )


def tier_up(trigger: Trigger, now: dt.datetime, *, dry_run: bool = False):
    """The member moved to a higher tier (a purchase, a review or a pin)."""
    return _tier_changes(trigger, now, up=True)


def tier_down(trigger: Trigger, now: dt.datetime, *, dry_run: bool = False):
    """A review moved the member to a lower tier."""
    return _tier_changes(trigger, now, up=False)


def tier_at_risk(trigger: Trigger, now: dt.datetime, *, dry_run: bool = False):
    """The member's tier will be lowered at the review `days_before` days from now or sooner
    unless they buy: the review found the spend below the tier and the grace period ends then.
    loyalty's review rule decides whether the review would lower it (a pinned floor, the
    downgrade policy) and to which tier."""
    params = with_defaults(trigger)
    program, tiers, zone = get_program(), get_tiers(), local_zone()
    grace = dt.timedelta(days=program.tier_grace_days)
    due_from = now - grace + dt.timedelta(days=params["days_before"])  # below since, at most
    accounts = (
        Member.objects.filter(status=ACTIVE)
        .filter(
            account__below_tier_since__lte=due_from,
            account__below_tier_since__gte=due_from - max_delay(params),
        )
        .order_by("pk")
        .values_list(
            "pk", "account__tier_id", "account__pinned_tier_id", "account__below_tier_since"
        )
    )
    start = window_start(program, now)
    for chunk in chunks(accounts.iterator(chunk_size=CHUNK)):
        purchases = Purchase.objects.filter(member_id__in=[row[0] for row in chunk])
        spend_of = spend_by_member(purchases, start)
        for member_id, tier_id, pinned_id, below_since in chunk:
            current, spend = get_tier(tier_id), spend_of.get(member_id, Decimal(0))
            review_at = max(below_since + grace, now)
            target, _below = review_target(
                current=current,
                pinned=get_tier(pinned_id) if pinned_id else None,
                qualified=tier_for_spend(spend, tiers),
                below_since=below_since,
                program=program,
                tiers=tiers,
                now=review_at,
            )
            if target.min_spend >= current.min_spend:
                continue
            began = below_since.astimezone(zone).date()
            yield Occasion(
                member_id=member_id,
                key=f"tier_at_risk:{current.code}:{began.isoformat()}",
                variables={
                    "review_on": review_at.astimezone(zone).date().isoformat(),
                    "spend_needed": str(max(current.min_spend - spend, Decimal(0))),
                    "new_tier": target.name,
                    "new_tier_en": target.name_en or target.name,
                },
                stale_at=below_since + grace + max_delay(params),
            )
