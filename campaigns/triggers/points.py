"""Points: about to burn, earned on a purchase, enough for a reward; the first purchase."""

import datetime as dt
import itertools
from collections.abc import Callable

from django.db.models import Exists, F, OuterRef, Q

from campaigns.messaging import Occasion
from campaigns.models import Trigger
from campaigns.trigger_params import with_defaults
from campaigns.triggers.base import (
    ACTIVE,
    CHUNK,
    events_since,
    local_zone,
    max_delay,
)
from loyalty.models import LedgerEntry, Purchase
from loyalty.selectors import last_spend_day, live_lots


def expiring_points(trigger: Trigger, now: dt.datetime, *, dry_run: bool = False):
    """Points about to burn: per member, the nearest day within `days` on which spendable points
    burn, with the points of that day."""
    params = with_defaults(trigger)
    zone = local_zone()
    today = now.astimezone(zone).date()
    rows = (
        live_lots(now=now, spendable=True)
        .filter(expires_at__lte=now + dt.timedelta(days=params["days"]))
        .filter(account__member__status=ACTIVE)
        .order_by("account_id", "expires_at", "id")
        .values_list("account_id", "remaining", "expires_at")
        .iterator(chunk_size=CHUNK)
    )
    for member_id, lots in itertools.groupby(rows, key=lambda row: row[0]):
        day, points, burns_at = None, 0, None
        for _member, remaining, expires_at in lots:
            if day is None:
                day, burns_at = last_spend_day(expires_at, zone), expires_at
            elif last_spend_day(expires_at, zone) != day:
                break
            points += remaining
        if points < params["min_points"]:
            continue
        yield Occasion(
            member_id=member_id,
            key=day.isoformat(),
            variables={
                "points": points,
                "expires_on": day.isoformat(),
                "days": (burns_at.astimezone(zone).date() - today).days,
            },
            stale_at=burns_at,
        )


def _purchases_since(since: dt.datetime, now: dt.datetime):
    """Active members' purchases recorded in [since, now] that got points (found through their
    ledger entries, which are indexed by time)."""
    entries = LedgerEntry.objects.filter(
        created_at__gte=since,
        created_at__lte=now,
        kind__in=[LedgerEntry.Kind.EARN, LedgerEntry.Kind.BONUS],
        purchase__isnull=False,
    ).values("purchase_id")
    return Purchase.objects.filter(pk__in=entries, member__status=ACTIVE).annotate(
        got=F("earned_points") + F("bonus_points")
    )


def _purchase_occasions(purchases, key: Callable[[int], str], params: dict):
    rows = purchases.order_by("pk").values_list("pk", "member_id", "got", "total", "created_at")
    for pk, member_id, got, total, created_at in rows.iterator(chunk_size=CHUNK):
        yield Occasion(
            member_id=member_id,
            key=key(pk),
            variables={"earned": got, "purchase_total": str(total)},
            stale_at=created_at + max_delay(params),
        )


def points_earned(trigger: Trigger, now: dt.datetime, *, dry_run: bool = False):
    """Points a purchase earned (with its campaign bonuses), at least `min_points`."""
    params = with_defaults(trigger)
    purchases = _purchases_since(events_since(trigger, params, now), now)
    yield from _purchase_occasions(
        purchases.filter(got__gte=params["min_points"]), lambda pk: f"purchase:{pk}", params
    )


def first_purchase(trigger: Trigger, now: dt.datetime, *, dry_run: bool = False):
    """Thanks for the member's first purchase (the earliest they ever made)."""
    params = with_defaults(trigger)
    earlier = Purchase.objects.filter(member_id=OuterRef("member_id")).filter(
        Q(occurred_at__lt=OuterRef("occurred_at"))
        | Q(occurred_at=OuterRef("occurred_at"), pk__lt=OuterRef("pk"))
    )
    purchases = _purchases_since(events_since(trigger, params, now), now).filter(~Exists(earlier))
    yield from _purchase_occasions(purchases, lambda _pk: "first_purchase", params)


def enough_for_reward(trigger: Trigger, now: dt.datetime, *, dry_run: bool = False):
    """A purchase lifted the balance from below `threshold` to it or above, and the member
    still holds that many."""
    params = with_defaults(trigger)
    threshold, zone = params["threshold"], local_zone()
    after = F("available_after") + F("pending_after")
    account = "member__account__"
    rows = (
        _purchases_since(events_since(trigger, params, now), now)
        .filter(available_after__isnull=False)
        .annotate(
            after=after,
            before=after - F("got") + F("redeemed_points"),
            holds=F(account + "available") + F(account + "pending") - F(account + "debt"),
        )
        .filter(after__gte=threshold, before__lt=threshold, holds__gte=threshold)
        .order_by("pk")
        .values_list("member_id", "occurred_at", "created_at")
    )
    for member_id, occurred_at, created_at in rows.iterator(chunk_size=CHUNK):
        day = occurred_at.astimezone(zone).date()
        yield Occasion(
            member_id=member_id,
            key=f"reward:{threshold}:{day.isoformat()}",
            variables={"reward_points": threshold, "reward": params["reward"]},
            stale_at=created_at + max_delay(params),
        )
