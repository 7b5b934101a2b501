"""The demo's checks without a card: about a third of all checks, at the demo stores in shop
hours over the history, recorded once."""

import datetime as dt

import pytest

from config.management.commands._demo_guest_checks import seed_guest_checks
from loyalty.models import GuestCheck
from loyalty.services import record_purchase
from tests.factories import MOSCOW, StoreFactory, make_member

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 18, 0, tzinfo=MOSCOW)
START = NOW - dt.timedelta(days=240)


def test_the_demo_records_about_a_third_of_the_checks_without_a_card_once(partner, store):
    coffee = StoreFactory(name="Кофейня")
    member = make_member(now=START)
    for day in range(26):
        record_purchase(
            member_id=member.pk,
            partner=partner,
            store=store,
            external_id=f"M-{day}",
            amount="500.00",
            now=START + dt.timedelta(days=day * 9),
        )
    stores = {partner.name: [store], coffee.partner.name: [coffee]}

    recorded = seed_guest_checks(
        stores=stores, market=partner.name, cashier=None, start=START, now=NOW, seed=2026
    )

    assert recorded == GuestCheck.objects.count() == 14  # 14 / (14 + 26) = 35 %
    for check in GuestCheck.objects.all():
        local = check.occurred_at.astimezone(MOSCOW)
        assert START <= check.occurred_at <= NOW and 9 <= local.hour <= 20
        assert check.store in (store, coffee) and check.store.partner_id == check.partner_id
        assert check.total > 0
    again = seed_guest_checks(
        stores=stores, market=partner.name, cashier=None, start=START, now=NOW, seed=2026
    )
    assert again == 0 and GuestCheck.objects.count() == 14
