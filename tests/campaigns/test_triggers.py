"""The finders of the triggers (campaigns/triggers/) with moving time: each occasion is found
on its day and not before, a second run finds the same keys (one message), a run after three
days of downtime still finds what came due meanwhile, and nothing older than `max_delay_days`.
The data is made through the loyalty services (purchases, refunds, tier reviews)."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.utils import translation

from campaigns import messaging, segments, trigger_params
from campaigns.checkout import record_purchase
from campaigns.models import (
    Award,
    Campaign,
    Message,
    MessageTemplate,
    Segment,
    SegmentMember,
    Trigger,
)
from campaigns.triggers import FINDERS
from customers.models import ImportantDate, Member
from customers.notifications import CHANNEL_CONSENT
from customers.services import set_consent
from loyalty.models import Account, Program, TierChange
from loyalty.services.program import clear_cache, get_program
from loyalty.services.tier_review import review_tiers
from loyalty.services.tiers import pin_tier
from tests.factories import make_campaign, make_member

pytestmark = pytest.mark.django_db
MSK = zoneinfo.ZoneInfo("Europe/Moscow")
Kind = Trigger.Kind
DAY = dt.timedelta(days=1)


def at(year, month, day, hour=10, minute=0):
    return dt.datetime(year, month, day, hour, minute, tzinfo=MSK)


def make_trigger(kind, *, params=None, topic=Trigger.Topic.POINTS, **fields) -> Trigger:
    trigger = Trigger.objects.create(
        code=f"{kind}-{Trigger.objects.count() + 1}",
        name=str(kind),
        kind=kind,
        topic=topic,
        enabled=True,
        params=params or {},
        channels=["sms"],
        **fields,
    )
    MessageTemplate.objects.create(
        trigger=trigger, channel="sms", language="ru", text="{{ first_name }}: {{ points }}"
    )
    return trigger


def find(trigger, now):
    """(member, key) of every occasion the trigger finds at `now`, in the order found."""
    trigger.refresh_from_db()
    with time_machine.travel(now, tick=False):
        return [(o.member_id, o.key) for o in FINDERS[trigger.kind](trigger, now)]


def occasions(trigger, now):
    trigger.refresh_from_db()
    with time_machine.travel(now, tick=False):
        return list(FINDERS[trigger.kind](trigger, now))


def ran_at(trigger, moment):
    """As if the trigger's job last ran at `moment`."""
    Trigger.objects.filter(pk=trigger.pk).update(last_run_at=moment)


def member(joined=None, **fields):
    joined = joined or at(2026, 1, 1)
    with time_machine.travel(joined, tick=False):
        return make_member(now=joined, **fields)


_checks = iter(range(1, 10**6))


def buy(person, partner, when, amount="1000.00", **kwargs):
    with time_machine.travel(when, tick=False):
        return record_purchase(
            member_id=person.pk,
            partner=partner,
            now=when,
            amount=amount,
            external_id=f"chk-{next(_checks)}",
            **kwargs,
        ).purchase


def block(person):
    Member.objects.filter(pk=person.pk).update(status=Member.Status.BLOCKED)


def run(trigger, now, dry_run=False):
    trigger.refresh_from_db()
    with time_machine.travel(now, tick=False):
        return messaging.run_trigger(trigger, now=now, dry_run=dry_run)


def messages(trigger):
    return sorted(Message.objects.filter(trigger=trigger).values_list("member_id", "occasion"))


# --- parameters ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", Kind.values)
def test_every_kind_has_a_finder_and_valid_defaults(kind):
    assert kind in FINDERS
    assert trigger_params.validate(kind, trigger_params.DEFAULTS[kind]) == []
    assert trigger_params.validate(kind, {}) == []


def test_the_installed_triggers_parameters_are_valid():
    installed = Trigger.objects.all()  # migration 0008's
    assert installed.exists()
    assert {t.code: trigger_params.validate(t.kind, t.params) for t in installed} == {
        t.code: [] for t in installed
    }


