"""The campaign report: who it reached, what its points became, and what it brought compared
with its holdout group — figures computed from real purchases, refunds, grants and burns."""

import datetime as dt
from decimal import Decimal

import pytest

from campaigns import engine
from campaigns.checkout import record_purchase
from campaigns.grants import grant
from campaigns.models import Award, Campaign
from campaigns.reports import campaign_report
from loyalty.services import refund_purchase
from loyalty.services.schedules import burn_expired_points
from tests.factories import make_campaign, make_member

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def member_in(campaign, *, held_out: bool, now):
    """A new member who is (or is not) in the campaign's holdout group."""
    for _ in range(200):
        member = make_member(now=now)
        if engine.in_holdout(member.pk, campaign) == held_out:
            return member
    raise AssertionError("no such member in 200 tries")


def buy(member, partner, now, amount, external_id, **kwargs):
    return record_purchase(
        member_id=member.pk,
        partner=partner,
        now=now,
        amount=amount,
        external_id=external_id,
        **kwargs,
    ).purchase


def test_the_report_compares_participants_with_the_holdout_group(partner, now):
    campaign = make_campaign(holdout_percent=50, bonus_lifetime_days=14)
    a = member_in(campaign, held_out=False, now=now)
    b = member_in(campaign, held_out=False, now=now)
    h = member_in(campaign, held_out=True, now=now)

    buy(a, partner, now, "1000.00", "a-1")  # earns 20, bonus +20 (a 14-day lot)
    b_purchase = buy(b, partner, now, "2000.00", "b-1")  # earns 40, bonus +40
    buy(h, partner, now, "600.00", "h-1")  # held out: earns 12, no bonus
    # A spends 30 points the next day: the bonus lot expires first, so all its 20 go first;
    # the check pays 470 ₽ and earns 9, bonus +9.
    buy(a, partner, now + DAY, "500.00", "a-2", redeem_points=30)
    # B returns a quarter of the goods: 10 earned and 10 bonus points are taken back, both
    # from the lot that expires first — the bonus lot, so 20 of it stay.
    refund_purchase(
        purchase_id=b_purchase.pk, external_id="b-r", now=now + 2 * DAY, amount="500.00"
    )
    # A month later the unused bonus lots have burnt: B's 20 and A's 9.
    burn_expired_points(now=now + 30 * DAY)
    assert Award.objects.filter(campaign=campaign, held_out=True).count() == 1

    report = campaign_report(campaign=campaign, now=now + 30 * DAY)

    assert report.members_reached == 2
    assert report.held_out_members == 1
    assert report.points_issued == 20 + 40 + 9
    assert report.points_redeemed == 20
    assert report.points_expired == 20 + 9
    # Paid: A 1000 + (500 − 30) = 1470, B 2000 − 500 = 1500; H 600.
    assert report.revenue_participants == Decimal("2970.00")
    assert report.revenue_per_participant == Decimal("1485.00")
    assert report.revenue_held_out == Decimal("600.00")
    assert report.revenue_per_held_out == Decimal("600.00")
    assert report.incremental_revenue == Decimal("1770.00")  # (1485 − 600) × 2
    assert report.cost == Decimal("69.00")  # 69 points × 1 ₽
    assert report.roi == Decimal("24.6522")  # (1770 − 69) / 69


def test_revenue_counts_only_the_campaigns_period(partner, now):
    campaign = make_campaign(starts_at=now, ends_at=now + 10 * DAY)
    member = make_member(now=now)
    buy(member, partner, now - DAY, "9000.00", "before")
    buy(member, partner, now + DAY, "1000.00", "during")
    buy(member, partner, now + 11 * DAY, "7000.00", "after")

    report = campaign_report(campaign=campaign, now=now + 20 * DAY)

    assert report.revenue_participants == Decimal("1000.00")
    assert report.period_end == now + 10 * DAY


def test_without_a_holdout_group_there_is_no_incremental_revenue_nor_roi(partner, now):
    welcome = make_campaign(
        kind=Campaign.Kind.WELCOME, effect=Campaign.Effect.FIXED, value=100, stacking_group="w"
    )
    first, second = make_member(now=now), make_member(now=now)
    for member in (first, second):
        assert grant(welcome, member_id=member.pk, occasion="welcome", now=now).points == 100
    # The first spends the whole welcome bonus on a check of 1 000 ₽ (pays 900 ₽).
    buy(first, partner, now + DAY, "1000.00", "w-1", redeem_points=100)

    report = campaign_report(campaign=welcome, now=now + 2 * DAY)

    assert (report.members_reached, report.points_issued) == (2, 200)
    assert (report.points_redeemed, report.points_expired) == (100, 0)
    assert report.revenue_participants == Decimal("900.00")
    assert report.revenue_per_participant == Decimal("450.00")
    assert report.held_out_members == 0
    assert report.incremental_revenue is None
    assert report.roi is None
    assert report.cost == Decimal("200.00")


def test_a_campaign_that_gave_nothing_reports_zeros(now):
    campaign = make_campaign()
    report = campaign_report(campaign=campaign, now=now)
    assert (report.members_reached, report.points_issued, report.cost) == (0, 0, Decimal("0.00"))
    assert report.revenue_per_participant is None
    assert report.roi is None
