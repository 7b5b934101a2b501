"""Dates: a birthday, an important date the member gave (29 February: 28 February in other
years, campaigns.conditions)."""

import datetime as dt

from django.db.models import Q
from django.db.models.functions import ExtractDay, ExtractMonth

from campaigns.conditions import days_from_birthday, on_year
from campaigns.events import month_days_q
from campaigns.messaging import Occasion
from campaigns.models import Trigger
from campaigns.trigger_params import with_defaults
from campaigns.triggers.base import (
    ACTIVE,
    CHUNK,
    day_start,
    local_zone,
)
from customers.models import ImportantDate, Member


def _ahead(params: dict, today: dt.date) -> tuple[int, int, list[dt.date]]:
    """How many days ahead a date may be to be told now: from `days` less the catch-up, to
    `days` (never past the date itself), and those days."""
    nearest = max(0, params["days"] - params["max_delay_days"])
    days = [today + dt.timedelta(days=n) for n in range(nearest, params["days"] + 1)]
    return nearest, params["days"], days


def birthday(trigger: Trigger, now: dt.datetime, *, dry_run: bool = False):
    """The member's birthday is `days` days away (29 February: 28 February in other years)."""
    params = with_defaults(trigger)
    zone = local_zone()
    today = now.astimezone(zone).date()
    nearest, farthest, window = _ahead(params, today)
    members = (
        Member.objects.filter(status=ACTIVE, birth_date__isnull=False)
        .annotate(m=ExtractMonth("birth_date"), d=ExtractDay("birth_date"))
        .filter(month_days_q(window))
        .order_by("pk")
        .values_list("pk", "birth_date")
    )
    for member_id, born in members.iterator(chunk_size=CHUNK):
        left = -days_from_birthday(born, today)
        if nearest <= left <= farthest:
            day = today + dt.timedelta(days=left)
            yield Occasion(
                member_id=member_id,
                key=f"birthday:{day.year}",
                variables={"days": left, "date": day.isoformat()},
                stale_at=day_start(day + dt.timedelta(days=1), zone),
            )


def important_date(trigger: Trigger, now: dt.datetime, *, dry_run: bool = False):
    """A date the member gave (a child's birthday, an anniversary) is `days` days away: a
    yearly date every year from its own, a one-off date once."""
    params = with_defaults(trigger)
    zone = local_zone()
    today = now.astimezone(zone).date()
    nearest, farthest, window = _ahead(params, today)
    dates = (
        ImportantDate.objects.filter(member__status=ACTIVE)
        .annotate(m=ExtractMonth("date"), d=ExtractDay("date"))
        .filter(
            (Q(yearly=True) & month_days_q(window))
            | Q(yearly=False, date__gte=window[0], date__lte=window[-1])
        )
        .order_by("pk")
        .values_list("pk", "member_id", "label", "date", "yearly")
    )
    for pk, member_id, label, date, yearly in dates.iterator(chunk_size=CHUNK):
        years = (today.year, today.year + 1) if yearly else (date.year,)
        for year in years:
            day = on_year(date, year)
            if nearest <= (day - today).days <= farthest and day >= date:
                yield Occasion(
                    member_id=member_id,
                    key=f"date:{pk}:{year}",
                    variables={
                        "label": label,
                        "date": day.isoformat(),
                        "days": (day - today).days,
                        "years": year - date.year,
                    },
                    stale_at=day_start(day + dt.timedelta(days=1), zone),
                )