def test_parameters_left_out_take_the_kinds_defaults():
    trigger = Trigger(kind=Kind.INACTIVITY, params={"days": 90})
    assert trigger_params.with_defaults(trigger) == {
        "days": 90,
        "include_never_bought": False,
        "max_delay_days": 7,
    }


@pytest.mark.parametrize(
    ("kind", "params", "message"),
    [
        (Kind.EXPIRY, {"days": 91}, '"days" must be a whole number from 1 to 90.'),
        (Kind.INACTIVITY, {"days": 0}, '"days" must be a whole number from 1 to 3650.'),
        (Kind.EXPIRY, {"days": True}, '"days" must be a whole number from 1 to 90.'),
        (Kind.EARNED, {"min_points": "3"}, '"min_points" must be a whole number from 1 to'),
        (Kind.EXPIRY, {"max_delay_days": 3}, "Unknown parameters: max_delay_days."),
        (Kind.BIRTHDAY, {"days": 61}, '"days" must be a whole number from 0 to 60.'),
        (Kind.INACTIVITY, {"include_never_bought": 1}, '"include_never_bought" must be true'),
        (Kind.REWARD, {"reward": "x" * 101}, '"reward" must be a text of at most 100'),
        (Kind.WELCOME, {"steps": []}, '"steps" is a list of 1 to 10 steps'),
        (Kind.WELCOME, {"steps": [{"day": 3}, {"day": 1}]}, "The steps' days must go up."),
        (Kind.WELCOME, {"steps": [{"day": 0, "x": 1}]}, 'Step 1 needs "day"'),
        (Kind.AVG_CHECK_DROP, {"drop_percent": 100}, '"drop_percent" must be a whole number'),
        (Kind.AVG_CHECK_DROP, [], "Parameters must be an object."),
    ],
)
def test_bad_parameters_are_named_in_a_message(kind, params, message):
    with translation.override("en"):
        errors = trigger_params.validate(kind, params)
    assert len(errors) == 1 and errors[0].startswith(message), errors
    with pytest.raises(trigger_params.TriggerParamsInvalid) as caught, translation.override("en"):
        trigger_params.clean(kind, params)
    assert caught.value.code == "trigger_params_invalid"
    assert caught.value.fields == {"params": errors}


def test_parameter_errors_are_in_russian_by_default():
    assert trigger_params.validate(Kind.WELCOME, {"steps": [{"day": 3}, {"day": 1}]}) == [
        "Дни шагов должны идти по возрастанию."
    ]


def test_a_finder_refuses_parameters_saved_past_the_checks(now):
    trigger = make_trigger(Kind.EXPIRY, params={"days": -1})
    with pytest.raises(trigger_params.TriggerParamsInvalid):
        find(trigger, now)


# --- expiry --------------------------------------------------------------------------------------
# A purchase on 15 January earns a lot that burns when 15 July ends (6 months, program zone).
BOUGHT = at(2026, 1, 15)


def test_expiring_points_are_told_three_days_before_they_burn_with_the_sum_of_that_day(partner):
    anna, boris = member(), member()
    buy(anna, partner, BOUGHT)  # 20 points
    buy(anna, partner, BOUGHT + dt.timedelta(hours=5))  # 20 more, burning the same night
    buy(anna, partner, BOUGHT + DAY, amount="5000.00")  # 100 burning a day later
    buy(boris, partner, BOUGHT + DAY)
    trigger = make_trigger(Kind.EXPIRY, topic=Trigger.Topic.EXPIRY)

    assert find(trigger, at(2026, 7, 12)) == []  # 3 days 14 hours before
    [told] = occasions(trigger, at(2026, 7, 13))
    assert (told.member_id, told.key) == (anna.pk, "2026-07-15")
    assert told.variables == {"points": 40, "expires_on": "2026-07-15", "days": 3}
    assert told.stale_at == at(2026, 7, 16, 0)
    assert find(trigger, at(2026, 7, 13)) == [(anna.pk, "2026-07-15")]  # again: the same key
    # The next day's points get their own reminder, while the nearest day is still 15 July.
    assert find(trigger, at(2026, 7, 14)) == [(anna.pk, "2026-07-15"), (boris.pk, "2026-07-16")]
    assert find(trigger, at(2026, 7, 16)) == [(anna.pk, "2026-07-16"), (boris.pk, "2026-07-16")]
    [later] = [o for o in occasions(trigger, at(2026, 7, 16)) if o.member_id == anna.pk]
    assert (later.variables["points"], later.variables["days"]) == (100, 1)


