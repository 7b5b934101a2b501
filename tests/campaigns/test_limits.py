"""Campaign limits hold under real concurrency: budgets, uses and each member's own limits."""

import datetime as dt

import pytest

from campaigns.checkout import quote_purchase, record_purchase
from campaigns.models import Award, Campaign
from loyalty.models import LedgerEntry
from loyalty.services.audit import ledger_problems
from tests.factories import make_campaign, make_member
from tests.race import race

_numbers = iter(range(1, 100_000))


def buy(member, partner, now, amount="1000.00"):
    return record_purchase(
        member_id=member.pk,
        partner=partner,
        external_id=f"chk-{next(_numbers)}",
        now=now,
        amount=amount,
    )


@pytest.mark.django_db(transaction=True)
def test_twenty_tills_at_once_never_spend_a_campaign_budget_by_a_single_point(partner, now):
    members = [make_member() for _ in range(20)]
    # ×2 on 1 000 ₽ gives 20 bonus points a check: a budget of 150 fits 7 checks, not 8.
    campaign = make_campaign(budget_points=150)
    outcomes = race(*[lambda m=m: buy(m, partner, now) for m in members])
    assert not [o for o in outcomes if isinstance(o, Exception)]
    bonuses = sorted(o.purchase.bonus_points for o in outcomes)
    assert bonuses == [0] * 13 + [20] * 7
    campaign.refresh_from_db()
    assert (campaign.spent_points, campaign.uses) == (140, 7)
    given = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.BONUS)
    assert sum(given.values_list("points", flat=True)) == 140
    assert Award.objects.filter(campaign=campaign).count() == 7
    assert ledger_problems() == []


@pytest.mark.django_db(transaction=True)
def test_twenty_tills_at_once_never_use_a_campaign_more_than_its_uses(partner, now):
    members = [make_member() for _ in range(20)]
    campaign = make_campaign(max_uses=5)
    outcomes = race(*[lambda m=m: buy(m, partner, now) for m in members])
    assert sum(1 for o in outcomes if o.purchase.bonus_points) == 5
    campaign.refresh_from_db()
    assert campaign.uses == 5


@pytest.mark.django_db
def test_when_the_budget_is_spent_the_next_campaign_of_the_group_wins(partner, now):
    member = make_member()
    make_campaign(name="x3", value=3, budget_points=50, stacking_group="promo")
    make_campaign(name="x2", stacking_group="promo")
    assert buy(member, partner, now).purchase.bonus_points == 40  # x3 fits
    quote = quote_purchase(member_id=member.pk, now=now, amount="1000.00")
    assert [(c["name"], c["applied"], c.get("reason")) for c in quote.campaigns] == [
        ("x2", True, None),
        ("x3", False, "budget"),
    ]
    assert buy(member, partner, now).purchase.bonus_points == 20  # x3 spent: x2


@pytest.mark.django_db
def test_a_member_limit_per_day_resets_the_next_day_and_a_total_limit_never(partner, now):
    member = make_member()
    daily = make_campaign(name="daily", member_limit_day=1, stacking_group="a")
    total = make_campaign(
        name="twice", effect="fixed", value=5, member_limit_total=2, stacking_group="b"
    )
    assert buy(member, partner, now).purchase.bonus_points == 25
    assert buy(member, partner, now).purchase.bonus_points == 5  # daily used today
    tomorrow = now + dt.timedelta(days=1)
    assert buy(member, partner, tomorrow).purchase.bonus_points == 20  # twice used twice
    assert Award.objects.filter(campaign=daily).count() == 2
    assert Award.objects.filter(campaign=total).count() == 2
    other = make_member()
    assert buy(other, partner, now).purchase.bonus_points == 25


@pytest.mark.django_db
def test_a_held_out_member_is_recorded_and_gets_nothing(partner, now):
    from campaigns.engine import in_holdout

    campaign = make_campaign(holdout_percent=50)
    members = [make_member() for _ in range(12)]
    held = [m for m in members if in_holdout(m.pk, campaign)]
    given = [m for m in members if not in_holdout(m.pk, campaign)]
    assert held and given  # 12 members at 50 %: both groups exist
    for member in members:
        buy(member, partner, now)
    awards = Award.objects.filter(campaign=campaign)
    assert {a.member_id for a in awards if a.held_out} == {m.pk for m in held}
    assert all(a.points == 0 for a in awards if a.held_out)
    assert {a.member_id for a in awards if not a.held_out} == {m.pk for m in given}


@pytest.mark.django_db
def test_a_campaign_change_reaches_the_next_purchase_without_a_restart(partner, now):
    member = make_member()
    campaign = make_campaign()
    assert buy(member, partner, now).purchase.bonus_points == 20
    campaign.state = Campaign.State.PAUSED
    campaign.save()
    assert buy(member, partner, now).purchase.bonus_points == 0


@pytest.mark.django_db
def test_a_purchase_with_many_campaigns_does_not_query_per_campaign(
    partner, now, django_assert_max_num_queries
):
    member = make_member()
    for i in range(30):
        make_campaign(name=f"saturday-{i}", conditions={"weekday": [6]}, stacking_group="weekend")
    buy(member, partner, now)  # loads the cache
    # The lock and the write, as with no campaign (+ 2 savepoints: the test's transaction).
    with django_assert_max_num_queries(4):
        assert buy(member, partner, now).purchase.bonus_points == 0  # T0 is a Thursday


@pytest.mark.django_db(transaction=True)
def test_ten_tills_at_once_give_one_member_no_more_than_their_limit(partner, now):
    member = make_member()
    campaign = make_campaign(member_limit_total=3)
    outcomes = race(*[lambda: buy(member, partner, now)] * 10)
    assert not [o for o in outcomes if isinstance(o, Exception)]
    assert sorted(o.purchase.bonus_points for o in outcomes) == [0] * 7 + [20] * 3
    assert Award.objects.filter(campaign=campaign, member=member).count() == 3
    assert ledger_problems() == []
