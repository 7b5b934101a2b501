"""The small history the metrics tests work out by hand (see tests/campaigns/test_metrics.py
for the story), built with the real services at its own moments."""

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine

from campaigns import events
from campaigns.checkout import record_purchase
from campaigns.models import Campaign
from loyalty.services import refund_purchase
from loyalty.services.accounts import adjust_points
from loyalty.services.guest_checks import record_guest_check
from loyalty.services.schedules import burn_expired_points
from tests.factories import PartnerFactory, StoreFactory, UserFactory, make_campaign, make_member

MSK = ZoneInfo("Europe/Moscow")
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
AFTER_MARCH = dt.datetime(2026, 4, 1, 12, 0, tzinfo=MSK)


def at(month: int, day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=MSK)


class History:
    """The history above, built step by step at its own moments."""

    def __init__(self):
        self.p = PartnerFactory(name="P")
        self.q = PartnerFactory(name="Q")
        self.s1 = StoreFactory(partner=self.p, name="S1")
        self.s2 = StoreFactory(partner=self.p, name="S2")
        self.s3 = StoreFactory(partner=self.q, name="S3")
        self.staff = UserFactory(username="metrics-staff")
        self.checks = 0

    def join(self, when):
        with time_machine.travel(when, tick=False):
            member = make_member(now=when)
            events.member_joined(member, now=when)
        return member

    def buy(self, member, store, when, amount, **kwargs):
        self.checks += 1
        with time_machine.travel(kwargs.pop("recorded_at", when), tick=False):
            return record_purchase(
                member_id=member.pk,
                partner=store.partner,
                store=store,
                now=kwargs.pop("now", when),
                occurred_at=when,
                amount=amount,
                external_id=f"check-{self.checks}",
                **kwargs,
            ).purchase

    def guest(self, store, when, total):
        self.checks += 1
        with time_machine.travel(when, tick=False):
            record_guest_check(
                partner=store.partner,
                store=store,
                external_id=f"check-{self.checks}",
                total=total,
                occurred_at=when,
                channel="till",
                now=when,
            )


def build_history() -> History:
    h = History()
    make_campaign(
        kind=Campaign.Kind.WELCOME,
        effect=Campaign.Effect.FIXED,
        value=100,
        bonus_lifetime_days=14,
        starts_at=at(3, 1, 0),
        name="Welcome",
    )
    h.a = h.join(at(1, 10))
    h.b = h.join(at(1, 20))
    h.buy(h.a, h.s2, at(1, 15), "800.00")
    h.c = h.join(at(2, 5))
    h.buy(h.a, h.s1, at(2, 10), "1000.00")
    h.guest(h.s1, at(2, 12), "200.00")
    h.buy(h.b, h.s3, at(2, 15), "2000.00")
    h.buy(h.c, h.s1, at(2, 20), "500.00")
    h.d = h.join(at(3, 3))
    h.buy(h.a, h.s1, at(3, 5), "1000.00", redeem_points=30)
    h.buy(h.c, h.s1, at(3, 7), "400.00")
    h.buy(h.d, h.s2, at(3, 8), "1500.00")
    h.e = h.join(at(3, 10))
    refunded = h.buy(h.a, h.s2, at(3, 12), "600.00")
    with time_machine.travel(at(3, 15), tick=False):
        adjust_points(member_id=h.c.pk, points=50, reason="goodwill", staff=h.staff, now=at(3, 15))
    with time_machine.travel(at(3, 16), tick=False):
        adjust_points(member_id=h.b.pk, points=-10, reason="error", staff=h.staff, now=at(3, 16))
    with time_machine.travel(at(3, 20), tick=False):
        refund_purchase(purchase_id=refunded.pk, external_id="r-1", now=at(3, 20), amount="300.00")
    h.guest(h.s1, at(3, 9), "700.00")
    h.guest(h.s2, at(3, 14), "300.00")
    h.guest(h.s3, at(3, 21), "500.00")
    h.buy(h.c, h.s3, at(3, 25), "300.00")
    with time_machine.travel(at(3, 28), tick=False):
        burn_expired_points(now=at(3, 28))
    return h
