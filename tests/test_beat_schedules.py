import datetime as dt

import pytest
import time_machine
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from config.celery import app
from customers.models import LoginCode
from customers.otp import delete_old_codes

EXPECTED = {
    "loyalty.tasks.activate_points",
    "loyalty.tasks.burn_points",
    "loyalty.tasks.review_tiers",
    "loyalty.tasks.purge_idempotency_records",
    "loyalty.tasks.purge_login_codes",
    "customers.tasks.erase_closed_members",
    "campaigns.tasks.give_birthday_bonuses",
    "campaigns.tasks.give_anniversary_bonuses",
    "campaigns.tasks.run_trigger",
    "campaigns.tasks.send_due_messages",
    "campaigns.tasks.recompute_segments",
}


@pytest.mark.django_db
def test_a_fresh_install_has_every_beat_schedule_and_each_names_a_real_task():
    app.loader.import_default_modules()
    scheduled = set(PeriodicTask.objects.values_list("task", flat=True))
    assert scheduled >= EXPECTED
    assert set(app.tasks) >= EXPECTED


@pytest.mark.django_db
def test_login_codes_older_than_a_day_are_purged(now):
    old = LoginCode.objects.create(
        target="+79120000000",
        code_hash="x",
        created_at=now - dt.timedelta(days=2),
        expires_at=now - dt.timedelta(days=2),
    )
    fresh = LoginCode.objects.create(
        target="+79120000000", code_hash="y", created_at=now, expires_at=now
    )
    assert delete_old_codes(now=now) == 1
    assert set(LoginCode.objects.values_list("pk", flat=True)) == {fresh.pk}
    assert old.pk != fresh.pk


# --- Three days of downtime, then one run of each job ------------------------------------------


@pytest.fixture
def three_days_of_due_work(member, partner, now):
    """Lots expiring on three successive days, pending lots due on the same three days, and
    idempotency records and login codes that turned a day old on each of them; returns the
    moment an hour after the last of it fell due."""
    from loyalty.models import IdempotencyRecord, PointLot
    from tests.loyalty.helpers import buy, give, set_program

    set_program(activation_delay_days=7)
    for day in range(3):
        give(member, 10 + day, now + dt.timedelta(days=day))
    last_expiry = max(PointLot.objects.values_list("expires_at", flat=True))
    for day in range(3):  # purchases whose points activate 7 days later: on the three days
        buy(member, partner, last_expiry - dt.timedelta(days=9 - day), "1000")
    for day in range(3):
        stamp = last_expiry - dt.timedelta(days=3 - day)
        IdempotencyRecord.objects.create(
            partner=partner, key=f"k-{day}", request_hash="h", created_at=stamp
        )
        LoginCode.objects.create(
            target="+79120000000", code_hash=f"c{day}", created_at=stamp, expires_at=stamp
        )
    return last_expiry + dt.timedelta(hours=1)


@pytest.mark.django_db
def test_after_three_days_of_downtime_one_run_of_each_job_does_all_the_due_work(
    three_days_of_due_work, member
):
    from loyalty import tasks
    from loyalty.models import Account, IdempotencyRecord, PointLot
    from tests.loyalty.helpers import assert_ledger_ok

    with time_machine.travel(three_days_of_due_work, tick=False):
        stamp = timezone.localtime(three_days_of_due_work).isoformat(timespec="seconds")
        assert tasks.burn_points() == f"burn_points as of {stamp}: lots burnt 3"
        assert tasks.activate_points() == f"activate_points as of {stamp}: lots activated 3"
        assert tasks.purge_idempotency_records() == (
            f"purge_idempotency_records as of {stamp}: records deleted 3"
        )
        assert tasks.purge_login_codes() == f"purge_login_codes as of {stamp}: codes deleted 3"
        assert tasks.review_tiers_task().startswith(f"review_tiers as of {stamp}: accounts 1, ")
        # A second run finds nothing left to do.
        assert tasks.burn_points().endswith("lots burnt 0")
        assert tasks.activate_points().endswith("lots activated 0")

    assert not PointLot.objects.filter(is_pending=True).exists()
    assert IdempotencyRecord.objects.count() == LoginCode.objects.count() == 0
    assert (
        Account.objects.get(pk=member.pk).available,
        Account.objects.get(pk=member.pk).pending,
    ) == (60, 0)
    assert_ledger_ok()


def test_each_job_logs_its_one_line_summary(caplog, db, now):
    from loyalty import tasks

    with time_machine.travel(now, tick=False), caplog.at_level("INFO", logger="loyalty.tasks"):
        line = tasks.burn_points()
    assert caplog.messages == [line]


@pytest.mark.django_db
def test_beat_runs_a_job_missed_during_downtime_as_soon_as_it_starts_again(now):
    """Beat keeps each job's last run in the database: after three days off, a daily job is due
    at once (one run, which does the three days' work), not at its next scheduled time."""
    from django_celery_beat.schedulers import ModelEntry

    burn = PeriodicTask.objects.get(task="loyalty.tasks.burn_points")
    burn.last_run_at = now - dt.timedelta(days=3)
    burn.save(update_fields=["last_run_at"])
    with time_machine.travel(now, tick=False):
        is_due, _next_check = ModelEntry(burn, app=app).is_due()
    assert is_due


@pytest.mark.django_db
def test_every_trigger_is_a_beat_job_of_its_own_switched_with_it():
    import json

    from campaigns.models import Trigger
    from campaigns.schedules import schedule_name

    installed = Trigger.objects.all()
    assert installed.exists()
    for trigger in installed:  # the default triggers got their jobs from the migration
        job = PeriodicTask.objects.get(name=schedule_name(trigger.code))
        assert (job.task, json.loads(job.kwargs), job.enabled) == (
            "campaigns.tasks.run_trigger",
            {"code": trigger.code},
            trigger.enabled,
        )

    trigger = Trigger.objects.create(
        code="dates", name="Dates", kind="important_date", topic="birthday", channels=["sms"]
    )
    job = PeriodicTask.objects.get(name=schedule_name("dates"))
    assert not job.enabled and (job.crontab.hour, job.crontab.minute) == ("11", "0")
    trigger.enabled = True
    trigger.save()
    job.refresh_from_db()
    assert job.enabled
    trigger.delete()
    assert not PeriodicTask.objects.filter(name=schedule_name("dates")).exists()