def test_points_spent_burnt_or_still_pending_and_blocked_members_are_not_reminded(partner):
    Program.objects.filter(pk=1).update(activation_delay_days=180)  # available on 14 July
    clear_cache()
    anna, boris = member(), member()
    buy(anna, partner, BOUGHT)
    buy(boris, partner, BOUGHT)
    block(boris)
    trigger = make_trigger(Kind.EXPIRY, topic=Trigger.Topic.EXPIRY)

    assert find(trigger, at(2026, 7, 13)) == []  # pending until 14 July 10:00
    assert find(trigger, at(2026, 7, 14, 11)) == [(anna.pk, "2026-07-15")]
    # Downtime over the night the points burnt: nothing to tell any more (not even late).
    assert find(trigger, at(2026, 7, 16, 0)) == []


def test_an_expiry_reminder_is_one_message_however_often_and_late_the_job_runs(partner):
    anna = member()
    set_consent(member=anna, kind=CHANNEL_CONSENT["sms"], given=True, now=BOUGHT, source="test")
    buy(anna, partner, BOUGHT)
    trigger = make_trigger(Kind.EXPIRY, topic=Trigger.Topic.EXPIRY)

    run(trigger, at(2026, 7, 12))  # the last run before three days of downtime
    report = run(trigger, at(2026, 7, 15))
    again = run(trigger, at(2026, 7, 15, 11))

    assert messages(trigger) == [(anna.pk, "2026-07-15")]
    assert Message.objects.get(trigger=trigger).context["points"] == 20
    assert (report.found, again.already) == (1, 1)


# --- points earned, first purchase ---------------------------------------------------------------
def test_points_earned_are_told_once_per_purchase_and_a_purchase_with_none_is_not(partner):
    anna = member()
    trigger = make_trigger(Kind.EARNED)
    assert find(trigger, at(2026, 3, 1, 12)) == []
    purchase = buy(anna, partner, at(2026, 3, 1, 12, 5))
    buy(anna, partner, at(2026, 3, 1, 12, 6), amount="30.00")  # no points: nothing to tell

    [told] = occasions(trigger, at(2026, 3, 1, 12, 10))
    assert (told.key, told.variables) == (
        f"purchase:{purchase.pk}",
        {"earned": 20, "purchase_total": "1000.00"},
    )
    run(trigger, at(2026, 3, 1, 12, 10))
    run(trigger, at(2026, 3, 1, 12, 20))  # the purchase is inside the overlap: found again
    assert messages(trigger) == [(anna.pk, f"purchase:{purchase.pk}")]


def test_earned_points_catch_up_after_three_days_but_not_older_than_max_delay(partner):
    anna = member()
    trigger = make_trigger(Kind.EARNED)  # max_delay_days 3
    run(trigger, at(2026, 3, 1))
    first = buy(anna, partner, at(2026, 3, 1, 11))
    second = buy(anna, partner, at(2026, 3, 3, 11))

    assert find(trigger, at(2026, 3, 4, 10, 59)) == [
        (anna.pk, f"purchase:{first.pk}"),
        (anna.pk, f"purchase:{second.pk}"),
    ]
    assert find(trigger, at(2026, 3, 4, 11, 1)) == [(anna.pk, f"purchase:{second.pk}")]
    run(trigger, at(2026, 3, 4, 12))
    # The next run looks only after the previous one (less its overlap).
    assert find(trigger, at(2026, 3, 4, 13)) == []


