import datetime as dt

import pytest
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
