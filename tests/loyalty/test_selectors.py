"""What the cabinet, the desk and the API show: balance, expiring points, tier progress."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction

from loyalty.models import LedgerEntry, PointLot, Tier
from loyalty.selectors import expiring_points, ledger_entries, member_balance, tier_progress
from loyalty.services import (
    activate_due_points,
    pin_tier,
    refund_purchase,
    review_tiers,
)
from loyalty.services.ledger import LedgerTransaction, lock_account
from loyalty.services.program import get_program, get_tiers
from tests.factories import MOSCOW
from tests.loyalty.helpers import bought, set_program

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


# --- tier_progress -------------------------------------------------------------------------


def test_progress_at_base_shows_the_rubles_left_to_silver(member, partner, now):
    bought(member, partner, 4000, now)

    progress = tier_progress(member.pk, now=now)

    assert progress.tier.code == "base"
    assert progress.spend == Decimal("4000.00")
    assert progress.next_tier.code == "silver"
    assert progress.spend_needed == Decimal("6000.00")
    assert progress.progress_percent == 40
    assert progress.secured_until is None  # nothing lowers the entry tier
    assert progress.pinned is False


def test_progress_at_silver_counts_from_its_threshold_and_is_secured_until_the_purchases_roll_out(
    member, partner, now
):
    bought(member, partner, 12000, now)  # 15 January 2026
    bought(member, partner, 8000, now + 30 * DAY)  # 14 February 2026

    progress = tier_progress(member.pk, now=now + 30 * DAY)

    assert (progress.tier.code, progress.next_tier.code) == ("silver", "gold")
    assert progress.spend == Decimal("20000.00")
    assert progress.spend_needed == Decimal("10000.00")
    assert progress.progress_percent == 50
    # Without the 12 000 ₽ of 15 January the spend is 8 000 ₽: that purchase counts through
    # 15 January 2027, the review of 16 January starts the 30-day grace period, and the review
    # of 15 February 2027 lowers the tier. 14 February is the last safe day.
    assert progress.secured_until == dt.date(2027, 2, 14)


def test_secured_until_is_the_day_before_the_review_that_lowers_the_tier(member, partner, now):
    bought(member, partner, 12000, now)
    assert tier_progress(member.pk, now=now).secured_until == dt.date(2027, 2, 14)

    def at(day):
        return dt.datetime.combine(day, dt.time(3, 30), tzinfo=MOSCOW)

    review_tiers(now=at(dt.date(2027, 1, 16)))  # the purchase left the window: grace starts
    assert tier_progress(member.pk, now=at(dt.date(2027, 1, 16))).secured_until == dt.date(
        2027, 2, 14
    )
    review_tiers(now=at(dt.date(2027, 2, 14)))
    assert tier_progress(member.pk, now=at(dt.date(2027, 2, 14))).tier.code == "silver"
    review_tiers(now=at(dt.date(2027, 2, 15)))
    assert tier_progress(member.pk, now=at(dt.date(2027, 2, 15))).tier.code == "base"


def test_after_a_refund_the_tier_is_secured_until_the_grace_period_ends(member, partner, now):
    purchase = bought(member, partner, 12000, now)
    refund_purchase(purchase_id=purchase.pk, external_id="R1", amount="5000", now=now)

    progress = tier_progress(member.pk, now=now)
    assert progress.tier.code == "silver"
    assert progress.spend == Decimal("7000.00")
    assert progress.progress_percent == 0
    # The next review starts the grace period; promised as if it ran now (no later than due).
    assert progress.secured_until == dt.date(2026, 2, 13)

    review_tiers(now=now + DAY)  # 16 January, noon: the grace period starts
    assert tier_progress(member.pk, now=now + DAY).secured_until == dt.date(2026, 2, 14)


def test_at_gold_there_is_no_next_tier(member, partner, now):
    bought(member, partner, 35000, now)

    progress = tier_progress(member.pk, now=now)

    assert progress.tier.code == "gold" and progress.next_tier is None
    assert progress.spend_needed == Decimal("0.00")
    assert progress.progress_percent == 100


def test_a_pinned_tier_is_secured_without_end(member, now):
    pin_tier(
        member_id=member.pk, tier=Tier.objects.get(code="gold"), reason="VIP", staff=None, now=now
    )

    progress = tier_progress(member.pk, now=now)

    assert progress.tier.code == "gold" and progress.pinned is True
    assert progress.secured_until is None


def test_with_a_lifetime_window_the_tier_is_secured_without_end(member, partner, now):
    set_program(tier_window_months=0)
    bought(member, partner, 12000, now)

    progress = tier_progress(member.pk, now=now + 1000 * DAY)

    assert progress.spend == Decimal("12000.00")
    assert progress.secured_until is None


def test_tier_progress_reads_in_a_few_statements(
    member, partner, now, django_assert_max_num_queries
):
    for i in range(5):
        bought(member, partner, 3000, now + i * DAY)
    get_program(), get_tiers()  # cached per process, as in a running server
    with django_assert_max_num_queries(3):
        tier_progress(member.pk, now=now + 5 * DAY)


# --- expiring_points -----------------------------------------------------------------------


def test_expiring_points_are_grouped_by_the_last_day_they_can_be_spent(member, partner, now):
    bought(member, partner, 3000, now)  # 60 points, 15 January 2026
    bought(member, partner, 1000, now + dt.timedelta(hours=2))  # 20, same day
    bought(member, partner, 2000, now + 10 * DAY)  # 40, 25 January

    rows = expiring_points(member.pk, now=now + 10 * DAY)

    assert [(r.date, r.points) for r in rows] == [
        (dt.date(2026, 7, 15), 80),
        (dt.date(2026, 7, 25), 40),
    ]


def test_points_with_their_own_lifetime_can_be_spent_on_the_day_they_expire(member, now):
    """A campaign's burning bonus may end at any time of day, not only at midnight."""
    with transaction.atomic():
        account = lock_account(member.pk)
        ledger = LedgerTransaction(account, program=get_program(), now=now)
        ledger.add(
            50,
            LedgerEntry.Kind.BONUS,
            source=PointLot.Source.BONUS,
            available_at=now,
            expires_at=dt.datetime(2026, 1, 20, 15, 0, tzinfo=MOSCOW),
        )
        ledger.flush()

    rows = expiring_points(member.pk, now=now)

    assert [(r.date, r.points) for r in rows] == [(dt.date(2026, 1, 20), 50)]


