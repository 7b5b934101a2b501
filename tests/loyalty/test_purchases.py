"""Quoting and recording purchases: the default program worked through, allocation, bad input."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.errors import MemberBlocked, MemberNotFound
from customers.models import Member
from loyalty.errors import InsufficientPoints, InvalidCheck, PurchaseExists, RedeemLimitExceeded
from loyalty.models import IdempotencyRecord, LedgerEntry, PointLot, Purchase, PurchaseLine
from loyalty.services import activate_due_points, burn_expired_points, quote_purchase
from loyalty.services.idempotency import KeyGuard
from tests.loyalty.helpers import account, assert_ledger_ok, buy, days, give, set_program

pytestmark = pytest.mark.django_db


def test_default_program_worked_example(member, partner, now):
    # 3 000 ₽ at Base (1 point per 50 ₽) earns 60 points.
    first = buy(member, partner, now, "3000")
    assert first.purchase.earned_points == 60
    give(member, 4940, now)
    assert account(member).available == 5000

    # On a later 10 000 ₽ check, 5 000 points may pay for 30 % at most: 3 000.
    later = now + days(1)
    quote = quote_purchase(member_id=member.pk, amount="10000", now=later)
    assert (quote.available_points, quote.max_redeem_points) == (5000, 3000)
    with pytest.raises(RedeemLimitExceeded):
        buy(member, partner, later, "10000", redeem=3001)

    # Redeeming 3 000 earns on the 7 000 ₽ paid with money only: 140 points.
    assert quote_purchase(member_id=member.pk, amount="10000", now=later, redeem_points=3000)
    second = buy(member, partner, later, "10000", redeem=3000)
    assert second.purchase.discount == Decimal("3000.00")
    assert second.purchase.earn_base == Decimal("7000.00")
    assert second.purchase.earned_points == 140
    assert account(member).available == 5000 - 3000 + 140
    assert_ledger_ok()


def test_unspent_points_burn_after_six_months_and_a_day(member, partner, now):
    buy(member, partner, now, "3000")  # 15 Jan 2026, 12:00 Moscow
    last_moment = now.replace(month=7, day=15, hour=23, minute=59)
    assert burn_expired_points(now=last_moment) == 0
    assert account(member).available == 60

    assert burn_expired_points(now=now.replace(month=7, day=16, hour=0, minute=0)) == 1
    assert account(member).available == 0
    expiry = LedgerEntry.objects.get(account_id=member.pk, kind="expire")
    assert expiry.points == -60
    assert_ledger_ok()


def test_the_oldest_expiring_lot_is_spent_first(member, partner, now):
    give(member, 100, now)
    give(member, 100, now + days(40))
    older, newer = PointLot.objects.filter(account_id=member.pk).order_by("expires_at")
    buy(member, partner, now + days(41), "1000", redeem=150)
    older.refresh_from_db()
    newer.refresh_from_db()
    assert (older.remaining, newer.remaining) == (0, 50)
    assert_ledger_ok()


def test_redeemed_points_are_allocated_across_lines_to_the_kopeck(member, partner, now):
    give(member, 1000, now)
    lines = [
        {"sku": "MILK", "quantity": 3, "price": "33.33"},
        {"sku": "CIGS", "quantity": 1, "price": "250.00", "redeemable": False},
        {"sku": "BREAD", "quantity": 1, "price": "0.01"},
        {"sku": "CHEESE", "quantity": "0.457", "price": "1290.00", "amount": "589.53"},
    ]
    quote = quote_purchase(member_id=member.pk, lines=lines, now=now, redeem_points=206)
    result = buy(member, partner, now, lines=lines, redeem=206)
    stored = list(PurchaseLine.objects.filter(purchase=result.purchase).order_by("position"))
    assert [q.discount for q in quote.lines] == [r.discount for r in result.lines]
    assert sum(line.discount for line in stored) == Decimal("206.00")
    assert all(line.discount <= line.amount for line in stored)
    assert stored[1].discount == Decimal("0.00")  # excluded from redemption
    # The cap counts the redeemable goods only: 30 % of 689.53 ₽.
    assert quote.max_redeem_points == 206


def test_only_lines_open_to_points_count_for_the_cap(member, partner, now):
    give(member, 1000, now)
    lines = [{"sku": "CIGS", "price": "1000.00", "redeemable": False}]
    assert quote_purchase(member_id=member.pk, lines=lines, now=now).max_redeem_points == 0
    with pytest.raises(RedeemLimitExceeded):
        buy(member, partner, now, lines=lines, redeem=1)


def test_points_wait_the_activation_delay_before_they_can_be_spent(member, partner, now):
    set_program(activation_delay_days=7)
    buy(member, partner, now, "3000")
    assert (account(member).available, account(member).pending) == (0, 60)
    assert (
        quote_purchase(member_id=member.pk, amount="1000", now=now + days(6)).available_points == 0
    )
    with pytest.raises(InsufficientPoints):
        buy(member, partner, now + days(6), "1000", redeem=10)

    # Due at day 7: spendable even before the beat runs, and the beat then activates nothing.
    day7 = now + days(7)
    assert quote_purchase(member_id=member.pk, amount="1000", now=day7).available_points == 60
    assert activate_due_points(now=day7) == 1
    assert activate_due_points(now=day7) == 0
    assert (account(member).available, account(member).pending) == (60, 0)
    buy(member, partner, day7, "1000", redeem=60)
    assert_ledger_ok()


def test_a_purchase_settles_due_lots_without_claiming_them(member, partner, now):
    give(member, 100, now)
    later = now + days(200)
    buy(member, partner, later, "1000")
    expiry = LedgerEntry.objects.get(account_id=member.pk, kind="expire")
    assert (expiry.points, expiry.purchase_id, expiry.partner_id) == (-100, None, None)
    assert_ledger_ok()


def _written():
    return (
        Purchase.objects.count(),
        PurchaseLine.objects.count(),
        PointLot.objects.count(),
        LedgerEntry.objects.count(),
    )


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"amount": "-100"}, InvalidCheck),
        ({"amount": "0"}, InvalidCheck),
        ({"amount": "10.001"}, InvalidCheck),
        ({"lines": [{"sku": "A", "price": "-5"}]}, InvalidCheck),
        ({"lines": [{"sku": "A", "price": "0"}]}, InvalidCheck),
        ({"lines": [{"sku": "A", "price": "100"}], "amount": "150"}, InvalidCheck),
        ({"lines": [{"sku": "A", "price": "100", "quantity": 0}]}, InvalidCheck),
        ({"lines": ["not a line"]}, InvalidCheck),
        ({"amount": "1000", "redeem": 301}, RedeemLimitExceeded),
        ({"amount": "10000", "redeem": 501}, InsufficientPoints),
        ({"amount": "1000", "redeem": -1}, InvalidCheck),
        ({"amount": "1000", "redeem": 1.5}, InvalidCheck),
    ],
)
def test_bad_checks_are_refused_with_nothing_written(member, partner, now, kwargs, error):
    give(member, 500, now)
    before, balance = _written(), account(member).available
    with pytest.raises(error) as exc:
        buy(member, partner, now, **kwargs)
    assert exc.value.code
    assert _written() == before
    assert account(member).available == balance


def test_unknown_and_blocked_members_are_refused(member, partner, now):
    give(member, 500, now)
    before = _written()
    with pytest.raises(MemberNotFound):
        buy(type("Ghost", (), {"pk": 999999})(), partner, now, "100")
    with pytest.raises(MemberNotFound):
        quote_purchase(member_id=999999, amount="100", now=now)
    Member.objects.filter(pk=member.pk).update(status=Member.Status.BLOCKED)
    with pytest.raises(MemberBlocked):
        buy(member, partner, now, "100", redeem=10)
    with pytest.raises(MemberBlocked):
        quote_purchase(member_id=member.pk, amount="100", now=now)
    assert _written() == before


def test_a_check_number_is_recorded_once_per_partner(member, partner, now):
    buy(member, partner, now, "100", external_id="X-1")
    before = _written()
    with pytest.raises(PurchaseExists):
        buy(member, partner, now, "200", external_id="X-1")
    assert _written() == before


def _count_queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


PURCHASE_BUDGET = 4  # savepoint pair of the test transaction, account with its lots, one write
QUOTE_BUDGET = 1


def test_purchase_and_quote_statements_do_not_grow_with_lines_or_lots(
    member, partner, now, django_assert_max_num_queries
):
    give(member, 100, now)
    small_quote = _count_queries(
        lambda: quote_purchase(member_id=member.pk, amount="1000", now=now, redeem_points=50)
    )
    small = _count_queries(lambda: buy(member, partner, now, "1000", redeem=50))

    for i in range(40):
        give(member, 10, now + days(i))
    lines = [
        {"sku": f"SKU{i}", "price": "99.90", "quantity": 2} for i in range(40)
    ]  # 7 992 ₽: no tier change
    later = now + days(50)
    with django_assert_max_num_queries(QUOTE_BUDGET):
        quote_purchase(member_id=member.pk, lines=lines, now=later, redeem_points=350)
    with django_assert_max_num_queries(PURCHASE_BUDGET):
        result = buy(member, partner, later, lines=lines, redeem=350)
    assert LedgerEntry.objects.filter(purchase=result.purchase, kind="redeem").count() > 30
    assert small_quote <= QUOTE_BUDGET
    assert small <= PURCHASE_BUDGET
    assert_ledger_ok()


def test_the_idempotency_key_is_taken_in_the_statement_that_locks_the_account(member, partner, now):
    """The key's record commits with the purchase or not at all, at no extra round trip."""
    give(member, 100, now)
    seen = []

    class Watched(KeyGuard):
        def taken(self, row):
            seen.append((row[0], row[1] is not None, connection.in_atomic_block))
            super().taken(row)

    guard = Watched(partner_id=partner.pk, key="k-1", fingerprint="h", now=now)
    with CaptureQueriesContext(connection) as queries:
        result = buy(member, partner, now, "1000.00", redeem=50, idempotency=guard)
    assert seen == [(True, True, True)]
    keyed = [q["sql"] for q in queries if "loyalty_idempotencyrecord" in q["sql"]]
    assert len(keyed) == 1 and "FOR NO KEY UPDATE" in keyed[0]  # no statement of its own
    record = IdempotencyRecord.objects.get()
    assert (record.key, record.response_status, record.pk) == ("k-1", 201, guard.record_id)
    purchase = Purchase.objects.get()
    # The balance it left, kept for its answer to be given again.
    assert (purchase.available_after, purchase.pending_after) == (
        result.account.available,
        result.account.pending,
    )
    assert purchase.available_after == 100 - 50 + 19

    class Failing(KeyGuard):
        def taken(self, row):
            raise RuntimeError("the caller's own check failed")

    failing = Failing(partner_id=partner.pk, key="k-2", fingerprint="h", now=now)
    with pytest.raises(RuntimeError):
        buy(member, partner, now, "500.00", redeem=10, idempotency=failing)
    assert Purchase.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1  # the key's record rolled back with the work
    assert account(member).available == result.account.available
    assert_ledger_ok()


