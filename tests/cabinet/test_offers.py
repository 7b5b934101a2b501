"""The cabinet's Offers page: what applies to this member now, their achievements and their
referral link."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from campaigns import engine
from campaigns.checkout import record_purchase
from campaigns.conditions import Facts
from campaigns.models import Award, Campaign
from campaigns.offers import may_hold, member_offers
from customers.models import Member
from loyalty.models import Account, Tier
from tests.factories import make_campaign, make_member

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def page(client, language="en"):
    response = client.get("/offers/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def set_tier(member, code):
    Account.objects.filter(member=member).update(tier=Tier.objects.get(code=code))


def codes(offers):
    return [offer.campaign.code for offer in offers]


def test_a_member_with_nothing_running_sees_the_honest_empty_page(member_client):
    html = page(member_client)
    assert "There are no special offers for you right now." in html
    assert 'id="offers-purchases"' not in html


def test_a_running_campaign_shows_with_its_description_in_the_members_language(
    member_client,
):
    now = timezone.now()
    make_campaign(
        code="saturday",
        name="Суббота ×2",
        description="Двойные баллы по субботам",
        description_en="Double points on Saturdays",
        ends_at=now + 10 * DAY,
    )
    english = page(member_client)
    assert "Double points on Saturdays" in english
    assert "Until" in english
    russian = page(member_client, "ru")
    assert "Двойные баллы по субботам" in russian
    assert "There are no special offers" not in english


def test_a_campaign_without_a_description_says_its_effect(member, now):
    make_campaign(code="x3", value=3)
    (offer,) = member_offers(member=member, now=timezone.now(), language="ru").purchases
    assert offer.effect == "баллы ×3"
    with translation.override("en"):
        (offer,) = member_offers(member=member, now=timezone.now(), language="en").purchases
    assert offer.effect == "×3 points"


def test_tier_conditions_decide_who_sees_a_campaign(member):
    make_campaign(code="gold-only", conditions={"tier": ["gold"]})
    now = timezone.now()
    assert codes(member_offers(member=member, now=now).purchases) == []
    set_tier(member, "gold")
    assert codes(member_offers(member=member, now=now).purchases) == ["gold-only"]


def test_conditions_on_the_check_do_not_hide_an_offer_but_the_members_own_do(member):
    make_campaign(code="big-checks", conditions={"check_amount": {"gte": "2000"}})
    make_campaign(code="saturdays", conditions={"all": [{"weekday": [6]}, {"tier": ["base"]}]})
    make_campaign(code="old-members", conditions={"member_days": {"gte": 365}})
    make_campaign(
        code="not-gold-or-big", conditions={"not": {"any": [{"tier": ["gold"]}, {"store": [1]}]}}
    )
    seen = codes(member_offers(member=member, now=timezone.now()).purchases)
    assert sorted(seen) == ["big-checks", "not-gold-or-big", "saturdays"]


def test_early_access_is_shown_to_the_tier_that_has_it_and_to_no_one_else(member):
    now = timezone.now()
    gold = Tier.objects.get(code="gold")
    make_campaign(
        code="sale",
        starts_at=now + 2 * DAY,
        early_access_days=3,
        early_access_tiers=[gold],
    )
    assert member_offers(member=member, now=now).purchases == []
    set_tier(member, "gold")
    (offer,) = member_offers(member=member, now=now).purchases
    assert offer.early


def test_early_access_reads_as_such_on_the_page(member, member_client):
    now = timezone.now()
    make_campaign(
        code="sale",
        starts_at=now + 2 * DAY,
        early_access_days=3,
        early_access_tiers=[Tier.objects.get(code="gold")],
    )
    set_tier(member, "gold")
    assert "Early access for your tier" in page(member_client)


def test_a_member_of_the_holdout_group_is_not_shown_the_campaign(now):
    campaign = make_campaign(code="ab", holdout_percent=50)
    members = [make_member() for _ in range(12)]
    held = [m for m in members if engine.in_holdout(m.pk, campaign)]
    treated = [m for m in members if not engine.in_holdout(m.pk, campaign)]
    assert held and treated
    assert member_offers(member=held[0], now=timezone.now()).purchases == []
    assert codes(member_offers(member=treated[0], now=timezone.now()).purchases) == ["ab"]


def test_a_first_purchase_offer_disappears_after_the_first_purchase(member, partner):
    make_campaign(code="first", kind=Campaign.Kind.FIRST_PURCHASE)
    now = timezone.now()
    assert codes(member_offers(member=member, now=now).purchases) == ["first"]
    record_purchase(member_id=member.pk, partner=partner, now=now, external_id="1", amount=100)
    assert member_offers(member=member, now=now).purchases == []


def event(kind, points=50, **fields):
    return make_campaign(kind=kind, effect=Campaign.Effect.FIXED, value=points, **fields)


def test_the_profile_bonus_says_which_fields_are_missing_until_it_is_given(member, member_client):
    campaign = event(Campaign.Kind.PROFILE, params={"fields": ["email", "birth_date"]})
    html = page(member_client)
    assert "+50 points" in html
    assert "Fill in your profile:" in html and "e-mail" in html and "birth date" in html
    Award.objects.create(
        campaign=campaign, member=member, occasion="profile", points=50, created_at=timezone.now()
    )
    assert member_offers(member=member, now=timezone.now()).events == []


def test_the_birthday_bonus_asks_for_the_birth_date_or_says_when_it_comes(member):
    event(Campaign.Kind.BIRTHDAY, params={"days_before": 0, "days_after": 3})
    now = timezone.now()
    (offer,) = member_offers(member=member, now=now).events
    assert offer.needs_birth_date
    today = timezone.localtime(now).date()
    member.birth_date = dt.date(1990, today.month, today.day) - 5 * DAY
    member.save()
    (offer,) = member_offers(member=member, now=now).events
    assert offer.next_date > today
    assert (offer.next_date.month, offer.next_date.day) == (
        member.birth_date.month,
        member.birth_date.day,
    )


def test_welcome_bonuses_are_not_offered_to_members_who_already_joined(member):
    event(Campaign.Kind.WELCOME)
    assert member_offers(member=member, now=timezone.now()).is_empty


def challenge(code, **params):
    return make_campaign(
        code=code,
        kind=Campaign.Kind.CHALLENGE,
        effect=Campaign.Effect.FIXED,
        value=200,
        params=params,
    )


def test_achievements_show_stamps_collected_of_needed_and_completed_ones_marked(
    member, member_client, partner
):
    now = timezone.now()
    challenge("five-visits", goal="visits", count=5, window_days=30)
    challenge("two-visits", goal="visits", count=2, window_days=30)
    for n in (3, 2):
        record_purchase(
            member_id=member.pk, partner=partner, now=now - n * DAY, external_id=f"c{n}", amount=100
        )
    cards = {c.campaign.code: c for c in member_offers(member=member, now=now).achievements}
    assert cards["five-visits"].stamps == [True, True, False, False, False]
    assert not cards["five-visits"].completed
    assert cards["two-visits"].completed
    html = page(member_client)
    assert "2 of 5 stamps" in html
    assert html.count('class="stamp stamp-on"') == 2 + 2
    assert "Completed" in html
    russian = page(member_client, "ru")
    assert "Достижения" in russian and "2 из 5 штампов" in russian and "Выполнено" in russian


def test_the_referral_link_carries_the_code_and_says_what_it_earned(member, member_client):
    referral = event(Campaign.Kind.REFERRAL, params={"referrer_points": 150})
    friend, other_friend = make_member(), make_member()
    Member.objects.filter(pk__in=[friend.pk, other_friend.pk]).update(referred_by=member)
    Award.objects.create(
        campaign=referral,
        member=member,
        occasion=f"referee:{friend.pk}",
        points=150,
        created_at=timezone.now(),
    )
    Award.objects.create(  # the member's own bonus for joining with a code: not an earning
        campaign=referral, member=member, occasion="referee", points=50, created_at=timezone.now()
    )
    html = page(member_client)
    assert f"/join/?ref={member.referral_code}" in html
    assert "2 friends joined with your code" in html
    assert "you earned 150 points" in html
    assert "+150 points for you after your friend" in html


def test_the_join_page_takes_the_code_from_the_referral_link(client, member):
    response = client.get(f"/join/?ref={member.referral_code}", HTTP_ACCEPT_LANGUAGE="en")
    assert f'value="{member.referral_code}"' in response.content.decode()


def test_the_offers_page_reads_a_bounded_number_of_queries(
    member, member_client, django_assert_max_num_queries
):
    for n in range(10):
        make_campaign(code=f"promo-{n}")
    event(Campaign.Kind.PROFILE)
    challenge("visits", goal="visits", count=3)
    page(member_client)  # warms the caches
    with django_assert_max_num_queries(8):
        page(member_client)


def test_conditions_before_a_check_are_true_false_or_unknown():
    facts = Facts(local=timezone.now(), tier_code="gold")
    assert may_hold({}, facts) is True
    assert may_hold({"tier": ["gold"]}, facts) is True
    assert may_hold({"tier": ["base"]}, facts) is False
    assert may_hold({"store": [1]}, facts) is None
    assert may_hold({"all": [{"store": [1]}, {"tier": ["base"]}]}, facts) is False
    assert may_hold({"any": [{"store": [1]}, {"tier": ["gold"]}]}, facts) is True
    assert may_hold({"any": [{"store": [1]}, {"tier": ["base"]}]}, facts) is None
    assert may_hold({"not": {"store": [1]}}, facts) is None
    assert may_hold({"not": {"tier": ["base"]}}, facts) is True