def test_first_purchase_thanks_only_the_first(partner):
    anna, boris = member(), member()
    buy(boris, partner, at(2026, 2, 1))
    trigger = make_trigger(Kind.FIRST_PURCHASE)
    first = buy(anna, partner, at(2026, 3, 1, 12))
    buy(boris, partner, at(2026, 3, 1, 12, 30))  # boris's second

    assert find(trigger, at(2026, 3, 1, 11)) == []
    [told] = occasions(trigger, at(2026, 3, 1, 13))
    assert (told.member_id, told.key, told.variables["earned"]) == (
        anna.pk,
        "first_purchase",
        first.earned_points,
    )
    run(trigger, at(2026, 3, 1, 13))
    buy(anna, partner, at(2026, 3, 2, 12))
    assert find(trigger, at(2026, 3, 2, 13)) == []
    # Three days down: still found (the key keeps it one message); five days: too late.
    ran_at(trigger, at(2026, 2, 28))
    assert find(trigger, at(2026, 3, 4, 11)) == [(anna.pk, "first_purchase")]
    assert find(trigger, at(2026, 3, 5, 13)) == []


# --- enough for a reward -------------------------------------------------------------------------
def test_a_reward_is_told_when_a_purchase_crosses_the_threshold_not_while_above(partner):
    anna = member()
    trigger = make_trigger(Kind.REWARD, params={"threshold": 100, "reward": "Кофе"})
    buy(anna, partner, at(2026, 3, 1))  # 20
    buy(anna, partner, at(2026, 3, 2), amount="3000.00")  # 80: below
    assert find(trigger, at(2026, 3, 2, 11)) == []

    buy(anna, partner, at(2026, 3, 3), amount="1500.00")  # 110: crossed
    [told] = occasions(trigger, at(2026, 3, 3, 11))
    assert (told.key, told.variables) == (
        "reward:100:2026-03-03",
        {"reward_points": 100, "reward": "Кофе"},
    )
    run(trigger, at(2026, 3, 3, 11))
    buy(anna, partner, at(2026, 3, 4))  # 130: still above, nothing new
    run(trigger, at(2026, 3, 4, 11))
    assert messages(trigger) == [(anna.pk, "reward:100:2026-03-03")]

    buy(anna, partner, at(2026, 3, 5), redeem_points=100)  # 30 + 18: below again
    buy(anna, partner, at(2026, 3, 8), amount="3000.00")  # 108: a new crossing
    run(trigger, at(2026, 3, 8, 11))  # four days after the last run
    assert messages(trigger) == [
        (anna.pk, "reward:100:2026-03-03"),
        (anna.pk, "reward:100:2026-03-08"),
    ]


def test_a_crossing_is_not_told_when_older_than_max_delay_or_already_spent(partner):
    anna, boris = member(), member()
    trigger = make_trigger(Kind.REWARD, params={"threshold": 100, "max_delay_days": 2})
    buy(anna, partner, at(2026, 3, 1), amount="5000.00")
    buy(boris, partner, at(2026, 3, 2), amount="5000.00")
    buy(boris, partner, at(2026, 3, 2, 12), amount="1000.00", redeem_points=100)  # spent
    assert find(trigger, at(2026, 3, 3, 9)) == [(anna.pk, "reward:100:2026-03-01")]
    assert find(trigger, at(2026, 3, 3, 11)) == []


# --- tiers ---------------------------------------------------------------------------------------
# 10 000 ₽ reaches silver; a year on, the review finds the spend below (grace: 30 days).
UPGRADED = at(2026, 1, 15, 12)
BELOW = at(2027, 1, 16, 3)  # the review that starts the grace period
LOWERED = BELOW + dt.timedelta(days=30)  # the review that lowers the tier


def silver(partner, person=None):
    person = person or member()
    buy(person, partner, UPGRADED, amount="10000.00")
    return person


def test_tier_up_is_told_once_per_change_with_the_tiers(partner):
    trigger = make_trigger(Kind.TIER_UP, topic=Trigger.Topic.TIER)
    anna = member()
    assert find(trigger, UPGRADED) == []  # joining is no tier change
    silver(partner, anna)
    change = TierChange.objects.get(account_id=anna.pk, reason=TierChange.Reason.UPGRADE)

    [told] = occasions(trigger, UPGRADED + dt.timedelta(minutes=5))
    assert (told.key, told.variables) == (
        f"tierchange:{change.pk}",
        {
            "old_tier": "Базовый",
            "old_tier_en": "Base",
            "new_tier": "Серебряный",
            "new_tier_en": "Silver",
        },
    )
    ran_at(trigger, UPGRADED - DAY)
    assert find(trigger, UPGRADED + dt.timedelta(days=3)) == [(anna.pk, f"tierchange:{change.pk}")]
    assert find(trigger, UPGRADED + dt.timedelta(days=3, hours=1)) == []
    assert find(make_trigger(Kind.TIER_DOWN), UPGRADED + DAY) == []


