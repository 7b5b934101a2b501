"""Tier rules: upgrades at once inside a purchase, downgrades only at a review after the grace
period, the downgrade policies, pins as a floor, the window, and the tier configuration checks."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

import loyalty.services.tier_review as tiers_module
from loyalty.errors import InvalidInput, TierConfigInvalid
from loyalty.models import Account, Tier, TierChange
from loyalty.services import pin_tier, refund_purchase, review_tiers
from loyalty.services.program import clear_cache
from loyalty.services.tiers import validate_tier_config
from tests.factories import MOSCOW, UserFactory, make_member
from tests.loyalty.helpers import bought, set_program

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def tier_of(member) -> str:
    return Account.objects.select_related("tier").get(pk=member.pk).tier.code


def account_of(member) -> Account:
    return Account.objects.get(pk=member.pk)


def tier(code: str) -> Tier:
    return Tier.objects.get(code=code)


def review_changes(member) -> list[tuple[str, str]]:
    return [
        (c.from_tier.code, c.to_tier.code)
        for c in TierChange.objects.filter(account_id=member.pk, reason="review").order_by("id")
    ]


# --- upgrades inside record_purchase -------------------------------------------------------


def test_crossing_10000_upgrades_to_silver_at_once_and_that_purchase_earns_at_the_old_rate(
    member, partner, now
):
    assert bought(member, partner, 6000, now).earned_points == 120
    crossing = bought(member, partner, 4000, now + DAY)

    assert crossing.earned_points == 80  # 4 000 ₽ at Base, 1 per 50 ₽
    assert tier_of(member) == "silver"
    change = TierChange.objects.get(account_id=member.pk, reason="upgrade")
    assert (change.from_tier.code, change.to_tier.code) == ("base", "silver")
    assert change.qualifying_spend == Decimal("10000.00")
    assert change.created_at == now + DAY
    assert account_of(member).tier_since == now + DAY
    assert bought(member, partner, 4000, now + 2 * DAY).earned_points == 100  # now 1 per 40 ₽


def test_crossing_30000_upgrades_to_gold_at_once(member, partner, now):
    bought(member, partner, 12000, now)
    assert tier_of(member) == "silver"
    crossing = bought(member, partner, 18000, now + DAY)

    assert crossing.earned_points == 450  # 18 000 ₽ at Silver, 1 per 40 ₽
    assert tier_of(member) == "gold"
    assert bought(member, partner, 3000, now + 2 * DAY).earned_points == 100


def test_one_purchase_over_30000_jumps_from_base_to_gold(member, partner, now):
    bought(member, partner, 31000, now)

    assert tier_of(member) == "gold"
    changes = TierChange.objects.filter(account_id=member.pk, reason="upgrade")
    assert [(c.from_tier.code, c.to_tier.code) for c in changes] == [("base", "gold")]


@pytest.mark.parametrize(
    ("spent_before", "tier_code", "points"),
    [(0, "base", 60), (10000, "silver", 75), (30000, "gold", 100)],
)
def test_3000_rubles_earn_60_75_100_points_at_base_silver_gold(
    member, partner, now, spent_before, tier_code, points
):
    if spent_before:
        bought(member, partner, spent_before, now - DAY)
    assert tier_of(member) == tier_code
    assert bought(member, partner, 3000, now).earned_points == points


def test_the_part_paid_with_points_does_not_count_towards_the_tier(member, partner, now):
    bought(member, partner, 9000, now)  # 180 points
    bought(member, partner, 1000, now + DAY, redeem=180)

    assert tier_of(member) == "base"  # 9 000 + 820 ₽ of money


def test_a_purchase_with_an_upgrade_costs_two_more_statements_at_most(
    member, partner, now, django_assert_max_num_queries
):
    bought(member, partner, 9000, now)
    with django_assert_max_num_queries(13):
        bought(member, partner, 2000, now + DAY)
    assert tier_of(member) == "silver"


# --- refunds and the grace period ----------------------------------------------------------


def test_a_refund_below_the_threshold_downgrades_only_at_the_review_after_the_grace_period(
    member, partner, now
):
    purchase = bought(member, partner, 12000, now)
    refund_purchase(purchase_id=purchase.pk, external_id="R1", amount="3000", now=now + DAY)
    assert tier_of(member) == "silver"  # the refund itself never downgrades

    first = now + 2 * DAY
    stats = review_tiers(now=first)
    assert stats["grace_started"] == 1 and stats["downgraded"] == 0
    assert tier_of(member) == "silver"
    assert account_of(member).below_tier_since == first
    assert account_of(member).tier_since == now  # still the Silver of the upgrade

    review_tiers(now=first + 29 * DAY)
    assert tier_of(member) == "silver"

    stats = review_tiers(now=first + 30 * DAY)
    assert stats["downgraded"] == 1
    assert tier_of(member) == "base"
    change = TierChange.objects.get(account_id=member.pk, reason="review")
    assert (change.from_tier.code, change.to_tier.code) == ("silver", "base")
    assert change.qualifying_spend == Decimal("9000.00")
    assert change.created_at == first + 30 * DAY
    assert account_of(member).below_tier_since is None
    assert account_of(member).tier_since == first + 30 * DAY


def test_spend_back_at_the_threshold_during_the_grace_period_keeps_the_tier(member, partner, now):
    purchase = bought(member, partner, 12000, now)
    refund_purchase(purchase_id=purchase.pk, external_id="R1", amount="3000", now=now + DAY)
    review_tiers(now=now + 2 * DAY)
    assert account_of(member).below_tier_since is not None

    bought(member, partner, 1500, now + 3 * DAY)  # 10 500 ₽ again: the grace period ends here
    assert account_of(member).below_tier_since is None

    review_tiers(now=now + 60 * DAY)
    assert tier_of(member) == "silver"
    assert review_changes(member) == []


def test_a_purchase_at_the_top_tier_also_ends_its_grace_period(member, partner, now):
    purchase = bought(member, partner, 31000, now)
    refund_purchase(purchase_id=purchase.pk, external_id="R1", amount="5000", now=now)
    review_tiers(now=now + DAY)
    assert account_of(member).below_tier_since is not None

    bought(member, partner, 4000, now + 2 * DAY)  # 30 000 ₽ again

    assert account_of(member).below_tier_since is None
    review_tiers(now=now + 40 * DAY)
    assert tier_of(member) == "gold"


def test_one_down_drops_one_tier_per_grace_period_and_never_below_the_qualified_tier(partner, now):
    set_program(tier_downgrade_policy="one_down")
    falling = make_member(now=now)
    halfway = make_member(now=now)
    refunded = bought(falling, partner, 30000, now)
    bought(halfway, partner, 30000, now)
    refund_purchase(purchase_id=refunded.pk, external_id="R1", now=now)  # spend 0
    refund_purchase(
        purchase_id=halfway.purchases.get().pk, external_id="R2", amount="18000", now=now
    )  # spend 12 000: Silver qualifies

    review_tiers(now=now + DAY)
    review_tiers(now=now + 31 * DAY)
    assert (tier_of(falling), tier_of(halfway)) == ("silver", "silver")
    # Falling is still above its qualified tier: the next step waits a new grace period.
    review_tiers(now=now + 32 * DAY)
    assert tier_of(falling) == "silver"
    review_tiers(now=now + 61 * DAY)
    assert (tier_of(falling), tier_of(halfway)) == ("base", "silver")
    assert review_changes(falling) == [("gold", "silver"), ("silver", "base")]
    assert review_changes(halfway) == [("gold", "silver")]


def test_to_qualified_drops_straight_to_the_tier_the_spend_qualifies_for(member, partner, now):
    set_program(tier_downgrade_policy="to_qualified")
    purchase = bought(member, partner, 30000, now)
    refund_purchase(purchase_id=purchase.pk, external_id="R1", now=now)

    review_tiers(now=now + DAY)
    review_tiers(now=now + 31 * DAY)

    assert tier_of(member) == "base"
    assert review_changes(member) == [("gold", "base")]


def test_policy_none_never_downgrades(member, partner, now):
    set_program(tier_downgrade_policy="none")
    purchase = bought(member, partner, 30000, now)
    refund_purchase(purchase_id=purchase.pk, external_id="R1", now=now)

    for days in (1, 31, 400, 800):
        review_tiers(now=now + days * DAY)

    assert tier_of(member) == "gold"
    assert account_of(member).below_tier_since is None
    assert review_changes(member) == []


def test_purchases_older_than_the_window_roll_out_and_the_tier_drops_after_the_grace(
    member, partner, now
):
    bought(member, partner, 12000, now)  # 15 January 2026

    def at(day):  # the daily review, 03:30 Moscow time
        return dt.datetime.combine(day, dt.time(3, 30), tzinfo=MOSCOW)

    review_tiers(now=at(dt.date(2027, 1, 15)))  # the purchase's last day in the window
    assert account_of(member).below_tier_since is None
    review_tiers(now=at(dt.date(2027, 1, 16)))
    assert account_of(member).below_tier_since == at(dt.date(2027, 1, 16))
    review_tiers(now=at(dt.date(2027, 2, 14)))
    assert tier_of(member) == "silver"
    review_tiers(now=at(dt.date(2027, 2, 15)))
    assert tier_of(member) == "base"


def test_lifetime_window_counts_every_purchase_ever(member, partner, now):
    set_program(tier_window_months=0)
    bought(member, partner, 7000, now)
    bought(member, partner, 3000, now + 700 * DAY)  # 10 000 ₽ over two years
    assert tier_of(member) == "silver"

    review_tiers(now=now + 1500 * DAY)
    review_tiers(now=now + 1600 * DAY)
    assert tier_of(member) == "silver"
    assert account_of(member).below_tier_since is None


def test_with_a_12_month_window_the_same_purchases_do_not_qualify(member, partner, now):
    bought(member, partner, 7000, now)
    bought(member, partner, 3000, now + 700 * DAY)
    assert tier_of(member) == "base"


# --- pins ----------------------------------------------------------------------------------


def test_a_pinned_tier_raises_the_member_at_once_and_is_recorded_with_staff_and_reason(member, now):
    marketer = UserFactory(username="marketer")
    change = pin_tier(
        member_id=member.pk, tier=tier("silver"), reason="VIP blogger", staff=marketer, now=now
    )

    assert tier_of(member) == "silver"
    assert account_of(member).pinned_tier.code == "silver"
    assert (change.from_tier.code, change.to_tier.code, change.reason) == ("base", "silver", "pin")
    assert (change.staff, change.note) == (marketer, "VIP blogger")


def test_a_pinned_tier_holds_through_reviews_with_no_spend(member, now):
    set_program(tier_downgrade_policy="to_qualified")
    pin_tier(member_id=member.pk, tier=tier("silver"), reason="partner staff", staff=None, now=now)

    for days in (1, 40, 400):
        review_tiers(now=now + days * DAY)

    assert tier_of(member) == "silver"
    assert account_of(member).below_tier_since is None
    assert review_changes(member) == []


def test_a_pin_below_the_current_tier_is_the_floor_of_a_downgrade(member, partner, now):
    set_program(tier_downgrade_policy="to_qualified")
    purchase = bought(member, partner, 30000, now)
    pin_tier(
        member_id=member.pk, tier=tier("silver"), reason="loyal since 2010", staff=None, now=now
    )
    assert tier_of(member) == "gold"
    refund_purchase(purchase_id=purchase.pk, external_id="R1", now=now)

    review_tiers(now=now + DAY)
    review_tiers(now=now + 31 * DAY)
    review_tiers(now=now + 400 * DAY)

    assert tier_of(member) == "silver"
    assert review_changes(member) == [("gold", "silver")]


def test_removing_a_pin_lets_the_review_downgrade_after_the_grace_period(member, now):
    pin_tier(member_id=member.pk, tier=tier("gold"), reason="trial", staff=None, now=now)
    change = pin_tier(member_id=member.pk, tier=None, reason="trial over", staff=None, now=now)
    assert change.reason == "unpin" and tier_of(member) == "gold"

    review_tiers(now=now + DAY)
    assert tier_of(member) == "gold"
    review_tiers(now=now + 31 * DAY)
    assert tier_of(member) == "silver"


def test_a_pin_needs_a_reason_and_an_active_tier(member, now):
    with pytest.raises(InvalidInput) as no_reason:
        pin_tier(member_id=member.pk, tier=tier("gold"), reason="  ", staff=None, now=now)
    assert "reason" in no_reason.value.fields
    Tier.objects.filter(code="gold").update(is_active=False)
    with pytest.raises(InvalidInput) as inactive:
        pin_tier(member_id=member.pk, tier=tier("gold"), reason="x", staff=None, now=now)
    assert "tier" in inactive.value.fields
    assert tier_of(member) == "base"


# --- the review as a job -------------------------------------------------------------------


def test_review_twice_at_the_same_moment_changes_nothing_more(partner, now):
    set_program(tier_grace_days=0)
    members = [make_member(now=now) for _ in range(3)]
    for m in members:
        purchase = bought(m, partner, 31000, now)
        refund_purchase(purchase_id=purchase.pk, external_id="R", now=now)
    review_tiers(now=now + DAY)  # grace starts for all three

    later = now + 2 * DAY
    first = review_tiers(now=later)
    rows = list(Account.objects.order_by("pk").values_list("tier_id", "below_tier_since"))
    changes = TierChange.objects.count()
    second = review_tiers(now=later)

    assert first["downgraded"] == 3  # gold → silver, one step
    assert {k: v for k, v in second.items() if k != "accounts"} == dict.fromkeys(
        ["upgraded", "downgraded", "grace_started", "grace_ended", "skipped"], 0
    )
    assert list(Account.objects.order_by("pk").values_list("tier_id", "below_tier_since")) == rows
    assert TierChange.objects.count() == changes


def test_review_works_in_batches_with_a_constant_number_of_statements_per_batch(
    partner, now, django_assert_max_num_queries
):
    members = [make_member(now=now) for _ in range(5)]
    for m in members[:2]:
        purchase = bought(m, partner, 12000, now)
        refund_purchase(purchase_id=purchase.pk, external_id="R", now=now)
    bought(members[4], partner, 500, now)
    review_tiers(now=now + DAY)
    clear_cache()

    # 3 batches: read accounts + one spend aggregate each, an empty read to end, the program
    # and tiers; the 2 due downgrades add one statement that writes the accounts and their
    # tier changes (and a savepoint and its release inside the test's transaction).
    with django_assert_max_num_queries(12):
        stats = review_tiers(now=now + 31 * DAY, batch_size=2)

    assert stats == {
        "accounts": 5,
        "upgraded": 0,
        "downgraded": 2,
        "grace_started": 0,
        "grace_ended": 0,
        "skipped": 0,
    }
    assert [tier_of(m) for m in members] == ["base"] * 5


def test_review_upgrades_a_member_whose_tier_lags_behind_the_configuration(member, partner, now):
    bought(member, partner, 20000, now)
    Tier.objects.filter(code="gold").update(min_spend=Decimal("15000"))
    clear_cache()

    assert review_tiers(now=now + DAY)["upgraded"] == 1
    assert tier_of(member) == "gold"
    assert review_changes(member) == [("silver", "gold")]


def test_review_leaves_an_account_that_changed_after_it_was_read(member, partner, now, monkeypatch):
    purchase = bought(member, partner, 12000, now)
    refund_purchase(purchase_id=purchase.pk, external_id="R1", amount="3000", now=now)
    review_tiers(now=now + DAY)
    assert account_of(member).below_tier_since is not None
    real_spend = tiers_module._spend_by_member

    def spend_then_a_purchase_lands(*args):
        spend = real_spend(*args)
        bought(member, partner, 2000, now + 31 * DAY)  # back to 11 000 ₽ while the review runs
        return spend

    monkeypatch.setattr(tiers_module, "_spend_by_member", spend_then_a_purchase_lands)
    stats = review_tiers(now=now + 31 * DAY)

    assert stats["skipped"] == 1 and stats["downgraded"] == 0
    assert tier_of(member) == "silver"
    assert account_of(member).below_tier_since is None


def test_review_tiers_command_prints_what_it_did(member, partner, now):
    purchase = bought(member, partner, 12000, now)
    refund_purchase(purchase_id=purchase.pk, external_id="R1", now=now)
    out = StringIO()

    call_command("review_tiers", "--now", "2026-01-20T03:30:00+03:00", stdout=out)

    assert out.getvalue().strip() == (
        "accounts=1 upgraded=0 downgraded=0 grace_started=1 grace_ended=0 skipped=0"
    )
    assert account_of(member).below_tier_since == dt.datetime(2026, 1, 20, 3, 30, tzinfo=MOSCOW)
    with pytest.raises(CommandError):
        call_command("review_tiers", "--now", "yesterday", stdout=StringIO())


# --- configuration -------------------------------------------------------------------------


def rows(*tiers):
    return [(name, Decimal(spend), Decimal(rate)) for name, spend, rate in tiers]


def test_the_default_tiers_are_a_valid_configuration():
    validate_tier_config(rows(("Base", 0, 50), ("Silver", 10000, 40), ("Gold", 30000, 30)))
    validate_tier_config(
        [(t.name, t.min_spend, t.rubles_per_point) for t in Tier.objects.order_by("min_spend")]
    )


def config_error(tiers) -> TierConfigInvalid:
    with translation.override("en"), pytest.raises(TierConfigInvalid) as caught:
        validate_tier_config(tiers)
    assert caught.value.code == "tier_config_invalid"
    return caught.value


def test_a_configuration_without_a_tier_at_0_is_refused():
    error = config_error(rows(("Silver", 10000, 40), ("Gold", 30000, 30)))
    assert error.extra["messages"] == [
        "No tier starts at 0 ₽: the lowest, “Silver”, starts at 10 000 ₽. "
        "New members need a tier to start in."
    ]
    assert list(error.fields) == ["0.min_spend"]


def test_duplicate_thresholds_are_refused_as_overlapping():
    error = config_error(rows(("Base", 0, 50), ("Silver", 10000, 40), ("Gold", 10000, 30)))
    assert error.extra["messages"] == [
        "“Silver” and “Gold” both start at 10 000 ₽: thresholds must not overlap."
    ]
    assert list(error.fields) == ["2.min_spend"]


def test_thresholds_that_do_not_increase_from_tier_to_tier_are_refused():
    error = config_error(rows(("Base", 0, 50), ("Silver", 30000, 40), ("Gold", 10000, 30)))
    assert error.extra["messages"] == [
        "Thresholds must increase from tier to tier: “Gold” (10 000 ₽) comes after "
        "“Silver” (30 000 ₽)."
    ]


@pytest.mark.parametrize("rate", [Decimal("0"), Decimal("-40"), None])
def test_an_earn_rate_of_0_or_below_is_refused(rate):
    error = config_error([("Base", Decimal(0), Decimal(50)), ("Silver", Decimal(10000), rate)])
    assert error.extra["messages"] == ["The earn rate of “Silver” must be above 0 ₽ per point."]
    assert list(error.fields) == ["1.rubles_per_point"]


def test_every_problem_is_reported_at_once_and_an_empty_list_is_refused():
    error = config_error(rows(("Silver", "10000.50", 0), ("Gold", "10000.50", 30)))
    assert len(error.extra["messages"]) == 3
    assert "10 000.50 ₽" in str(error.detail)
    assert config_error([]).extra["messages"] == ["At least one active tier is needed."]
