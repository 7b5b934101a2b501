"""Finding webhook events in committed rows, by a beat sweep (every 30 s): nothing is written on
the purchase path.

Each source table (members, ledger entries, tier changes, campaign awards) has a cursor. A sweep
reads the rows above the cursor's `safe_id`, in id order and in chunks, and turns them into
events: a member who joined (member.created; not members brought in by an import); a purchase's
earned and bonus points as one points.earned, its redeemed points as one points.redeemed; an
event bonus (no purchase) as a points.earned of its own; the lots of one member burnt in one run
as one points.expired; a tier change other than joining (tier.changed); a campaign award not held
out (reward.issued). An id is taken when a row is inserted but seen only at commit, so a row
can appear below ids already swept: rows are read again until WEBHOOKS_LOOKBACK_SECONDS have
passed since a sweep saw a higher id, and every event has a unique key naming its source
("points.earned:purchase:123"), inserted with ON CONFLICT DO NOTHING: a rescan never duplicates.

An event is written only if an active endpoint receives it: subscribed to its type and, for the
points earned or redeemed on a purchase, not bound to another partner (an endpoint with a partner
gets the points events of that partner's purchases only; all other events go to every
subscribed endpoint). With no subscriber a source's cursor just moves on. Rows older than
WEBHOOKS_MAX_EVENT_AGE_HOURS when found (history brought in by an import) make no event.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import models, transaction
from django.db.models import Max

from campaigns.models import Award, WebhookCursor, WebhookDelivery, WebhookEndpoint, WebhookEvent
from campaigns.models.webhooks import EventType
from campaigns.webhooks.sources import (
    Found,
    award_rows,
    ledger_rows,
    member_rows,
    tier_change_rows,
)
from customers.models import Member
from loyalty.models import LedgerEntry, TierChange

CHUNK = 2000
# Points events of a purchase go only to endpoints of no partner or of the purchase's partner.
PARTNER_SCOPED = {EventType.POINTS_EARNED, EventType.POINTS_REDEEMED}
Kind = LedgerEntry.Kind


@dataclass
class SweepReport:
    found: dict[str, int] = field(default_factory=dict)  # source -> new events
    skipped: list[str] = field(default_factory=list)  # sources another sweep was sweeping
    deliveries: int = 0

    def line(self) -> str:
        found = ", ".join(f"{source} {n}" for source, n in self.found.items()) or "nothing"
        busy = f"; busy: {', '.join(self.skipped)}" if self.skipped else ""
        return f"new events: {found}; deliveries {self.deliveries}{busy}"


def receives(endpoint: WebhookEndpoint, found: Found) -> bool:
    """Whether an (active) endpoint gets this event: it subscribed to the type, and a points
    event of a purchase goes to an endpoint bound to a partner only if it is that partner's."""
    if found.type not in endpoint.event_types:
        return False
    if found.type in PARTNER_SCOPED and endpoint.partner_id is not None:
        return endpoint.partner_id == found.partner_id
    return True


@dataclass(frozen=True)
class Source:
    name: str
    model: type[models.Model]
    types: frozenset[str]
    fields: tuple[str, ...]
    meaning: Callable[[list[dict], set[str]], list[Found]]
    where: dict = field(default_factory=dict)

    def rows_after(self, after: int, wanted: set[str]) -> list[dict]:
        where = dict(self.where)
        if self.model is LedgerEntry:
            kinds = {
                EventType.POINTS_EARNED: [Kind.EARN, Kind.BONUS],
                EventType.POINTS_REDEEMED: [Kind.REDEEM],
                EventType.POINTS_EXPIRED: [Kind.EXPIRE],
            }
            where["kind__in"] = [k for t in wanted for k in kinds[t]]
        return list(
            self.model.objects.filter(pk__gt=after, **where)
            .order_by("pk")
            .values(*self.fields)[:CHUNK]
        )


SOURCES = [
    Source(
        "members",
        Member,
        frozenset({EventType.MEMBER_CREATED}),
        ("id", "card_number", "channel", "created_at"),
        member_rows,
    ),
    Source(
        "ledger",
        LedgerEntry,
        frozenset({EventType.POINTS_EARNED, EventType.POINTS_REDEEMED, EventType.POINTS_EXPIRED}),
        ("id", "account_id", "kind", "points", "purchase_id", "reason", "created_at"),
        ledger_rows,
    ),
    Source(
        "tier_changes",
        TierChange,
        frozenset({EventType.TIER_CHANGED}),
        ("id", "account_id", "from_tier_id", "to_tier_id", "reason", "created_at"),
        tier_change_rows,
    ),
    Source(
        "awards",
        Award,
        frozenset({EventType.REWARD_ISSUED}),
        (
            "id",
            "member_id",
            "campaign_id",
            "campaign__name",
            "points",
            "occasion",
            "purchase_id",
            "created_at",
        ),
        award_rows,
        {"held_out": False},
    ),
]