def test_tier_down_is_told_after_the_review_lowers_the_tier(partner):
    anna = silver(partner)
    trigger = make_trigger(Kind.TIER_DOWN, topic=Trigger.Topic.TIER)
    review_tiers(now=BELOW)
    assert find(trigger, BELOW + DAY) == []  # only the grace period began
    review_tiers(now=LOWERED)
    change = TierChange.objects.get(account_id=anna.pk, reason=TierChange.Reason.REVIEW)
    [told] = occasions(trigger, LOWERED + dt.timedelta(hours=7))
    assert (told.key, told.variables["old_tier"], told.variables["new_tier"]) == (
        f"tierchange:{change.pk}",
        "Серебряный",
        "Базовый",
    )
    ran_at(trigger, LOWERED - DAY)
    assert find(trigger, LOWERED + dt.timedelta(days=3)) == [(anna.pk, f"tierchange:{change.pk}")]
    assert find(trigger, LOWERED + dt.timedelta(days=3, minutes=1)) == []  # too late
    run(trigger, LOWERED + dt.timedelta(hours=7))
    run(trigger, LOWERED + dt.timedelta(hours=8))
    assert messages(trigger) == [(anna.pk, f"tierchange:{change.pk}")]


def test_tier_at_risk_is_told_days_before_the_review_that_would_lower_it(partner, admin_user):
    anna, pinned = silver(partner), silver(partner)
    pin_tier(
        member_id=pinned.pk,
        tier=Account.objects.get(pk=pinned.pk).tier,
        reason="VIP",
        staff=admin_user,
        now=UPGRADED + DAY,
    )
    trigger = make_trigger(Kind.TIER_AT_RISK, topic=Trigger.Topic.TIER)  # 14 days before
    review_tiers(now=BELOW)
    due = LOWERED - dt.timedelta(days=14)

    assert find(trigger, due - dt.timedelta(minutes=1)) == []
    [told] = occasions(trigger, due)
    assert (told.member_id, told.key) == (anna.pk, "tier_at_risk:silver:2027-01-16")
    assert told.variables == {
        "review_on": "2027-02-15",
        "spend_needed": "10000.00",
        "new_tier": "Базовый",
        "new_tier_en": "Base",
    }
    ran_at(trigger, due - DAY)
    assert find(trigger, due + dt.timedelta(days=3)) == [
        (anna.pk, "tier_at_risk:silver:2027-01-16")
    ]
    assert find(trigger, due + dt.timedelta(days=7, minutes=1)) == []  # max_delay_days 7
    buy(anna, partner, due + DAY, amount="10000.00")  # back at the threshold: no risk
    assert find(trigger, due + dt.timedelta(days=2)) == []


def test_no_tier_is_at_risk_when_the_review_would_keep_it(partner):
    anna = silver(partner)
    trigger = make_trigger(Kind.TIER_AT_RISK, topic=Trigger.Topic.TIER)
    review_tiers(now=BELOW)
    due = LOWERED - dt.timedelta(days=14)
    assert find(trigger, due) == [(anna.pk, "tier_at_risk:silver:2027-01-16")]
    Program.objects.filter(pk=1).update(tier_downgrade_policy=Program.DowngradePolicy.NONE)
    clear_cache()
    assert find(trigger, due) == []


