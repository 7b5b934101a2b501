"""The campaign engine: which campaigns give what on one check (a pure function)."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from campaigns import conditions, engine
from campaigns.conditions import Facts
from campaigns.models import Campaign

MOSCOW = ZoneInfo("Europe/Moscow")
SATURDAY = dt.datetime(2026, 1, 17, 12, 0, tzinfo=MOSCOW)
BASIS = engine.Basis(
    earn_points=20, rubles_per_point=Decimal(50), earn_on_redeemed=False, earns=True
)
_ids = iter(range(1, 10_000))


def campaign(**fields) -> Campaign:
    """An unsaved running campaign (the engine reads no database)."""
    values = {
        "pk": next(_ids),
        "name": "c",
        "kind": Campaign.Kind.PROMO,
        "state": Campaign.State.ACTIVE,
        "effect": Campaign.Effect.MULTIPLIER,
        "value": Decimal(2),
        "stacking_group": f"g{fields.get('pk', 0) or id(fields)}",
    }
    values.update(fields)
    early = values.pop("early_tier_ids", ())
    made = Campaign(**values)
    made.early_tier_ids = frozenset(early)
    return made


def line(sku="MILK", category="dairy", amount="1000.00", quantity="1", discount="0"):
    return engine.EarnLine(
        sku=sku,
        category=category,
        quantity=Decimal(quantity),
        amount=Decimal(amount),
        discount=Decimal(discount),
    )


def run(campaigns, *, lines=None, when=SATURDAY, basis=BASIS, member_id=7, cap=None, **facts):
    lines = lines or [line()]
    tier_id = facts.pop("tier_id", None)
    facts.setdefault("tier_code", "base")
    return engine.evaluate(
        campaigns,
        facts=Facts(
            local=when,
            lines=tuple(lines),
            total=sum((x.amount for x in lines), Decimal(0)),
            **facts,
        ),
        lines=lines,
        basis=basis,
        member_id=member_id,
        tier_id=tier_id,
        now=when,
        cap=cap,
    )


def points(outcome) -> dict[str, int]:
    return {bonus.campaign.name: bonus.points for bonus in outcome.applied}


# --- effects -----------------------------------------------------------------------------------
def test_a_multiplier_gives_the_earned_points_times_n_minus_one():
    assert points(run([campaign(name="x3", value=Decimal(3))])) == {"x3": 40}


def test_a_percent_gives_that_share_of_the_earned_points_rounded_down():
    assert points(run([campaign(name="+25%", effect="percent", value=Decimal(25))])) == {"+25%": 5}


def test_a_fixed_bonus_gives_its_points():
    assert points(run([campaign(name="+70", effect="fixed", value=Decimal(70))])) == {"+70": 70}


def test_points_per_amount_count_only_the_chosen_lines_and_the_money_paid():
    dairy = campaign(
        name="dairy",
        effect="per_amount",
        value=Decimal(10),
        per_amount=Decimal(100),
        lines={"categories": ["dairy"]},
    )
    lines = [line(amount="450.00", discount="100.00"), line(sku="BREAD", category="bakery")]
    # 450 ₽ of dairy, 100 ₽ of it paid with points: 350 ₽ paid → 3 × 10 points
    assert points(run([dairy], lines=lines)) == {"dairy": 30}


def test_a_multiplier_on_some_lines_scales_the_points_those_lines_earn():
    dairy = campaign(name="dairy x2", lines={"categories": ["dairy"], "exclude_skus": ["KEFIR"]})
    lines = [
        line(amount="500.00"),
        line(sku="KEFIR", amount="500.00"),
        line(sku="BREAD", category="bakery", amount="500.00"),
    ]
    assert points(run([dairy], lines=lines)) == {"dairy x2": 10}  # 500 ₽ at 50 ₽ a point


def test_no_points_earned_no_multiplied_points():
    no_earn = engine.Basis(
        earn_points=0, rubles_per_point=Decimal(50), earn_on_redeemed=False, earns=False
    )
    assert run([campaign()], basis=no_earn).applied == []


def test_the_highest_step_reached_gives_its_points_and_is_kept_from_its_amount():
    steps = campaign(
        name="steps",
        kind=Campaign.Kind.STEPS,
        steps=[{"from": "3000", "points": 50}, {"from": "5000", "points": 150}],
    )
    assert run([steps], lines=[line(amount="2999.99")]).applied == []
    (bonus,) = run([steps], lines=[line(amount="3000.00")]).applied
    assert (bonus.points, bonus.keep_from) == (50, Decimal(3000))
    (bonus,) = run([steps], lines=[line(amount="7000.00")]).applied
    assert (bonus.points, bonus.keep_from) == (150, Decimal(5000))


def test_a_campaign_cap_per_check_limits_its_points():
    assert points(run([campaign(name="x10", value=Decimal(10), max_points_per_check=50)])) == {
        "x10": 50
    }


# --- stacking ----------------------------------------------------------------------------------
def test_in_one_group_the_best_bonus_wins_and_the_others_lose_saying_why():
    x2 = campaign(name="x2", stacking_group="promo")
    x3 = campaign(name="x3", value=Decimal(3), stacking_group="promo")
    outcome = run([x2, x3])
    assert points(outcome) == {"x3": 40}
    assert [(lost.campaign.name, lost.reason) for lost in outcome.lost] == [("x2", "group")]


def test_bonuses_of_different_groups_add_up():
    outcome = run(
        [
            campaign(name="x2", stacking_group="a"),
            campaign(name="+5", effect="fixed", value=Decimal(5), stacking_group="b"),
        ]
    )
    assert points(outcome) == {"x2": 20, "+5": 5}
    assert outcome.points == 25


def test_a_tie_goes_to_the_higher_priority_then_the_older_campaign():
    first = campaign(name="first", stacking_group="g", effect="fixed", value=Decimal(10))
    second = campaign(name="second", stacking_group="g", effect="fixed", value=Decimal(10))
    assert points(run([second, first])) == {"first": 10}
    urgent = campaign(
        name="urgent", stacking_group="g", effect="fixed", value=Decimal(10), priority=5
    )
    assert points(run([first, second, urgent])) == {"urgent": 10}


def test_an_exclusive_campaign_stops_every_other():
    outcome = run(
        [
            campaign(name="x3", value=Decimal(3), stacking_group="a"),
            campaign(name="only", effect="fixed", value=Decimal(5), exclusive=True),
            campaign(name="+7", effect="fixed", value=Decimal(7), stacking_group="b"),
        ]
    )
    assert points(outcome) == {"only": 5}
    assert {lost.campaign.name: lost.reason for lost in outcome.lost} == {
        "x3": "exclusive",
        "+7": "exclusive",
    }


def test_the_program_cap_per_check_trims_the_smallest_bonuses():
    outcome = run(
        [
            campaign(name="x3", value=Decimal(3), stacking_group="a"),
            campaign(name="+15", effect="fixed", value=Decimal(15), stacking_group="b"),
            campaign(name="+5", effect="fixed", value=Decimal(5), stacking_group="c"),
        ],
        cap=50,
    )
    assert points(outcome) == {"x3": 40, "+15": 10}
    assert [(lost.campaign.name, lost.reason) for lost in outcome.lost] == [("+5", "cap")]


def test_a_blocked_campaign_loses_and_the_next_of_its_group_wins():
    x3 = campaign(name="x3", value=Decimal(3), stacking_group="g")
    x2 = campaign(name="x2", stacking_group="g")
    outcome = engine.evaluate(
        [x3, x2],
        facts=Facts(local=SATURDAY, lines=(line(),), total=Decimal(1000), tier_code="base"),
        lines=[line()],
        basis=BASIS,
        member_id=1,
        tier_id=None,
        now=SATURDAY,
        blocked={x3.pk: engine.Reason.BUDGET},
    )
    assert points(outcome) == {"x2": 20}
    assert [(lost.campaign.name, lost.reason) for lost in outcome.lost] == [("x3", "budget")]


# --- holdout -----------------------------------------------------------------------------------
def test_holdout_is_stable_per_member_and_near_its_share():
    c = campaign(holdout_percent=20)
    first = [engine.in_holdout(member, c) for member in range(1, 5001)]
    again = [engine.in_holdout(member, c) for member in range(1, 5001)]
    assert first == again
    assert 850 <= sum(first) <= 1150  # 20 % of 5000, give or take a few percent


def test_a_held_out_member_gets_nothing_from_the_campaign_and_the_next_in_its_group_wins():
    c = campaign(name="x3", value=Decimal(3), holdout_percent=50, stacking_group="g")
    backup = campaign(name="x2", stacking_group="g")
    member = next(m for m in range(1, 1000) if engine.in_holdout(m, c))
    outcome = run([c, backup], member_id=member)
    assert points(outcome) == {"x2": 20}
    assert outcome.held_out == [c]
    other = next(m for m in range(1, 1000) if not engine.in_holdout(m, c))
    assert points(run([c, backup], member_id=other)) == {"x3": 40}


# --- when a campaign is open -------------------------------------------------------------------
def test_a_scheduled_campaign_opens_early_only_for_the_chosen_tiers():
    starts = SATURDAY + dt.timedelta(days=2)
    early = campaign(name="early", starts_at=starts, early_access_days=3, early_tier_ids={9})
    assert points(run([early], tier_id=9)) == {"early": 20}
    assert run([early], tier_id=1).applied == []
    too_early = campaign(
        starts_at=SATURDAY + dt.timedelta(days=4), early_access_days=3, early_tier_ids={9}
    )
    assert run([too_early], tier_id=9).applied == []


def test_first_purchase_campaigns_apply_to_the_first_purchase_only():
    first = campaign(
        name="first", kind=Campaign.Kind.FIRST_PURCHASE, effect="fixed", value=Decimal(100)
    )
    assert points(run([first], first_purchase=True)) == {"first": 100}
    assert run([first], first_purchase=False).applied == []


def test_event_campaigns_never_apply_to_a_purchase():
    welcome = campaign(kind=Campaign.Kind.WELCOME, effect="fixed", value=Decimal(100))
    assert run([welcome]).applied == []


# --- conditions --------------------------------------------------------------------------------
def facts(**values) -> Facts:
    values.setdefault("local", SATURDAY)
    return Facts(**values)


DAIRY = conditions.Line("MILK", "dairy", Decimal(2), Decimal("180.00"))
BREAD = conditions.Line("BREAD", "bakery", Decimal(1), Decimal("60.00"))


@pytest.mark.parametrize(
    ("tree", "fact_values", "expected"),
    [
        ({"check_amount": {"gte": "2000"}}, {"lines": (DAIRY,), "total": Decimal(2000)}, True),
        (
            {"check_amount": {"gte": "2000"}},
            {"lines": (DAIRY,), "total": Decimal("1999.99")},
            False,
        ),
        ({"check_amount": {"lt": "500"}}, {"lines": (DAIRY,), "total": Decimal(500)}, False),
        ({"line": {"categories": ["dairy"], "min_quantity": "2"}}, {"lines": (DAIRY,)}, True),
        ({"line": {"categories": ["dairy"], "min_quantity": "3"}}, {"lines": (DAIRY,)}, False),
        ({"line": {"skus": ["BREAD"], "min_amount": "100"}}, {"lines": (BREAD,)}, False),
        ({"categories_count": {"gte": 2}}, {"lines": (DAIRY, BREAD)}, True),
        ({"categories_count": {"gte": 3}}, {"lines": (DAIRY, BREAD)}, False),
        ({"tier": ["gold", "silver"]}, {"tier_code": "silver"}, True),
        ({"tier": ["gold"]}, {"tier_code": "base"}, False),
        ({"segment": ["vip"]}, {"segments": frozenset({"vip"})}, True),
        ({"segment": ["vip"]}, {}, False),
        ({"member_days": {"gte": 365}}, {"member_days": 365}, True),
        ({"member_days": {"gte": 365}}, {"member_days": 364}, False),
        ({"partner": [3]}, {"partner_id": 3}, True),
        ({"store": [3]}, {"store_id": 4}, False),
        ({"channel": ["till"]}, {"channel": "till"}, True),
        ({"channel": ["eshop"]}, {"channel": "api"}, False),
        ({"weekday": [6, 7]}, {}, True),  # a Saturday
        ({"weekday": [1]}, {}, False),
        ({"time": {"from": "10:00", "to": "14:00"}}, {}, True),
        ({"time": {"from": "12:01", "to": "14:00"}}, {}, False),
        ({"time": {"from": "22:00", "to": "13:00"}}, {}, True),  # over midnight
        ({"date": {"from": "2026-01-17", "to": "2026-01-17"}}, {}, True),
        ({"date": {"to": "2026-01-16"}}, {}, False),
        ({"first_purchase": True}, {"first_purchase": True}, True),
        ({"birthday": {"days_before": 3}}, {"birth_date": dt.date(1990, 1, 20)}, True),
        ({"birthday": {"days_before": 2}}, {"birth_date": dt.date(1990, 1, 20)}, False),
        ({"birthday": {"days_after": 1}}, {"birth_date": dt.date(1990, 1, 16)}, True),
        ({"birthday": {}}, {}, False),
    ],
)
def test_each_condition(tree, fact_values, expected):
    assert conditions.validate(tree) == []
    assert conditions.holds(tree, facts(**fact_values)) is expected


def test_all_any_and_not_combine_conditions():
    tree = {
        "all": [
            {"check_amount": {"gte": "100"}},
            {"any": [{"tier": ["gold"]}, {"weekday": [6]}]},
            {"not": {"channel": ["api"]}},
        ]
    }
    assert conditions.validate(tree) == []
    base = {"lines": (DAIRY,), "total": Decimal(180), "tier_code": "base", "channel": "till"}
    assert conditions.holds(tree, facts(**base))
    assert not conditions.holds(tree, facts(**{**base, "channel": "api"}))
    thursday = SATURDAY - dt.timedelta(days=2)
    assert not conditions.holds(tree, Facts(local=thursday, **base))
    assert conditions.holds(tree, Facts(local=thursday, **{**base, "tier_code": "gold"}))


def test_a_birthday_on_29_february_counts_on_28_february_in_other_years():
    assert conditions.days_from_birthday(dt.date(2000, 2, 29), dt.date(2027, 2, 28)) == 0


@pytest.mark.parametrize(
    ("tree", "message"),
    [
        ({"all": []}, "non-empty list"),
        ({"sometimes": True}, "unknown condition"),
        ({"check_amount": {"gte": "lots"}}, "must be a number"),
        ({"weekday": [0]}, "from 1 to 7"),
        ({"time": {"from": "25:00", "to": "10:00"}}, "HH:MM"),
        ({"date": {"from": "2026-02-01", "to": "2026-01-01"}}, "after"),
        ({"channel": ["phone"]}, "till, eshop, api"),
        ({"tier": "gold"}, "non-empty list"),
        ({"all": [{"tier": ["gold"]}, {"tier": ["silver"], "store": [1]}]}, "one key"),
        ({"first_purchase": False}, "only be true"),
    ],
)
def test_a_bad_tree_is_refused_naming_where(tree, message):
    with translation.override("en"):
        problems = conditions.validate(tree)
    assert problems and message in " ".join(problems)


def test_a_tree_too_deep_is_refused():
    tree = {"tier": ["gold"]}
    for _ in range(10):
        tree = {"not": tree}
    with translation.override("en"):
        assert "too deep" in " ".join(conditions.validate(tree))
    with translation.override("ru"):
        assert "вложенность" in " ".join(conditions.validate(tree))