# --- the sweep ---------------------------------------------------------------------------------
def sweep(*, now: dt.datetime) -> SweepReport:
    """Find the new events of every source and queue their deliveries (see the module's
    docstring). Safe to run twice or at once: a source another sweep holds is skipped."""
    from campaigns.webhooks.delivery import enqueue

    report = SweepReport()
    endpoints = list(WebhookEndpoint.objects.filter(is_active=True))
    subscribed = {t for endpoint in endpoints for t in endpoint.event_types}
    for source in SOURCES:
        with transaction.atomic():
            cursor = _cursor(source, now)
            if cursor is None:
                report.skipped.append(source.name)
                continue
            wanted = set(source.types & subscribed)
            new, delivery_ids = _sweep_source(source, cursor, wanted, endpoints, now)
            report.found[source.name] = new
            report.deliveries += len(delivery_ids)
            enqueue(delivery_ids)
    return report


def _cursor(source: Source, now: dt.datetime) -> WebhookCursor | None:
    """The source's cursor, locked (None: another sweep holds it). The first sweep starts at
    the table's end: webhooks tell what happens from then on, not the history."""
    cursor = (
        WebhookCursor.objects.select_for_update(skip_locked=True).filter(source=source.name).first()
    )
    if cursor is not None:
        return cursor
    top = source.model.objects.aggregate(top=Max("pk"))["top"] or 0
    WebhookCursor.objects.bulk_create(
        [
            WebhookCursor(
                source=source.name,
                last_id=top,
                safe_id=top,
                mark_id=top,
                mark_at=now,
                swept_at=now,
            )
        ],
        ignore_conflicts=True,
    )
    return (
        WebhookCursor.objects.select_for_update(skip_locked=True).filter(source=source.name).first()
    )


def _sweep_source(source, cursor, wanted, endpoints, now) -> tuple[int, list[int]]:
    last, new, delivery_ids = cursor.last_id, 0, []
    if wanted:
        too_old = now - dt.timedelta(hours=settings.WEBHOOKS_MAX_EVENT_AGE_HOURS)
        after = cursor.safe_id
        while rows := source.rows_after(after, wanted):
            after = rows[-1]["id"]
            last = max(last, after)
            found = [
                event
                for event in source.meaning(rows, wanted)
                if event.type in wanted and event.occurred_at >= too_old
            ]
            count, ids = _write(found, endpoints, now)
            new += count
            delivery_ids += ids
            if len(rows) < CHUNK:
                break
    else:
        last = max(last, source.model.objects.aggregate(top=Max("pk"))["top"] or 0)
    lookback = dt.timedelta(seconds=settings.WEBHOOKS_LOOKBACK_SECONDS)
    if now - cursor.mark_at >= lookback:
        cursor.safe_id, cursor.mark_id, cursor.mark_at = cursor.mark_id, last, now
    cursor.last_id, cursor.swept_at = last, now
    cursor.save()
    return new, delivery_ids


def _write(found: list[Found], endpoints, now) -> tuple[int, list[int]]:
    """Insert the events not written yet, with a delivery per endpoint that receives each;
    returns how many events were new and their deliveries' ids."""
    targets = {event.key: [e for e in endpoints if receives(e, event)] for event in found}
    found = [event for event in found if targets[event.key]]
    if not found:
        return 0, []
    keys = [event.key for event in found]
    known = set(WebhookEvent.objects.filter(key__in=keys).values_list("key", flat=True))
    fresh = [event for event in found if event.key not in known]
    if not fresh:
        return 0, []
    WebhookEvent.objects.bulk_create(
        [
            WebhookEvent(
                key=event.key,
                type=event.type,
                partner_id=event.partner_id,
                data=event.data,
                occurred_at=event.occurred_at,
                created_at=now,
            )
            for event in fresh
        ],
        ignore_conflicts=True,
    )
    ids = dict(WebhookEvent.objects.filter(key__in=[e.key for e in fresh]).values_list("key", "pk"))
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                event_id=ids[event.key], endpoint=endpoint, next_attempt_at=now, created_at=now
            )
            for event in fresh
            for endpoint in targets[event.key]
        ],
        ignore_conflicts=True,
    )
    delivery_ids = list(
        WebhookDelivery.objects.filter(event_id__in=ids.values())
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return len(fresh), delivery_ids
