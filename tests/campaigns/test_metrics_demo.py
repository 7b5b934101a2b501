"""The demo stores the daily rollups of its history, and they give the live figures."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from campaigns.metrics import program_metrics
from campaigns.models import MetricsDay
from loyalty.models import Purchase
from loyalty.services.program import get_program, program_zone


@pytest.mark.slow
def test_the_demo_rolls_up_its_history(db, tmp_path):
    out = io.StringIO()
    call_command("seed_demo", members=20, api_key_file=str(tmp_path / "key.txt"), stdout=out)

    assert "Demo metrics: rolled up" in out.getvalue()
    now = timezone.now()
    today = now.astimezone(program_zone(get_program())).date()
    first = Purchase.objects.order_by("occurred_at").first().occurred_at
    assert MetricsDay.objects.filter(day=today - dt.timedelta(days=1)).exists()
    assert MetricsDay.objects.filter(day__lte=first.date()).exists()
    start = today - dt.timedelta(days=90)
    stored = program_metrics(start=start, end=today, now=now).as_json()
    live = program_metrics(start=start, end=today, now=now, live_only=True).as_json()
    stored.pop("expiry_forecast_as_of"), live.pop("expiry_forecast_as_of")
    assert stored == live
    assert stored["figures"]["checks"] > 0
