"""The RFM rule: a member's class from their purchases, and their purchase facts.

Every member is in exactly one class (`classify`):
- new: joined less than `new_days` ago and bought at most once;
- active: the last purchase less than `active_days` ago — VIP when the spend or the number of
  purchases in the window reaches a VIP threshold;
- at risk: the last purchase `active_days` to `sleeping_days` ago (a member who never bought,
  once no longer new, until `sleeping_days` after joining);
- sleeping: no purchase for `sleeping_days` or more (or never, joined that long ago).
A purchase refunded in full is no purchase; spend is the money paid less refunds (the ledger's
NET_PAID, as tiers count it); an average check is the value of the goods kept.
"""

import datetime as dt
from decimal import Decimal

from django.db.models import Count, DateTimeField, F, Max, Min, Q, Sum
from django.db.models.functions import Least

from campaigns.models import RfmSettings, Segment
from loyalty.models import Purchase
from loyalty.services.tiers import NET_PAID

QUARTER = dt.timedelta(days=90)
RfmClass = Segment.RfmClass
ACTIVITY_FIELDS = (
    "first_purchase_at",
    "last_purchase_at",
    "purchases_in_window",
    "spend_in_window",
    "avg_check_recent",
    "avg_check_before",
    "rfm_class",
    "next_change_at",
)
RFM_CLASS = ACTIVITY_FIELDS.index("rfm_class")
CENTS = Decimal("0.01")


def classify(
    *,
    settings: RfmSettings,
    joined: dt.datetime,
    last_purchase: dt.datetime | None,
    purchases: int,
    purchases_in_window: int,
    spend_in_window: Decimal,
    now: dt.datetime,
) -> tuple[str, dt.datetime | None]:
    """A member's RFM class at `now` and the moment time alone would change it (None: never)."""
    new_until = joined + dt.timedelta(days=settings.new_days)
    if now < new_until and purchases <= 1:
        return RfmClass.NEW, new_until
    if last_purchase is not None:
        active_until = last_purchase + dt.timedelta(days=settings.active_days)
        if now < active_until:
            vip = (
                spend_in_window >= settings.vip_spend
                or purchases_in_window >= settings.vip_purchases
            )
            return (RfmClass.VIP if vip else RfmClass.ACTIVE), active_until
    sleeping_from = (last_purchase or joined) + dt.timedelta(days=settings.sleeping_days)
    if now < sleeping_from:
        return RfmClass.AT_RISK, sleeping_from
    return RfmClass.SLEEPING, None


def scope(field: str, ids: list[int], contiguous: bool) -> Q:
    """These members (ids ascending) as a filter on `field`: a range when they are every member
    between the first and the last (a full run's chunk: no list of 2 000 parameters), else a
    list."""
    if contiguous:
        return Q(**{f"{field}__gte": ids[0], f"{field}__lte": ids[-1]})
    return Q(**{f"{field}__in": ids})


def purchase_facts(members: Q, settings: RfmSettings, now: dt.datetime) -> dict:
    """Per member: the aggregates of their purchases kept (not refunded in full) up to `now`,
    and when the first of them leaves the window or a 90-day period (`leaves`)."""
    window_days = dt.timedelta(days=settings.window_days)
    window = Q(occurred_at__gt=now - window_days)
    recent = Q(occurred_at__gt=now - QUARTER)
    before = Q(occurred_at__gt=now - 2 * QUARTER, occurred_at__lte=now - QUARTER)
    kept_value = F("total") - F("refunded_total")
    rows = (
        Purchase.objects.filter(members, occurred_at__lte=now, refunded_total__lt=F("total"))
        .values("member_id")
        .order_by()
        .annotate(
            first=Min("occurred_at"),
            last=Max("occurred_at"),
            count=Count("id"),
            window_count=Count("id", filter=window),
            window_spend=Sum(NET_PAID, filter=window),
            recent_count=Count("id", filter=recent),
            recent_value=Sum(kept_value, filter=recent),
            before_count=Count("id", filter=before),
            before_value=Sum(kept_value, filter=before),
            # PostgreSQL's LEAST skips NULLs: a period without purchases has no moment.
            leaves=Least(
                Min("occurred_at", filter=window) + window_days,
                Min("occurred_at", filter=recent) + QUARTER,
                Min("occurred_at", filter=before) + 2 * QUARTER,
                output_field=DateTimeField(),
            ),
        )
    )
    return {row["member_id"]: row for row in rows}


def _average(value, count: int) -> Decimal | None:
    return (value / count).quantize(CENTS) if count else None


NO_PURCHASE: dict = {}
ZERO = Decimal("0.00")


def activity_of(joined: dt.datetime, row: dict | None, settings: RfmSettings, now) -> tuple:
    """A member's RFM facts (values of ACTIVITY_FIELDS) from their purchase aggregates (`row`;
    None: no purchase kept).

    `next_change_at` is the first moment time alone changes them: the class changes, or a
    purchase leaves the window or one of the two 90-day periods of the average check."""
    row = row or NO_PURCHASE
    spend = row.get("window_spend") or ZERO
    window_count = row.get("window_count", 0)
    rfm_class, changes_at = classify(
        settings=settings,
        joined=joined,
        last_purchase=row.get("last"),
        purchases=row.get("count", 0),
        purchases_in_window=window_count,
        spend_in_window=spend,
        now=now,
    )
    leaves = row.get("leaves")
    if changes_at is None or (leaves is not None and leaves < changes_at):
        changes_at = leaves
    return (
        row.get("first"),
        row.get("last"),
        window_count,
        spend,
        _average(row.get("recent_value"), row.get("recent_count", 0)),
        _average(row.get("before_value"), row.get("before_count", 0)),
        rfm_class,
        changes_at,
    )
