"""member_summary(): the hot read of the till and the partner API.

On PostgreSQL it is one statement that aggregates in SQL; these tests hold it to the same
answers as the readers the cabinet uses (member_balance, expiring_points, qualifying_spend),
which run through the ORM, and to hand-computed expectations.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customers.errors import MemberNotFound
from loyalty.models import Account, LedgerEntry, PointLot
from loyalty.selectors import Balance, expiring_points, member_balance, member_summary
from loyalty.services import quote_purchase, refund_purchase
from loyalty.services.ledger import LedgerTransaction, lock_account
from loyalty.services.program import get_program, get_tiers
from loyalty.services.tiers import qualifying_spend, window_start
from tests.factories import MOSCOW, T0, make_member
from tests.loyalty.helpers import bought, set_program

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def summary_of(member, now, **kwargs):
    return member_summary(member_id=member.pk, now=now, **kwargs)


def expiring(summary):
    return [(e.date, e.points) for e in summary.expiring]


def assert_matches_the_cabinet_readers(member, now, limit=5):
    """The summary agrees with the ORM readers on balance, expiries and spend."""
    summary = summary_of(member, now, expiring_limit=limit)
    assert summary.balance == member_balance(member.pk, now=now)
    account = Account.objects.get(pk=member.pk)
    if account.available or account.pending:
        rows = expiring_points(member.pk, now=now, limit=limit)
        assert expiring(summary) == [(e.date, e.points) for e in rows]
    else:
        assert summary.expiring == []
    if summary.next_tier is not None:
        spend = qualifying_spend(member.pk, now=now)
        assert summary.spend_needed == max(Decimal("0.00"), summary.next_tier.min_spend - spend)
    return summary


def give_lots(member, now, *expiries, points=10):
    """Bonus lots, available at once, expiring at the given moments."""
    with transaction.atomic():
        account = lock_account(member.pk)
        ledger = LedgerTransaction(account, program=get_program(), now=now)
        for expires_at in expiries:
            ledger.add(
                points,
                LedgerEntry.Kind.BONUS,
                source=PointLot.Source.BONUS,
                available_at=now,
                expires_at=expires_at,
            )
        ledger.flush()


# --- balance -------------------------------------------------------------------------------


def test_a_new_member_has_a_zero_balance_and_the_whole_way_to_silver(member, now):
    summary = summary_of(member, now)

    assert summary.member == member
    assert summary.balance == Balance(available=0, pending=0, debt=0, next_activation=None)
    assert summary.expiring == []
    assert (summary.tier.code, summary.next_tier.code) == ("base", "silver")
    assert summary.spend_needed == Decimal("10000.00")


def test_points_on_both_sides_of_now_are_available_or_pending(member, partner, now):
    set_program(activation_delay_days=14)
    bought(member, partner, 3000, now - 20 * DAY)  # 60 points, available 6 days ago
    bought(member, partner, 1000, now - 5 * DAY)  # 20, available in 9 days
    bought(member, partner, 2000, now - 1 * DAY)  # 40, available in 13 days

    summary = assert_matches_the_cabinet_readers(member, now)

    assert summary.balance == Balance(
        available=60, pending=60, debt=0, next_activation=now + 9 * DAY
    )
    # Pending points expire too: every live lot is listed by its last day.
    assert expiring(summary) == [
        (dt.date(2026, 6, 26), 60),
        (dt.date(2026, 7, 10), 20),
        (dt.date(2026, 7, 14), 40),
    ]
    # Once the first pending lot's time has come it counts as available, before any job runs.
    later = assert_matches_the_cabinet_readers(member, now + 9 * DAY)
    assert later.balance == Balance(80, 40, 0, now + 13 * DAY)


def test_the_debt_is_shown_and_lots_are_not_read_for_an_account_without_points(
    member, partner, now
):
    bought(member, partner, 3000, now)
    # The account's totals say there is nothing to read (as member_balance trusts them).
    Account.objects.filter(pk=member.pk).update(available=0, pending=0, debt=7)

    summary = assert_matches_the_cabinet_readers(member, now)

    assert summary.balance == Balance(0, 0, 7, None)
    assert summary.expiring == []


def test_expired_and_spent_lots_do_not_count(member, partner, now):
    bought(member, partner, 3000, now)  # 60 points until the end of 15 July 2026
    bought(member, partner, 2000, now + 10 * DAY)  # 40 until the end of 25 July
    PointLot.objects.filter(account_id=member.pk, points=40).update(remaining=0)

    at_midnight = dt.datetime(2026, 7, 16, 0, 0, tzinfo=MOSCOW)  # the 60 points just expired
    summary = assert_matches_the_cabinet_readers(member, at_midnight)

    assert summary.balance == Balance(0, 0, 0, None)
    assert summary.expiring == []


# --- expiring points -----------------------------------------------------------------------


def test_points_are_grouped_by_the_last_day_they_can_be_spent_in_the_program_zone(member, now):
    give_lots(
        member,
        now,
        dt.datetime(2026, 1, 20, 0, 0, tzinfo=MOSCOW),  # at midnight: the 19th is the last day
        dt.datetime(2026, 1, 20, 0, 0, 0, 1, tzinfo=MOSCOW),  # a microsecond later: the 20th
        dt.datetime(2026, 1, 20, 15, 0, tzinfo=MOSCOW),  # a campaign's own end: the 20th
        dt.datetime(2026, 1, 21, 2, 0, tzinfo=MOSCOW),  # still the 20th in UTC, the 21st here
    )

    summary = assert_matches_the_cabinet_readers(member, now)

    assert expiring(summary) == [
        (dt.date(2026, 1, 19), 10),
        (dt.date(2026, 1, 20), 20),
        (dt.date(2026, 1, 21), 10),
    ]


@pytest.mark.parametrize("zone", ["Asia/Vladivostok", "UTC", "America/New_York"])
def test_the_days_follow_the_program_zone(member, now, zone):
    give_lots(
        member,
        now,
        dt.datetime(2026, 1, 20, 0, 0, tzinfo=MOSCOW),
        dt.datetime(2026, 1, 20, 9, 0, tzinfo=MOSCOW),
        dt.datetime(2026, 1, 21, 2, 0, tzinfo=MOSCOW),
    )
    set_program(time_zone=zone)

    assert_matches_the_cabinet_readers(member, now)


def test_at_most_the_nearest_days_are_listed(member, partner, now):
    for i in range(7):
        bought(member, partner, 1000, now + i * DAY)  # 20 points a day, 15–21 January
    bought(member, partner, 500, now + dt.timedelta(hours=3))  # 10 more on the first day
    later = now + 7 * DAY

    five = assert_matches_the_cabinet_readers(member, later)
    assert expiring(five) == [
        (dt.date(2026, 7, 15), 30),
        (dt.date(2026, 7, 16), 20),
        (dt.date(2026, 7, 17), 20),
        (dt.date(2026, 7, 18), 20),
        (dt.date(2026, 7, 19), 20),
    ]
    assert five.balance.available == 150  # the balance still counts every day
    assert expiring(assert_matches_the_cabinet_readers(member, later, limit=2)) == [
        (dt.date(2026, 7, 15), 30),
        (dt.date(2026, 7, 16), 20),
    ]
    assert len(assert_matches_the_cabinet_readers(member, later, limit=10).expiring) == 7
    assert summary_of(member, later, expiring_limit=0).expiring == []


# --- tiers and the qualifying spend --------------------------------------------------------


def test_at_the_top_tier_nothing_is_left_to_reach(member, partner, now):
    bought(member, partner, 31000, now)

    summary = summary_of(member, now)

    assert summary.tier.code == "gold"
    assert summary.next_tier is None
    assert summary.spend_needed == Decimal("0.00")


def test_below_the_top_the_spend_left_counts_refunds(member, partner, now):
    purchase = bought(member, partner, 12000, now)
    assert summary_of(member, now).spend_needed == Decimal("18000.00")  # silver → gold

    refund_purchase(purchase_id=purchase.pk, external_id="R-1", amount="500.50", now=now)

    summary = assert_matches_the_cabinet_readers(member, now)
    assert (summary.tier.code, summary.next_tier.code) == ("silver", "gold")
    assert summary.spend_needed == Decimal("18500.50")


def test_the_window_counts_purchases_from_midnight_a_window_ago(member, partner):
    now = dt.datetime(2027, 1, 15, 12, 0, tzinfo=MOSCOW)
    start = window_start(get_program(), now)
    assert start == dt.datetime(2026, 1, 15, 0, 0, tzinfo=MOSCOW)
    bought(member, partner, 4000, start)  # counts
    bought(member, partner, 3000, start - dt.timedelta(microseconds=1))  # out of the window

    assert assert_matches_the_cabinet_readers(member, now).spend_needed == Decimal("6000.00")

    set_program(tier_window_months=0)  # lifetime: both count
    assert assert_matches_the_cabinet_readers(member, now).spend_needed == Decimal("3000.00")


def test_a_member_without_purchases_in_the_window_needs_the_whole_threshold(member, partner):
    bought(member, partner, 4000, T0)
    much_later = T0 + 400 * DAY

    assert summary_of(member, much_later).spend_needed == Decimal("10000.00")


# --- finding the member --------------------------------------------------------------------


def test_a_member_is_found_by_id_phone_or_card(member, partner, now):
    bought(member, partner, 3000, now)
    other = make_member(now=now)
    bought(other, partner, 1000, now)

    by_id = summary_of(member, now)
    by_phone = member_summary(phone=member.phone, now=now)
    by_card = member_summary(card_number=f"  {member.card_number} ", now=now)
    by_text_id = member_summary(member_id=str(member.pk), now=now)

    for summary in (by_id, by_phone, by_card, by_text_id):
        assert summary.member.pk == member.pk
        assert summary.member.phone == member.phone
        assert summary.member.card_number == member.card_number
        assert summary.member.first_name == "Анна"
        assert summary.balance == by_id.balance
        assert summary.expiring == by_id.expiring
        assert summary.spend_needed == Decimal("7000.00")
    assert member_summary(phone=other.phone, now=now).balance.available == 20


@pytest.mark.parametrize(
    "lookup",
    [
        {"member_id": 10**9},
        {"member_id": "abc"},
        {"member_id": 2**70},
        {"phone": "+79990000000"},
        {"card_number": "0000000000000"},
        {"card_number": None},
    ],
)
def test_an_unknown_member_is_member_not_found(member, now, lookup):
    with pytest.raises(MemberNotFound):
        member_summary(now=now, **lookup)


def test_the_summary_is_one_statement(member, partner, now, django_assert_num_queries):
    for i in range(5):
        bought(member, partner, 3000, now + i * 10 * DAY)
    get_program(), get_tiers()  # cached per process, as in a running server
    later = now + 50 * DAY
    expected = summary_of(member, later)
    statements = 1
    # Repeated, so that the statement is prepared and then run prepared.
    for _ in range(4):
        for lookup in (
            {"member_id": member.pk},
            {"phone": member.phone},
            {"card_number": member.card_number},
        ):
            with django_assert_num_queries(statements):
                summary = member_summary(now=later, **lookup)
            assert (summary.balance, summary.expiring) == (expected.balance, expected.expiring)
            assert summary.spend_needed == expected.spend_needed


# --- against the cabinet readers, on random lots -------------------------------------------

lot = st.tuples(
    st.integers(min_value=0, max_value=50),  # remaining
    st.integers(min_value=-72, max_value=72),  # available_at, hours from now
    st.integers(min_value=-3 * 24 * 60, max_value=20 * 24 * 60),  # expires_at, minutes from now
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    lots=st.lists(lot, max_size=12),
    holds_points=st.booleans(),
    limit=st.integers(min_value=0, max_value=6),
    zone=st.sampled_from(["Europe/Moscow", "Asia/Vladivostok", "America/New_York"]),
)
def test_spendable_now_reads_the_same_everywhere_on_random_lots(
    db, lots, holds_points, limit, zone
):
    set_program(time_zone=zone)
    now = T0
    member = make_member(now=now - 30 * DAY)
    PointLot.objects.bulk_create(
        PointLot(
            account_id=member.pk,
            source=PointLot.Source.BONUS,
            points=max(remaining, 1),
            remaining=remaining,
            is_pending=available_in > 0,
            available_at=now + dt.timedelta(hours=available_in),
            expires_at=now + dt.timedelta(minutes=expires_in),
            created_at=now - 30 * DAY,
        )
        for remaining, available_in, expires_in in lots
    )
    Account.objects.filter(pk=member.pk).update(available=int(holds_points))

    summary = assert_matches_the_cabinet_readers(member, now, limit=limit)
    assert quote_purchase(
        member_id=member.pk, now=now, amount=Decimal("100.00")
    ).available_points == (summary.balance.available)
    if holds_points:
        assert ledger_spendable(member, now) == summary.balance.available


def ledger_spendable(member, now) -> int:
    """What a purchase may spend: the ledger settles the lots it locked (burn, activate) in
    Python. Rolled back: nothing is written."""
    with transaction.atomic():
        ledger = LedgerTransaction(lock_account(member.pk), program=get_program(), now=now)
        spendable = ledger.spendable_points()
        transaction.set_rollback(True)
    return spendable
