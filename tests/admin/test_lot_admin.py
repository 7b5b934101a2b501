"""The points lots list: lots with points left that expire soon, without the spent ones."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from loyalty.models import PointLot
from loyalty.services import adjust_points
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def test_lots_expiring_within_n_days_are_the_live_ones_due_soonest_first(admin_client):
    member = make_member()
    now = timezone.now()

    def gift(points, days_ago):
        adjust_points(
            member_id=member.pk,
            points=points,
            reason="test",
            staff=None,
            now=now - dt.timedelta(days=days_ago),
        )

    gift(10, 179)  # expires in about 3 days, then spent entirely
    gift(-10, 178.9)
    gift(20, 178)  # expires in about 4 days
    gift(30, 160)  # in about 22 days
    spent, soon, later = PointLot.objects.filter(account_id=member.pk).order_by("expires_at")
    assert spent.remaining == 0 and soon.expires_at < later.expires_at

    def shown(value):
        response = admin_client.get(
            "/admin/loyalty/pointlot/", {"expires": value}, HTTP_ACCEPT_LANGUAGE="en"
        )
        return [lot.pk for lot in response.context["cl"].result_list]

    assert shown("7") == [soon.pk]
    assert shown("30") == [soon.pk, later.pk]
    assert sorted(shown("live")) == sorted([soon.pk, later.pk])
    assert shown("spent") == [spent.pk]


def test_a_lot_reads_in_the_admins_language():
    member = make_member()
    adjust_points(member_id=member.pk, points=7, reason="t", staff=None, now=timezone.now())
    lot = PointLot.objects.get(account_id=member.pk)
    with translation.override("ru"):
        assert str(lot).startswith("7 б. (осталось 7), до ")
    with translation.override("en"):
        assert str(lot).startswith("7 points (7 left), until ")
