"""The daily rollups behind the figures: stored days plus live today give what a fully live
computation gives; a day rolled up again changes nothing; a purchase recorded late is picked up;
the nightly job catches up the days it missed."""

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django_celery_beat.models import PeriodicTask

from campaigns import tasks
from campaigns.metrics import program_metrics
from campaigns.metrics.rollups import rollup_day, rollup_days, rollup_pending
from campaigns.models import CohortActivity, DailyBuyers, DailyMetrics, MetricsDay
from tests.campaigns.metrics_history import MSK, build_history

pytestmark = pytest.mark.django_db

APRIL_1 = dt.datetime(2026, 4, 1, 18, 0, tzinfo=MSK)  # "today" in these tests
JAN_1 = dt.date(2026, 1, 1)
MARCH_31 = dt.date(2026, 3, 31)


@pytest.fixture
def history(db):
    h = build_history()
    # Today (1 April): A buys again at S1, a check without a card at S2.
    h.buy(h.a, h.s1, APRIL_1 - dt.timedelta(hours=2), "250.00")
    h.guest(h.s2, APRIL_1 - dt.timedelta(hours=1), "90.00")
    return h


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def both_ways(start, end, **scope):
    """The figures from the rollups and counted live; the forecast's time is left out (the
    stored forecast says when the rollup counted it, a live one has none)."""
    stored = program_metrics(start=start, end=end, now=APRIL_1, **scope).as_json()
    live = program_metrics(start=start, end=end, now=APRIL_1, live_only=True, **scope).as_json()
    stored.pop("expiry_forecast_as_of"), live.pop("expiry_forecast_as_of")
    return stored, live


def snapshot(day):
    fields = [f.name for f in DailyMetrics._meta.fields if f.name != "id"]
    return (
        sorted(DailyMetrics.objects.filter(day=day).values_list(*fields)),
        sorted(
            DailyBuyers.objects.filter(day=day).values_list(
                "scope_kind", "scope_id", "k", "back_day", "members"
            )
        ),
    )


def test_rolled_up_days_and_live_today_give_the_live_figures(history):
    rollup_days(days=days(JAN_1, MARCH_31), now=APRIL_1)
    assert MetricsDay.objects.count() == 90

    for start, end in [
        (dt.date(2026, 3, 1), dt.date(2026, 4, 1)),  # ends today: today is read live
        (dt.date(2026, 2, 10), dt.date(2026, 3, 20)),
        (JAN_1, dt.date(2026, 4, 1)),
    ]:
        for scope in ({}, {"partner_id": history.p.pk}, {"store_id": history.s3.pk}):
            stored, live = both_ways(start, end, **scope)
            assert stored == live, (start, end, scope)
    today = program_metrics(start=dt.date(2026, 4, 1), end=dt.date(2026, 4, 1), now=APRIL_1)
    assert today.figures["checks"] == 1 and today.figures["guest_checks"] == 1


def test_the_figures_are_read_from_the_stored_days(history):
    rollup_days(days=days(JAN_1, MARCH_31), now=APRIL_1)
    DailyMetrics.objects.filter(day=dt.date(2026, 3, 5), scope_kind=0).update(checks=1000)

    figures = program_metrics(start=dt.date(2026, 3, 1), end=MARCH_31, now=APRIL_1).figures

    assert figures["checks"] == 1004  # 5 real checks, one day's 1 stored as 1000


def test_rolling_a_day_up_again_changes_nothing(history):
    day = dt.date(2026, 3, 12)
    rollup_day(day=day, now=APRIL_1)
    first = snapshot(day)

    rollup_day(day=day, now=APRIL_1 + dt.timedelta(hours=1))

    again = snapshot(day)
    assert again == first
    assert first[1]  # the day had buyers


def test_a_range_rolled_up_at_once_stores_the_same_rows_as_day_by_day(history):
    march = days(dt.date(2026, 3, 1), MARCH_31)
    rollup_days(days=march, now=APRIL_1)
    at_once = [snapshot(day) for day in march]

    for day in march:
        rollup_day(day=day, now=APRIL_1)

    for day, (metrics, buyers) in zip(march, at_once, strict=True):
        again = snapshot(day)
        assert again == (metrics, buyers), day


