"""Campaign bonuses on a purchase: credited as their own lots, listed in the answers, taken back
on refunds."""

import datetime as dt
from decimal import Decimal

import pytest

from campaigns.checkout import quote_purchase, record_purchase
from campaigns.models import Award, Campaign
from loyalty.models import LedgerEntry, PointLot, PurchaseBonus
from loyalty.services import refund_purchase
from tests.factories import make_campaign, make_member

pytestmark = pytest.mark.django_db


def buy(member, partner, now, amount="1000.00", **kwargs):
    kwargs.setdefault("external_id", f"chk-{buy.n}")
    buy.n += 1
    return record_purchase(member_id=member.pk, partner=partner, now=now, amount=amount, **kwargs)


buy.n = 1


def test_a_doubling_campaign_adds_the_earned_points_again_as_a_bonus_lot(partner, now):
    member = make_member()
    campaign = make_campaign(name="×2 points")
    result = buy(member, partner, now)  # Base tier: 1 point per 50 ₽ → 20 points
    purchase = result.purchase
    assert purchase.earned_points == 20
    assert purchase.bonus_points == 20
    assert result.account.available == 40
    lot = PointLot.objects.get(purchase=purchase, source=PointLot.Source.BONUS)
    assert lot.points == 20
    entry = LedgerEntry.objects.get(purchase=purchase, kind=LedgerEntry.Kind.BONUS)
    assert entry.reason == "×2 points"
    award = Award.objects.get(campaign=campaign)
    assert (award.points, award.lot_id, award.purchase_id) == (20, lot.pk, purchase.pk)
    assert entry.lot_id == lot.pk


def test_the_quote_shows_the_bonus_without_writing(partner, now):
    member = make_member()
    make_campaign(name="×2 points")
    quote = quote_purchase(member_id=member.pk, now=now, amount="1000.00", partner=partner)
    assert (quote.earn_points, quote.bonus_points) == (20, 20)
    assert quote.campaigns[0]["name"] == "×2 points"
    assert not Award.objects.exists()


def test_a_paused_draft_or_ended_campaign_gives_nothing(partner, now):
    member = make_member()
    make_campaign(state=Campaign.State.PAUSED)
    make_campaign(state=Campaign.State.DRAFT)
    make_campaign(ends_at=now - dt.timedelta(minutes=1))
    make_campaign(starts_at=now + dt.timedelta(minutes=1))
    assert buy(member, partner, now).purchase.bonus_points == 0


def test_a_refund_takes_the_bonus_back_in_proportion(partner, now):
    member = make_member()
    make_campaign()
    purchase = buy(member, partner, now).purchase
    refund = refund_purchase(
        purchase_id=purchase.pk, external_id="r1", now=now, amount=Decimal("250.00")
    )
    # A quarter of the goods: 5 of the 20 earned, 5 of the 20 bonus.
    assert refund.clawed_back_points == 10
    bonus = PurchaseBonus.objects.get(purchase=purchase)
    assert bonus.clawed_back_points == 5


def test_a_step_the_refund_falls_below_is_taken_back_whole(partner, now):
    member = make_member()
    make_campaign(
        kind=Campaign.Kind.STEPS,
        steps=[{"from": "3000", "points": 50}, {"from": "5000", "points": 150}],
    )
    purchase = buy(member, partner, now, amount="5200.00").purchase
    assert purchase.bonus_points == 150
    refund = refund_purchase(
        purchase_id=purchase.pk, external_id="r1", now=now, amount=Decimal("300.00")
    )
    bonus = PurchaseBonus.objects.get(purchase=purchase)
    assert bonus.clawed_back_points == 150
    earned_back = refund.clawed_back_points - 150
    assert earned_back == 6  # 104 earned on 5200 ₽; 300/5200 of it


def test_an_event_bonus_is_given_once_per_occasion(now):
    from campaigns.grants import grant

    member = make_member()
    welcome = make_campaign(kind=Campaign.Kind.WELCOME, effect=Campaign.Effect.FIXED, value=100)
    first = grant(welcome, member_id=member.pk, occasion="welcome", now=now)
    again = grant(welcome, member_id=member.pk, occasion="welcome", now=now)
    assert (first.reason, first.points) == ("given", 100)
    assert (again.reason, again.points) == ("already", 100)
    assert member.account.__class__.objects.get(pk=member.pk).available == 100