# --- welcome series ------------------------------------------------------------------------------
def test_welcome_steps_go_on_their_days_each_once(partner):
    trigger = make_trigger(Kind.WELCOME, params={"steps": [{"day": 0}, {"day": 2}]})
    joined = at(2026, 3, 1, 23)
    anna = member(joined=joined)

    assert find(trigger, joined - dt.timedelta(minutes=1)) == []
    [first] = occasions(trigger, joined + dt.timedelta(minutes=5))
    assert (first.key, first.variables) == ("welcome:1", {"step": 1, "day": 0})
    assert find(trigger, at(2026, 3, 2, 23, 59)) == [(anna.pk, "welcome:1")]  # step 2: not yet
    assert find(trigger, at(2026, 3, 3, 0, 1)) == [(anna.pk, "welcome:1"), (anna.pk, "welcome:2")]
    # Three days without runs after joining: both steps still go, each once.
    run(trigger, at(2026, 3, 4, 12))
    run(trigger, at(2026, 3, 4, 13))
    assert messages(trigger) == [(anna.pk, "welcome:1"), (anna.pk, "welcome:2")]
    assert find(trigger, at(2026, 3, 6, 12)) == [(anna.pk, "welcome:2")]  # 3 days late
    assert find(trigger, at(2026, 3, 7, 0, 1)) == []  # more than 3 days late


# --- inactivity ----------------------------------------------------------------------------------
def refresh_activity(now):
    with time_machine.travel(now, tick=False):
        segments.recompute(now=now, full=True)


def test_inactivity_is_told_days_after_the_last_purchase(partner):
    anna, boris, never = member(), member(), member(joined=at(2026, 1, 10))
    buy(anna, partner, at(2026, 1, 15, 12))
    buy(boris, partner, at(2026, 1, 15, 12))
    buy(boris, partner, at(2026, 2, 20, 12))  # the activity below does not know it yet
    refresh_activity(at(2026, 2, 1))
    trigger = make_trigger(Kind.INACTIVITY, topic=Trigger.Topic.OFFERS)

    assert find(trigger, at(2026, 3, 16, 11)) == []  # 59 days
    [told] = occasions(trigger, at(2026, 3, 16, 12, 1))
    assert (told.member_id, told.key, told.variables) == (
        anna.pk,
        "inactivity:2026-01-15",
        {"days": 60, "last_purchase_on": "2026-01-15"},
    )
    assert find(trigger, at(2026, 3, 23, 11)) == [(anna.pk, "inactivity:2026-01-15")]
    assert find(trigger, at(2026, 3, 23, 12, 1)) == []  # more than 7 days late
    assert never.pk not in {m for m, _k in find(trigger, at(2026, 3, 11, 12))}

    with_never = make_trigger(Kind.INACTIVITY, params={"include_never_bought": True})
    assert find(with_never, at(2026, 3, 11, 12)) == [(never.pk, "inactivity:never")]


def test_inactivity_with_a_campaign_gives_its_bonus_once_and_says_so(partner):
    anna = member()
    set_consent(member=anna, kind=CHANNEL_CONSENT["sms"], given=True, now=BOUGHT, source="test")
    buy(anna, partner, at(2026, 1, 15, 12))
    refresh_activity(at(2026, 2, 1))
    campaign = make_campaign(kind=Campaign.Kind.WIN_BACK, effect=Campaign.Effect.FIXED, value=100)
    trigger = make_trigger(Kind.INACTIVITY, topic=Trigger.Topic.OFFERS, campaign=campaign)
    due = at(2026, 3, 16, 13)

    [dry] = FINDERS[Kind.INACTIVITY](trigger, due, dry_run=True)
    assert dry.variables["bonus_points"] == 100 and not Award.objects.exists()
    run(trigger, due)
    run(trigger, due + dt.timedelta(days=3))  # three days on, still inside max_delay_days

    award = Award.objects.get(campaign=campaign, member=anna)
    assert (award.occasion, award.points) == ("inactivity:2026-01-15", 100)
    assert Message.objects.get(trigger=trigger).context["bonus_points"] == 100


def test_a_dry_run_of_run_triggers_gives_no_bonus(partner):
    anna = member()
    buy(anna, partner, at(2026, 1, 15, 12))
    refresh_activity(at(2026, 2, 1))
    campaign = make_campaign(kind=Campaign.Kind.WIN_BACK, effect=Campaign.Effect.FIXED, value=100)
    trigger = make_trigger(Kind.INACTIVITY, topic=Trigger.Topic.OFFERS, campaign=campaign)

    report = run(trigger, at(2026, 3, 16, 13), dry_run=True)

    assert report.found == 1
    assert not Award.objects.exists()