def test_a_purchase_recorded_late_is_picked_up_by_the_next_run(history):
    rollup_days(days=days(JAN_1, MARCH_31), now=APRIL_1)
    # Recorded today, bought on 10 March at S2: A's purchases after it (12 March, today) now
    # have another previous purchase.
    history.buy(
        history.a, history.s2, dt.datetime(2026, 3, 10, 12, tzinfo=MSK), "100.00", now=APRIL_1
    )
    stale, live = both_ways(dt.date(2026, 3, 11), dt.date(2026, 3, 31), store_id=history.s2.pk)
    assert stale != live  # the stored days do not know it yet

    report = rollup_pending(now=APRIL_1 + dt.timedelta(hours=9))  # 2 April, 03:00

    assert dt.date(2026, 3, 10) in report.late_days
    assert dt.date(2026, 3, 12) in report.late_days  # a later purchase of the same member
    assert dt.date(2026, 4, 1) in report.days  # yesterday by then
    for scope in ({}, {"store_id": history.s2.pk}):
        for start, end in [(dt.date(2026, 3, 1), MARCH_31), (dt.date(2026, 3, 11), MARCH_31)]:
            stored, live = both_ways(start, end, **scope)
            assert stored == live


def test_the_nightly_job_catches_up_missed_days_and_the_cohorts(history):
    rollup_days(days=days(JAN_1, dt.date(2026, 3, 28)), now=APRIL_1)

    with time_machine.travel(dt.datetime(2026, 4, 3, 3, 15, tzinfo=MSK), tick=False):
        tasks.rollup_metrics.delay()

    rolled = set(MetricsDay.objects.values_list("day", flat=True))
    assert set(days(dt.date(2026, 3, 29), dt.date(2026, 4, 2))) <= rolled
    assert dt.date(2026, 4, 3) not in rolled  # today stays live
    assert CohortActivity.objects.filter(month=dt.date(2026, 4, 1)).exists()


def test_the_first_run_rolls_up_the_whole_history(history):
    report = rollup_pending(now=APRIL_1)

    assert report.days[0] == dt.date(2026, 1, 10)  # A joined: the first thing that happened
    assert report.days[-1] == MARCH_31
    stored, live = both_ways(dt.date(2026, 3, 1), dt.date(2026, 4, 1))
    assert stored == live


def test_the_dashboard_reads_the_expiry_forecast_counted_by_the_nightly_rollup(history):
    """Counting every live lot on each view is too slow on a big program: the forecast is the
    nightly count, with its time, until the next one."""
    from loyalty.services import adjust_points

    night = APRIL_1 - dt.timedelta(hours=15)
    rollup_pending(now=night)
    before = program_metrics(start=MARCH_31, end=MARCH_31, now=APRIL_1)
    assert before.expiry_forecast_as_of == night
    adjust_points(member_id=history.a.pk, points=500, reason="goodwill", staff=None, now=APRIL_1)

    stale = program_metrics(start=MARCH_31, end=MARCH_31, now=APRIL_1)
    live = program_metrics(start=MARCH_31, end=MARCH_31, now=APRIL_1, live_only=True)
    assert stale.expiry_forecast == before.expiry_forecast
    assert sum(m.points for m in live.expiry_forecast) == (
        sum(m.points for m in before.expiry_forecast) + 500
    )
    rollup_pending(now=APRIL_1)
    assert program_metrics(start=MARCH_31, end=MARCH_31, now=APRIL_1).expiry_forecast == (
        live.expiry_forecast
    )


def test_the_rollup_command_rolls_up_days_and_refuses_today(history):
    out = StringIO()
    call_command(
        "rollup_metrics",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-03",
        "--now",
        APRIL_1.isoformat(),
        stdout=out,
    )
    assert "Rolled up 3 days" in out.getvalue()
    assert MetricsDay.objects.count() == 3
    with pytest.raises(CommandError, match="has not ended yet"):
        call_command("rollup_metrics", "--day", "2026-04-01", "--now", APRIL_1.isoformat())
    with pytest.raises(CommandError, match="not a date"):
        call_command("rollup_metrics", "--day", "2026-13-01")


def test_the_rollup_runs_nightly(db):
    task = PeriodicTask.objects.get(task="campaigns.tasks.rollup_metrics")
    assert (task.crontab.hour, task.crontab.minute) == ("3", "15")
    assert task.enabled
