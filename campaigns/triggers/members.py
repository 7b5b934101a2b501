"""The member's life in the program: the welcome series, no purchase for a while, a falling
average check; broadcasts to a segment."""

import datetime as dt
import logging
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import DecimalField, Exists, ExpressionWrapper, F, OuterRef

from campaigns import segments
from campaigns.grants import Granted, grant
from campaigns.messaging import Occasion, in_holdout
from campaigns.models import Award, MemberActivity, Trigger
from campaigns.trigger_params import with_defaults
from campaigns.triggers.base import (
    ACTIVE,
    CHUNK,
    chunks,
    day_start,
    local_zone,
    max_delay,
)
from core.errors import DomainError
from customers.models import Member
from loyalty.models import Purchase

logger = logging.getLogger(__name__)


def welcome_series(trigger: Trigger, now: dt.datetime, *, dry_run: bool = False):
    """Step k of the series on day N after joining (program time zone)."""
    params = with_defaults(trigger)
    zone, delay = local_zone(), params["max_delay_days"]
    today = now.astimezone(zone).date()
    steps = [(k, step["day"]) for k, step in enumerate(params["steps"], start=1)]
    first_day = today - dt.timedelta(days=max(day for _k, day in steps) + delay)
    members = (
        Member.objects.filter(status=ACTIVE, created_at__gte=day_start(first_day, zone))
        .filter(created_at__lte=now)
        .order_by("pk")
        .values_list("pk", "created_at")
    )
    for member_id, joined_at in members.iterator(chunk_size=CHUNK):
        joined = joined_at.astimezone(zone).date()
        for k, day in steps:
            due = joined + dt.timedelta(days=day)
            if 0 <= (today - due).days <= delay:
                yield Occasion(
                    member_id=member_id,
                    key=f"welcome:{k}",
                    variables={"step": k, "day": day},
                    stale_at=day_start(due + dt.timedelta(days=delay + 1), zone),
                )


def _with_bonus(trigger: Trigger, occasions: Iterable[Occasion], now, dry_run: bool):
    """The trigger's campaign gives its event bonus for each occasion first, once per occasion
    (grants.grant); `bonus_points` tells what it gave. Members outside the trigger's segment
    get neither. A dry run gives nothing and tells the campaign's value."""
    campaign = trigger.campaign
    for chunk in chunks(occasions):
        if trigger.segment_id is not None:
            audience = segments.members_in(trigger.segment, [o.member_id for o in chunk])
            chunk = [o for o in chunk if o.member_id in audience]
        given = {
            (award.member_id, award.occasion): Granted("already", award)
            for award in Award.objects.filter(
                campaign=campaign, member_id__in=[o.member_id for o in chunk]
            )
        }  # one query, not a locked grant per member told before
        for occasion in chunk:
            if (occasion.member_id, occasion.key) in given:
                points = given[occasion.member_id, occasion.key].points
            elif in_holdout(trigger, occasion.member_id):
                points = 0  # the control group: dispatch logs it held out, with no bonus
            elif dry_run:
                points = int(campaign.value or 0)
            else:
                try:
                    points = grant(
                        campaign, member_id=occasion.member_id, occasion=occasion.key, now=now
                    ).points
                except DomainError:  # one member's refusal must not stop the others' messages
                    logger.exception(
                        "trigger %s: bonus for member %s failed", trigger.code, occasion.member_id
                    )
                    points = 0
            yield Occasion(
                member_id=occasion.member_id,
                key=occasion.key,
                variables={**occasion.variables, "bonus_points": points},
                stale_at=occasion.stale_at,
            )