def test_the_triggers_holdout_gets_neither_the_message_nor_the_bonus(partner):
    from campaigns.messaging import in_holdout

    members = [member() for _ in range(12)]
    for m in members:
        set_consent(member=m, kind=CHANNEL_CONSENT["sms"], given=True, now=BOUGHT, source="test")
        buy(m, partner, at(2026, 1, 15, 12))
    refresh_activity(at(2026, 2, 1))
    campaign = make_campaign(kind=Campaign.Kind.WIN_BACK, effect=Campaign.Effect.FIXED, value=100)
    trigger = make_trigger(
        Kind.INACTIVITY, topic=Trigger.Topic.OFFERS, campaign=campaign, holdout_percent=50
    )
    held = {m.pk for m in members if in_holdout(trigger, m.pk)}
    assert 0 < len(held) < len(members)

    run(trigger, at(2026, 3, 16, 13))

    rewarded = set(Award.objects.filter(campaign=campaign).values_list("member_id", flat=True))
    assert rewarded == {m.pk for m in members} - held
    assert held == set(
        Message.objects.filter(trigger=trigger, reason="holdout").values_list(
            "member_id", flat=True
        )
    )


# --- birthdays and important dates ---------------------------------------------------------------
def test_a_birthday_is_told_days_before_and_not_after_it_passed(partner):
    anna = member(birth_date=dt.date(1990, 3, 10))
    trigger = make_trigger(Kind.BIRTHDAY, topic=Trigger.Topic.BIRTHDAY)  # 3 days, max delay 3

    assert find(trigger, at(2026, 3, 6, 23)) == []
    [told] = occasions(trigger, at(2026, 3, 7, 0, 1))
    assert (told.key, told.variables) == ("birthday:2026", {"days": 3, "date": "2026-03-10"})
    assert find(trigger, at(2026, 3, 10, 23)) == [(anna.pk, "birthday:2026")]  # 3 days down
    assert find(trigger, at(2026, 3, 11)) == []
    assert find(trigger, at(2027, 3, 8)) == [(anna.pk, "birthday:2027")]


def test_a_birthday_told_ten_days_before_is_not_caught_up_more_than_max_delay_late(partner):
    anna = member(birth_date=dt.date(2000, 2, 29))  # 28 February in a common year
    trigger = make_trigger(Kind.BIRTHDAY, params={"days": 10, "max_delay_days": 3})
    assert find(trigger, at(2027, 2, 17)) == []
    assert find(trigger, at(2027, 2, 18)) == [(anna.pk, "birthday:2027")]
    assert find(trigger, at(2027, 2, 21)) == [(anna.pk, "birthday:2027")]
    assert find(trigger, at(2027, 2, 22)) == []
    assert find(trigger, at(2028, 2, 19)) == [(anna.pk, "birthday:2028")]  # 29 Feb 2028


def test_important_dates_yearly_every_year_and_one_off_once(partner):
    anna = member()
    child = ImportantDate.objects.create(
        member=anna, label="День рождения сына", date=dt.date(2020, 5, 20)
    )
    wedding = ImportantDate.objects.create(member=anna, label="Свадьба", date=dt.date(2027, 5, 20))
    trip = ImportantDate.objects.create(
        member=anna, label="Отпуск", date=dt.date(2026, 6, 1), yearly=False
    )
    trigger = make_trigger(Kind.IMPORTANT_DATE, topic=Trigger.Topic.BIRTHDAY)

    assert find(trigger, at(2026, 5, 16)) == []
    [told] = occasions(trigger, at(2026, 5, 17))
    assert (told.key, told.variables) == (
        f"date:{child.pk}:2026",
        {"label": "День рождения сына", "date": "2026-05-20", "days": 3, "years": 6},
    )
    assert find(trigger, at(2026, 5, 20)) == [(anna.pk, f"date:{child.pk}:2026")]  # 3 days late
    assert find(trigger, at(2026, 5, 21)) == []
    assert find(trigger, at(2026, 5, 29)) == [(anna.pk, f"date:{trip.pk}:2026")]
    assert find(trigger, at(2027, 5, 29)) == []  # a one-off date: once
    # A yearly date given ahead of time is told from its own day on, not before.
    assert find(trigger, at(2027, 5, 18)) == [
        (anna.pk, f"date:{child.pk}:2027"),
        (anna.pk, f"date:{wedding.pk}:2027"),
    ]


