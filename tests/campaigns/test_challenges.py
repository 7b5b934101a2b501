"""Achievements and challenges: progress from the member's purchases, the bonus once when done."""

import datetime as dt

import pytest

from campaigns import challenges
from campaigns.checkout import record_purchase
from campaigns.models import Award, Campaign, ChallengeProgress
from loyalty.models import LedgerEntry
from loyalty.services import refund_purchase
from tests.factories import make_campaign, make_member

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


@pytest.fixture
def buy(partner, django_capture_on_commit_callbacks):
    """Record a purchase and run what waits for its commit (the challenges' update)."""
    numbers = iter(range(1, 10**6))

    def buy(member, at, amount="500.00", lines=None, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return record_purchase(
                member_id=member.pk,
                partner=partner,
                now=at,
                external_id=f"chk-{next(numbers)}",
                amount=None if lines else amount,
                lines=lines,
                **kwargs,
            ).purchase

    return buy


def challenge(goal="visits", points=100, conditions=None, **params):
    return make_campaign(
        kind=Campaign.Kind.CHALLENGE,
        effect=Campaign.Effect.FIXED,
        value=points,
        params={"goal": goal, **params},
        conditions=conditions or {},
    )


def progress(campaign, member):
    return ChallengeProgress.objects.filter(campaign=campaign, member=member).first()


def bonus_awards(campaign, member):
    return list(Award.objects.filter(campaign=campaign, member=member, occasion="challenge"))


def line(sku, category, price="300.00"):
    return {"sku": sku, "name": sku, "category": category, "quantity": 1, "price": price}


def test_five_visits_within_a_month_complete_the_challenge_and_give_its_bonus_once(buy, now):
    member = make_member()
    campaign = challenge("visits", count=5, window_days=30)
    for day in range(4):
        buy(member, now + day * DAY)
    row = progress(campaign, member)
    assert (row.done, row.target, row.completed_at) == (4, 5, None)
    assert not bonus_awards(campaign, member)

    buy(member, now + 4 * DAY)
    buy(member, now + 5 * DAY)  # a sixth visit gives nothing more

    (award,) = bonus_awards(campaign, member)
    assert award.points == 100
    entry = LedgerEntry.objects.get(pk=award.entry_id)
    assert (entry.kind, entry.points) == (LedgerEntry.Kind.BONUS, 100)
    row = progress(campaign, member)
    assert (row.done, row.completed_at) == (5, now + 4 * DAY)


def test_visits_older_than_the_window_drop_out_as_time_moves(buy, now):
    member = make_member()
    campaign = challenge("visits", count=3, window_days=7)
    buy(member, now)
    buy(member, now + 3 * DAY)
    buy(member, now + 8 * DAY)  # the first visit is now 8 days old: 2 of 3 in the window
    assert progress(campaign, member).done == 2
    assert not bonus_awards(campaign, member)
    buy(member, now + 9 * DAY)  # days 3, 8, 9: three within 7 days
    assert len(bonus_awards(campaign, member)) == 1


def test_three_different_categories_within_the_window_complete_a_categories_challenge(buy, now):
    member = make_member()
    campaign = challenge("categories", count=3, window_days=30)
    buy(member, now, lines=[line("milk", "dairy"), line("kefir", "dairy")])
    buy(member, now + DAY, lines=[line("bread", "bakery")])
    assert progress(campaign, member).done == 2
    buy(member, now + 40 * DAY, lines=[line("apple", "fruit")])  # the first two are too old
    assert progress(campaign, member).done == 1
    assert not bonus_awards(campaign, member)
    buy(member, now + 41 * DAY, lines=[line("cheese", "dairy"), line("bun", "bakery")])
    assert len(bonus_awards(campaign, member)) == 1


def test_a_purchase_in_each_of_four_consecutive_weeks_completes_a_weekly_challenge(buy, now):
    member = make_member()
    campaign = challenge("weekly", weeks=4)
    monday = dt.datetime(2026, 1, 12, 10, 0, tzinfo=now.tzinfo)
    buy(member, monday)
    buy(member, monday + 6 * DAY)  # Sunday of the same ISO week: still one week
    buy(member, monday + 7 * DAY)
    assert progress(campaign, member).done == 2
    buy(member, monday + 21 * DAY)  # a week without a purchase: the streak starts again
    assert progress(campaign, member).done == 1
    buy(member, monday + 28 * DAY)
    buy(member, monday + 35 * DAY)
    assert progress(campaign, member).done == 3
    assert not bonus_awards(campaign, member)
    buy(member, monday + 42 * DAY)
    assert len(bonus_awards(campaign, member)) == 1


def test_a_weekly_streak_stays_alive_until_a_whole_week_passes_without_a_purchase(now):
    campaign = Campaign(params={"goal": "weekly", "weeks": 4})
    monday = dt.datetime(2026, 1, 12, 10, 0, tzinfo=now.tzinfo)
    stamps = [challenges.Stamp(monday + w * 7 * DAY, frozenset()) for w in (0, 1)]
    assert challenges.measure(campaign, stamps, monday + 13 * DAY).done == 2
    assert challenges.measure(campaign, stamps, monday + 14 * DAY).done == 2  # this week: not yet
    assert challenges.measure(campaign, stamps, monday + 21 * DAY).done == 0  # a week missed


def test_weeks_are_counted_in_the_programs_time_zone(buy, now):
    member = make_member()
    campaign = challenge("weekly", weeks=2)
    # Sunday 23:30 in Moscow is still Sunday there, though Monday has begun further east.
    sunday_late = dt.datetime(2026, 1, 18, 23, 30, tzinfo=now.tzinfo)
    buy(member, sunday_late)
    buy(member, sunday_late + dt.timedelta(hours=1))  # Monday 00:30: the next ISO week
    assert len(bonus_awards(campaign, member)) == 1


def test_only_purchases_the_conditions_accept_count(buy, now, store):
    member = make_member()
    campaign = challenge("visits", count=2, conditions={"all": [{"check_amount": {"gte": "1000"}}]})
    buy(member, now, amount="999.00")
    buy(member, now + DAY, amount="1500.00")
    assert progress(campaign, member).done == 1
    buy(member, now + 2 * DAY, amount="1000.00")
    assert len(bonus_awards(campaign, member)) == 1


def test_a_refunded_purchase_no_longer_counts(buy, now):
    member = make_member()
    campaign = challenge("visits", count=3, window_days=30)
    first = buy(member, now)
    buy(member, now + DAY)
    refund_purchase(purchase_id=first.pk, external_id="r1", now=now + 2 * DAY)
    buy(member, now + 2 * DAY)
    assert progress(campaign, member).done == 2
    assert not bonus_awards(campaign, member)


def test_a_refunded_line_takes_its_category_away(buy, now):
    member = make_member()
    campaign = challenge("categories", count=3)
    purchase = buy(member, now, lines=[line("milk", "dairy"), line("bread", "bakery")])
    refund_purchase(
        purchase_id=purchase.pk, external_id="r1", now=now, lines=[{"sku": "bread", "quantity": 1}]
    )
    buy(member, now + DAY, lines=[line("kefir", "dairy"), line("apple", "fruit")])
    assert progress(campaign, member).done == 2  # dairy and fruit: the bread went back
    assert not bonus_awards(campaign, member)


def test_purchases_before_the_challenge_starts_do_not_count(buy, now):
    member = make_member()
    buy(member, now - DAY)
    campaign = challenge("visits", count=2)
    Campaign.objects.filter(pk=campaign.pk).update(starts_at=now)
    campaign.refresh_from_db()
    buy(member, now + DAY)
    assert progress(campaign, member).done == 1


def test_a_held_out_member_keeps_progress_but_gets_a_record_of_nothing(buy, now):
    campaign = challenge("visits", count=1)
    Campaign.objects.filter(pk=campaign.pk).update(holdout_percent=50)
    campaign.refresh_from_db()
    members = [make_member() for _ in range(12)]
    held = [m for m in members if challenges.engine.in_holdout(m.pk, campaign)]
    assert held, "with 12 members and a 50 % holdout some are held out"
    for member in held:
        buy(member, now)
        (award,) = bonus_awards(campaign, member)
        assert (award.held_out, award.points, award.entry_id) == (True, 0, None)
        assert progress(campaign, member).completed_at == now


def test_a_purchase_waits_for_no_challenge_work_when_none_runs(
    partner, now, django_capture_on_commit_callbacks, django_assert_num_queries
):
    member = make_member()
    make_campaign()  # a running promo
    ended = challenge("visits", count=1)
    Campaign.objects.filter(pk=ended.pk).update(ends_at=now - DAY)
    challenges.running_challenges(None, now)  # the campaigns are read once and cached
    with django_assert_num_queries(0):
        challenges.after_purchase(member_id=member.pk, purchase_id=1, tier_id=None, now=now)
    with django_capture_on_commit_callbacks() as waiting:
        record_purchase(member_id=member.pk, partner=partner, now=now, external_id="a", amount=100)
    assert waiting == []
    challenge("visits", count=1)
    with django_capture_on_commit_callbacks() as waiting:
        record_purchase(member_id=member.pk, partner=partner, now=now, external_id="b", amount=100)
    assert len(waiting) == 1


def test_progress_is_computed_again_from_purchases_after_a_missed_update(partner, now):
    member = make_member()
    campaign = challenge("visits", count=2)
    for n in range(2):  # recorded without running the after-commit hooks
        purchase = record_purchase(
            member_id=member.pk, partner=partner, now=now, external_id=f"m{n}", amount="100"
        ).purchase
    assert not ChallengeProgress.objects.exists()
    (measure,) = challenges.purchase_recorded(member_id=member.pk, purchase_id=purchase.pk, now=now)
    assert measure.completed
    assert len(bonus_awards(campaign, member)) == 1


def test_an_ended_challenge_gives_nothing(buy, now):
    member = make_member()
    campaign = challenge("visits", count=1)
    Campaign.objects.filter(pk=campaign.pk).update(ends_at=now - DAY)
    buy(member, now)
    assert not bonus_awards(campaign, member)


@pytest.mark.parametrize(
    ("goal", "params", "target"), [("visits", {}, 5), ("categories", {}, 3), ("weekly", {}, 4)]
)
def test_a_challenge_without_numbers_uses_the_defaults(goal, params, target):
    campaign = Campaign(kind=Campaign.Kind.CHALLENGE, params={"goal": goal, **params})
    assert challenges.target_of(campaign) == target


def test_measure_counts_the_rolling_window_at_the_moment_asked(now):
    campaign = Campaign(params={"goal": "visits", "count": 3, "window_days": 10})
    stamps = [challenges.Stamp(now + d * DAY, frozenset()) for d in (0, 2, 4)]
    assert challenges.measure(campaign, stamps, now + 4 * DAY).completed
    later = challenges.measure(campaign, stamps, now + 13 * DAY)
    assert (later.done, later.completed) == (3, True)  # completed once: stays completed
    fewer = challenges.measure(campaign, stamps[:2], now + 11 * DAY)
    assert (fewer.done, fewer.completed) == (1, False)


def test_updating_progress_after_a_purchase_takes_a_fixed_number_of_queries(
    partner, now, django_assert_max_num_queries
):
    member = make_member()
    challenge("visits", count=100)
    challenge("categories", count=50)
    challenge("weekly", weeks=52)
    for n in range(30):
        purchase = record_purchase(
            member_id=member.pk, partner=partner, now=now + n * DAY, external_id=f"q{n}", amount=10
        ).purchase
    challenges.purchase_recorded(member_id=member.pk, purchase_id=purchase.pk, now=now + 30 * DAY)
    # The account, the purchases, their lines, the progress rows, one update per challenge.
    with django_assert_max_num_queries(7):
        challenges.purchase_recorded(
            member_id=member.pk, purchase_id=purchase.pk, now=now + 31 * DAY
        )