def test_expiring_points_within_n_days_and_limited(member, partner, now):
    for i in range(4):
        bought(member, partner, 1000, now + i * DAY)  # 20 points each, one per day

    soon = now + 180 * DAY  # 14 July 2026
    assert [r.points for r in expiring_points(member.pk, now=soon, within_days=3)] == [20, 20]
    assert [r.date for r in expiring_points(member.pk, now=soon, limit=3)] == [
        dt.date(2026, 7, 15),
        dt.date(2026, 7, 16),
        dt.date(2026, 7, 17),
    ]


def test_points_past_their_last_day_are_not_shown_even_before_the_burn_job(member, partner, now):
    bought(member, partner, 3000, now)
    bought(member, partner, 2000, now + 10 * DAY)

    after_first = dt.datetime(2026, 7, 16, 0, 0, tzinfo=MOSCOW)
    rows = expiring_points(member.pk, now=after_first)
    assert [(r.date, r.points) for r in rows] == [(dt.date(2026, 7, 25), 40)]
    balance = member_balance(member.pk, now=after_first)
    assert (balance.available, balance.pending) == (40, 0)


# --- member_balance ------------------------------------------------------------------------


def test_pending_points_count_as_available_once_their_time_has_come_before_the_beat_runs(
    member, partner, now
):
    set_program(activation_delay_days=14)
    bought(member, partner, 3000, now)

    today = member_balance(member.pk, now=now)
    assert (today.available, today.pending) == (0, 60)
    assert today.next_activation == now + 14 * DAY

    later = member_balance(member.pk, now=now + 15 * DAY)  # the activation job has not run
    assert (later.available, later.pending, later.next_activation) == (60, 0, None)

    activate_due_points(now=now + 15 * DAY)
    after_job = member_balance(member.pk, now=now + 15 * DAY)
    assert (after_job.available, after_job.pending) == (60, 0)


def test_a_new_member_has_an_empty_balance(member, now, django_assert_num_queries):
    with django_assert_num_queries(1):
        balance = member_balance(member.pk, now=now)
    assert (balance.available, balance.pending, balance.debt) == (0, 0, 0)


# --- ledger_entries ------------------------------------------------------------------------


def test_ledger_entries_hide_the_internal_activation_entries(member, partner, now):
    set_program(activation_delay_days=1)
    bought(member, partner, 3000, now)
    activate_due_points(now=now + 2 * DAY)

    kinds = [e.kind for e in ledger_entries(member.pk)]
    assert kinds == [LedgerEntry.Kind.EARN]
    assert [e.kind for e in ledger_entries(member.pk, kinds=["activate"])] == ["activate"]
