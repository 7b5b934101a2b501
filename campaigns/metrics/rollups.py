"""The daily rollups behind program_metrics: one day's rows in every scope (program, each
partner, each store), stored in one transaction that first deletes what the day had, so a day
can be computed again at any time with the same result. A month's cohort rows are stored the
same way. The beat job (campaigns.tasks.rollup_metrics) rolls up yesterday, catches up days it
missed and computes again days that got late rows."""

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction

from campaigns.metrics.engine import (
    FORECAST_MONTHS,
    additive_rows,
    day_start,
    live_expiry_forecast,
    month_start,
)
from campaigns.models import (
    CohortActivity,
    DailyBuyers,
    DailyMetrics,
    ExpiryForecast,
    MetricsDay,
    MetricsMonth,
)
from loyalty.money import add_months
from loyalty.services.program import get_program, program_zone
from loyalty.store import metrics as store

# A late row is looked for among rows recorded since the last rollup, and at least this far
# back (a beat that was down for longer is covered by the last rollup's time).
LATE_LOOKBACK = dt.timedelta(days=7)
# pg_advisory_xact_lock(LOCK_DAY, day) serialises two rollups of one day (two workers, or the
# beat and the command): the second waits and then replaces the first's rows.
LOCK_DAY, LOCK_MONTH = 19_0011, 19_0012
# A day is marked as rolled up this long before the rollup began: a purchase recorded just
# before (its transaction still open while the rollup read) then counts as late and the day is
# computed again on the next run, instead of being missed.
IN_FLIGHT_MARGIN = dt.timedelta(minutes=10)
# A range of days is stored this many days per transaction (a catch-up or the first run over a
# long history); the rows are the same as day by day.
CHUNK_DAYS = 366


class FutureDay(ValueError):
    """Only days that have ended can be rolled up; today is always read live."""


@dataclass
class RollupReport:
    days: list = field(default_factory=list)
    months: list = field(default_factory=list)
    late_days: list = field(default_factory=list)


def _zone():
    return program_zone(get_program())


def today(now: dt.datetime) -> dt.date:
    return now.astimezone(_zone()).date()


def rollup_day(*, day: dt.date, now: dt.datetime) -> None:
    """Store `day`'s rows in every scope, replacing what it had (one transaction)."""
    _rollup_range(first=day, last=day, now=now)


def _rollup_range(*, first: dt.date, last: dt.date, now: dt.datetime) -> None:
    """Store the rows of the days [first, last] in every scope, replacing what they had, in one
    transaction: the same rows as day by day, with each member's history read once."""
    zone = _zone()
    if last >= now.astimezone(zone).date():
        raise FutureDay(f"{last} has not ended yet")
    since, until = day_start(zone, first), day_start(zone, last + dt.timedelta(days=1))
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    with transaction.atomic():
        for day in days:
            store.lock_day(LOCK_DAY, day.toordinal())
        DailyMetrics.objects.filter(day__range=(first, last)).delete()
        DailyBuyers.objects.filter(day__range=(first, last)).delete()
        params = store.Params()
        select = additive_rows(zone=zone.key, since=since, until=until, scopes=None, params=params)
        store.insert_rows(
            DailyMetrics, ("day", "scope_kind", "scope_id", *store.ADDITIVE_COLUMNS), select, params
        )
        params = store.Params()
        select = store.buyer_rows(
            zone=zone.key, since=since, until=until, scopes=None, params=params
        )
        store.insert_rows(DailyBuyers, store.BUYER_COLUMNS, select, params)
        MetricsDay.objects.filter(day__range=(first, last)).delete()
        MetricsDay.objects.bulk_create(
            MetricsDay(day=day, computed_at=now - IN_FLIGHT_MARGIN) for day in days
        )