def test_a_purchase_without_redemption_reads_only_the_lots_due_and_still_settles_them(
    member, partner, now
):
    set_program(activation_delay_days=7)
    buy(member, partner, now, "3000")  # 60 pending until day 7
    give(member, 100, now)  # available now, until the expiry
    day8 = now + days(8)
    with CaptureQueriesContext(connection) as queries:
        buy(member, partner, day8, "1000")  # earns 20 more, pending
    lots_read = [
        q["sql"] for q in queries.captured_queries if 'FROM "loyalty_pointlot"' in q["sql"]
    ]
    assert len(lots_read) == 1 and '"available_at" <= %s' in lots_read[0]
    activation = LedgerEntry.objects.get(account_id=member.pk, kind="activate")
    assert (activation.pending_change, activation.purchase_id) == (-60, None)
    assert (account(member).available, account(member).pending) == (160, 20)
    buy(member, partner, day8, "1000", redeem=160)  # all of it is spendable: nothing was lost
    assert account(member).available == 0
    assert_ledger_ok()


def test_a_due_only_transaction_refuses_to_spend(member, partner, now):
    from django.db import transaction

    from loyalty.services.ledger import LedgerTransaction, lock_account
    from loyalty.services.program import get_program

    give(member, 100, now)
    with transaction.atomic():
        ledger = LedgerTransaction(
            lock_account(member.pk), program=get_program(), now=now, due_only=True
        )
        assert ledger.lots == []  # nothing due: the available lot was not read
        with pytest.raises(RuntimeError):
            ledger.spend(10, LedgerEntry.Kind.REDEEM)