# --- the average check ---------------------------------------------------------------------------
def test_a_falling_average_check_is_told_once_a_month(partner):
    anna, boris = member(), member()
    for day in (1, 10, 20):
        buy(anna, partner, at(2026, 1, day), amount="2000.00")
        buy(boris, partner, at(2026, 1, day), amount="2000.00")
    buy(anna, partner, at(2026, 4, 20), amount="1000.00")  # half the check before
    buy(boris, partner, at(2026, 4, 20), amount="1500.00")  # a quarter less: not 30 %
    trigger = make_trigger(Kind.AVG_CHECK_DROP, topic=Trigger.Topic.OFFERS)
    refresh_activity(at(2026, 4, 19))
    assert find(trigger, at(2026, 4, 19, 12)) == []  # the smaller check not bought yet
    refresh_activity(at(2026, 5, 1))

    [told] = occasions(trigger, at(2026, 5, 1, 12))
    assert (told.member_id, told.key, told.variables) == (
        anna.pk,
        "avg_check:2026-05",
        {"recent_average": "1000.00", "previous_average": "2000.00", "drop_percent": 50},
    )
    assert find(trigger, at(2026, 5, 4, 12)) == [(anna.pk, "avg_check:2026-05")]
    assert find(trigger, at(2026, 6, 1, 12)) == [(anna.pk, "avg_check:2026-06")]
    assert (
        find(make_trigger(Kind.AVG_CHECK_DROP, params={"min_purchases": 5}), at(2026, 5, 1)) == []
    )


# --- broadcasts ----------------------------------------------------------------------------------
def test_a_broadcast_goes_at_its_time_to_the_segments_active_members_once(partner):
    anna, boris, closed, outsider = member(), member(), member(), member()
    block(closed)
    segment = Segment.objects.create(code="list", name="Список", kind=Segment.Kind.STATIC)
    for person in (anna, boris, closed):
        SegmentMember.objects.create(segment=segment, member=person, since=at(2026, 1, 2))
    send_at = at(2026, 3, 1, 12)
    trigger = make_trigger(
        Kind.BROADCAST, topic=Trigger.Topic.OFFERS, segment=segment, send_at=send_at
    )

    assert find(trigger, send_at - dt.timedelta(minutes=1)) == []
    assert find(trigger, send_at) == [(anna.pk, "broadcast"), (boris.pk, "broadcast")]
    assert find(trigger, send_at + dt.timedelta(days=3)) == [
        (anna.pk, "broadcast"),
        (boris.pk, "broadcast"),
    ]
    assert find(trigger, send_at + dt.timedelta(days=3, minutes=1)) == []  # too late
    everyone = make_trigger(Kind.BROADCAST, send_at=send_at)
    assert {m for m, _k in find(everyone, send_at)} == {anna.pk, boris.pk, outsider.pk}
    run(trigger, send_at)
    run(trigger, send_at + dt.timedelta(hours=1))
    assert messages(trigger) == [(anna.pk, "broadcast"), (boris.pk, "broadcast")]


# --- streaming -----------------------------------------------------------------------------------
def test_a_finder_reads_its_members_in_one_query_not_one_per_member(
    django_assert_max_num_queries,
):
    for n in range(30):
        member(birth_date=dt.date(1980 + n, 3, 10 if n % 2 else 11))
    trigger = make_trigger(Kind.BIRTHDAY, params={"days": 3, "max_delay_days": 0})
    trigger.refresh_from_db()
    get_program()
    with django_assert_max_num_queries(1):
        found = list(FINDERS[Kind.BIRTHDAY](trigger, at(2026, 3, 7)))
    assert len(found) == 15