def rollup_month(*, month: dt.date, now: dt.datetime) -> dt.date:
    """Store the month's cohort rows (distinct buyers by join month, every scope) counted
    through the month's last ended day; returns that day."""
    zone = _zone()
    month = month_start(month)
    last_day = add_months(month, 1) - dt.timedelta(days=1)
    through = min(last_day, now.astimezone(zone).date() - dt.timedelta(days=1))
    if through < month:
        raise FutureDay(f"{month:%Y-%m} has no ended day yet")
    start = day_start(zone, month)
    params = store.Params()
    select = store.cohort_rows(
        zone=zone.key,
        months=[(month, start, start, day_start(zone, through + dt.timedelta(days=1)))],
        scopes=None,
        params=params,
    )
    with transaction.atomic():
        store.lock_day(LOCK_MONTH, month.toordinal())
        CohortActivity.objects.filter(month=month).delete()
        store.insert_rows(CohortActivity, store.COHORT_COLUMNS, select, params)
        MetricsMonth.objects.update_or_create(
            month=month, defaults={"through_day": through, "computed_at": now}
        )
    return through


def _runs(days) -> list[tuple[dt.date, dt.date]]:
    """The sorted days as runs of consecutive days, each at most CHUNK_DAYS long."""
    runs: list[list[dt.date]] = []
    for day in sorted(set(days)):
        run = runs[-1] if runs else None
        if run and day == run[1] + dt.timedelta(days=1) and (day - run[0]).days < CHUNK_DAYS:
            run[1] = day
        else:
            runs.append([day, day])
    return [(first, last) for first, last in runs]


def rollup_days(*, days, now: dt.datetime) -> RollupReport:
    """Roll up `days` (consecutive days a chunk at a time, each chunk in its own transaction),
    then their months' cohorts."""
    report = RollupReport()
    for first, last in _runs(days):
        _rollup_range(first=first, last=last, now=now)
        report.days += [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    for month in sorted({month_start(day) for day in report.days}):
        rollup_month(month=month, now=now)
        report.months.append(month)
    return report


def _first_day_with_data(zone) -> dt.date | None:
    first = store.first_moment_with_data()
    return None if first is None else first.astimezone(zone).date()


def late_days(*, now: dt.datetime) -> list[dt.date]:
    """Rolled-up days that got a purchase or a check without a card recorded after their
    rollup, and the later days of the members of those purchases (their purchases' previous
    purchase changed)."""
    last_run = (
        MetricsDay.objects.order_by("-computed_at").values_list("computed_at", flat=True).first()
    )
    if last_run is None:
        return []
    found, later = store.late_rows(
        zone=_zone().key, rolled_model=MetricsDay, since=min(last_run, now - LATE_LOOKBACK)
    )
    return sorted(found | later)


def rollup_pending(*, now: dt.datetime) -> RollupReport:
    """The nightly job: every ended day not rolled up yet (yesterday, days missed, the whole
    history on the first run), the rolled-up days that got late rows, and the cohorts of the
    current month."""
    zone = _zone()
    yesterday = now.astimezone(zone).date() - dt.timedelta(days=1)
    rolled = set(MetricsDay.objects.values_list("day", flat=True))
    late = late_days(now=now)
    first = min(rolled) if rolled else _first_day_with_data(zone)
    days = set(late)
    if first is not None:
        day = first
        while day <= yesterday:
            if day not in rolled:
                days.add(day)
            day += dt.timedelta(days=1)
    report = rollup_days(days=[day for day in days if day <= yesterday], now=now)
    report.late_days = late
    current = month_start(yesterday)
    if current not in report.months and (first is not None and first <= yesterday):
        rollup_month(month=current, now=now)
        report.months.append(current)
    snapshot_expiry_forecast(now=now)
    return report


def snapshot_expiry_forecast(*, now: dt.datetime) -> None:
    """Count the live lots' points by the month they expire, as of `now`, for the dashboard to
    read (every month stored, those with nothing too: an empty forecast is a count as well)."""
    zone = _zone()
    rows = live_expiry_forecast(zone=zone, now=now)
    first = month_start(now.astimezone(zone).date())
    months = [add_months(first, i) for i in range(FORECAST_MONTHS + 1)]
    with transaction.atomic():
        ExpiryForecast.objects.all().delete()
        ExpiryForecast.objects.bulk_create(
            ExpiryForecast(month=month, points=int(rows.get(month) or 0), computed_at=now)
            for month in months
        )