def _inactive(trigger: Trigger, params: dict, now: dt.datetime):
    zone, days = local_zone(), dt.timedelta(days=params["days"])
    latest, delay = now - days, max_delay(params)
    bought_since = Purchase.objects.filter(
        member_id=OuterRef("member_id"),
        occurred_at__gt=OuterRef("last_purchase_at"),
        refunded_total__lt=F("total"),
    )  # MemberActivity is refreshed by the segments' job: a purchase since may be newer
    rows = (
        MemberActivity.objects.filter(
            member__status=ACTIVE,
            last_purchase_at__lte=latest,
            last_purchase_at__gte=latest - delay,
        )
        .filter(~Exists(bought_since))
        .order_by("member_id")
        .values_list("member_id", "last_purchase_at")
    )
    for member_id, last in rows.iterator(chunk_size=CHUNK):
        day = last.astimezone(zone).date().isoformat()
        yield Occasion(
            member_id=member_id,
            key=f"inactivity:{day}",
            variables={"days": params["days"], "last_purchase_on": day},
            stale_at=last + days + delay,
        )
    if params["include_never_bought"]:
        never = (
            Member.objects.filter(
                status=ACTIVE,
                created_at__lte=latest,
                created_at__gte=latest - delay,
                account__purchases_count=0,
            )
            .order_by("pk")
            .values_list("pk", "created_at")
        )
        for member_id, joined_at in never.iterator(chunk_size=CHUNK):
            yield Occasion(
                member_id=member_id,
                key="inactivity:never",
                variables={"days": params["days"], "last_purchase_on": ""},
                stale_at=joined_at + days + delay,
            )


def inactivity(trigger: Trigger, now: dt.datetime, *, dry_run: bool = False):
    """No purchase for `days` days (optionally: never, `days` after joining)."""
    occasions = _inactive(trigger, with_defaults(trigger), now)
    if trigger.campaign_id is not None:
        return _with_bonus(trigger, occasions, now, dry_run)
    return occasions


def falling_average_check(trigger: Trigger, now: dt.datetime, *, dry_run: bool = False):
    """The average check of the last 90 days is `drop_percent` or more below the 90 days before
    (campaigns' MemberActivity), with `min_purchases` purchases in the RFM window; once a
    month at most."""
    params = with_defaults(trigger)
    keep = Decimal(100 - params["drop_percent"]) / 100
    month = now.astimezone(local_zone()).strftime("%Y-%m")
    bar = ExpressionWrapper(
        F("avg_check_before") * keep, output_field=DecimalField(max_digits=16, decimal_places=4)
    )
    rows = (
        MemberActivity.objects.filter(
            member__status=ACTIVE,
            avg_check_before__gt=0,
            avg_check_recent__isnull=False,
            purchases_in_window__gte=params["min_purchases"],
        )
        .annotate(bar=bar)
        .filter(avg_check_recent__lt=F("bar"))
        .order_by("member_id")
        .values_list("member_id", "avg_check_recent", "avg_check_before")
    )
    for member_id, recent, before in rows.iterator(chunk_size=CHUNK):
        yield Occasion(
            member_id=member_id,
            key=f"avg_check:{month}",
            variables={
                "recent_average": str(recent),
                "previous_average": str(before),
                "drop_percent": int((before - recent) * 100 / before),
            },
        )


def broadcast(trigger: Trigger, now: dt.datetime, *, dry_run: bool = False):
    """A one-off message at `send_at` to every active member of the segment (all active
    members without one); not sent when `send_at` is more than `max_delay_days` ago."""
    params = with_defaults(trigger)
    send_at = trigger.send_at
    if send_at is None or send_at > now or send_at < now - max_delay(params):
        return
    if trigger.segment_id is None:
        member_ids = (
            Member.objects.filter(status=ACTIVE)
            .order_by("pk")
            .values_list("pk", flat=True)
            .iterator(chunk_size=CHUNK)
        )
    else:
        member_ids = segments.member_ids(trigger.segment)
    for chunk in chunks(member_ids):
        if trigger.segment_id is not None:
            chunk = Member.objects.filter(pk__in=chunk, status=ACTIVE).values_list("pk", flat=True)
        for member_id in chunk:
            yield Occasion(
                member_id=member_id, key="broadcast", stale_at=send_at + max_delay(params)
            )
