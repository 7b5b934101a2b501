"""Refunds: the redeemed points of the refunded part come back, the points it earned go back."""

from decimal import Decimal

import pytest

from loyalty.errors import InvalidCheck, PurchaseNotFound, RefundExceedsPurchase, RefundExists
from loyalty.models import LedgerEntry, PointLot, Program, Purchase, Refund
from loyalty.services import burn_expired_points, refund_purchase
from tests.factories import PartnerFactory
from tests.loyalty.helpers import account, assert_ledger_ok, buy, days, give, set_program

pytestmark = pytest.mark.django_db

LINES = [
    {"sku": "COAT", "price": "6000.00"},
    {"sku": "SOCKS", "quantity": 4, "price": "1000.00"},
]


def refund(purchase, external_id, now, **kwargs):
    return refund_purchase(purchase_id=purchase.pk, external_id=external_id, now=now, **kwargs)


@pytest.fixture
def redeemed(member, partner, now):
    """10 000 ₽ bought with 1 000 points redeemed: 180 points earned on the 9 000 ₽ paid."""
    give(member, 1000, now)
    purchase = buy(member, partner, now + days(1), lines=LINES, redeem=1000).purchase
    assert (purchase.earned_points, account(member).available) == (180, 180)
    return purchase


def test_a_full_refund_returns_the_redeemed_points_and_takes_back_the_earned(member, redeemed, now):
    r = refund(redeemed, "R1", now + days(2))
    assert (r.amount, r.discount) == (Decimal("10000.00"), Decimal("1000.00"))
    assert (r.returned_points, r.clawed_back_points, r.shortfall_points) == (1000, 180, 0)
    assert account(member).available == 1000
    # The points are back in their own lot, with its original expiry.
    lot = PointLot.objects.get(account_id=member.pk, source="adjust")
    assert lot.remaining == 1000
    assert_ledger_ok()


def test_a_partial_refund_by_amount_moves_its_share(member, redeemed, now):
    r = refund(redeemed, "R1", now + days(2), amount="5000")
    # 5 000 ₽ of goods, 500 of them paid with points; 4 500 ₽ of money earned 90 points.
    assert (r.discount, r.returned_points, r.clawed_back_points) == (Decimal("500.00"), 500, 90)
    assert account(member).available == 180 + 500 - 90
    assert_ledger_ok()


def test_a_partial_refund_by_lines(member, redeemed, now):
    r = refund(redeemed, "R1", now + days(2), lines=[{"sku": "SOCKS", "quantity": 1}])
    assert (r.amount, r.discount) == (Decimal("1000.00"), Decimal("100.00"))
    assert (r.returned_points, r.clawed_back_points) == (100, 18)
    r2 = refund(redeemed, "R2", now + days(2), lines=[{"sku": "SOCKS", "quantity": 3}])
    assert (r2.returned_points, r2.clawed_back_points) == (300, 54)
    with pytest.raises(RefundExceedsPurchase):
        refund(redeemed, "R3", now + days(2), lines=[{"sku": "SOCKS", "quantity": 1}])
    assert_ledger_ok()


@pytest.mark.parametrize(
    "steps",
    [
        ["0.01", "3333.33", "0.07", "1000", None],
        [{"sku": "SOCKS", "quantity": 1}, "123.45", {"sku": "COAT", "quantity": 1}, None],
        ["9999.99", "0.01"],
    ],
)
def test_refunds_never_return_more_than_redeemed_nor_take_more_than_earned(
    member, redeemed, now, steps
):
    for i, step in enumerate(steps):
        kwargs = {}
        if isinstance(step, str):
            kwargs["amount"] = step
        elif isinstance(step, dict):
            kwargs["lines"] = [step]
        refund(redeemed, f"R{i}", now + days(2), **kwargs)
    redeemed.refresh_from_db()
    assert redeemed.refunded_total == redeemed.total
    assert redeemed.returned_points + redeemed.forfeited_points == redeemed.redeemed_points
    assert redeemed.clawed_back_points == redeemed.earned_points
    refunds = Refund.objects.filter(purchase=redeemed)
    assert sum(r.returned_points for r in refunds) == 1000
    assert sum(r.clawed_back_points for r in refunds) == 180
    assert account(member).available == 1000
    with pytest.raises(RefundExceedsPurchase):
        refund(redeemed, "R-more", now + days(2), amount="0.01")
    assert_ledger_ok()


def test_a_repeated_refund_changes_nothing_and_a_different_body_is_refused(member, redeemed, now):
    first = refund(redeemed, "R1", now + days(2), amount="2000")
    entries, balance = LedgerEntry.objects.count(), account(member).available
    again = refund(redeemed, "R1", now + days(3), amount="2000.00")
    assert again.pk == first.pk
    assert (LedgerEntry.objects.count(), account(member).available) == (entries, balance)
    with pytest.raises(RefundExists):
        refund(redeemed, "R1", now + days(3), amount="2500")
    assert Refund.objects.count() == 1


def test_a_refund_recorded_before_is_still_recognised_when_sent_again(member, redeemed, now):
    """Refund fingerprints already stored keep their meaning after the idempotency service took
    them over: the same number and body is a replay, not a refusal."""
    first = refund(redeemed, "R1", now + days(2), amount="100")
    # The fingerprint of {"lines": null, "amount": "100.00"} as refunds have always stored it.
    stored = "f16f9648f8ed88558af4a641f193741e2fbf8098f418a1d2cdbdba8b50e07c58"
    assert Refund.objects.get().request_hash == stored
    assert refund(redeemed, "R1", now + days(3), amount="100.00").pk == first.pk


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"amount": "10000.01"}, RefundExceedsPurchase),
        ({"amount": "0"}, InvalidCheck),
        ({"amount": "-5"}, InvalidCheck),
        ({"lines": [{"sku": "SOCKS", "quantity": 5}]}, RefundExceedsPurchase),
        ({"lines": [{"sku": "HAT", "quantity": 1}]}, InvalidCheck),
        ({"lines": [{"sku": "SOCKS", "quantity": -1}]}, InvalidCheck),
        ({"lines": ["SOCKS"]}, InvalidCheck),
        ({"lines": [{"sku": "SOCKS"}], "amount": "100"}, InvalidCheck),
    ],
)
def test_bad_refunds_are_refused_with_nothing_written(member, redeemed, now, kwargs, error):
    before = (LedgerEntry.objects.count(), Refund.objects.count(), account(member).available)
    with pytest.raises(error):
        refund(redeemed, "R1", now + days(2), **kwargs)
    assert (LedgerEntry.objects.count(), Refund.objects.count(), account(member).available) == (
        before
    )
    redeemed.refresh_from_db()
    assert redeemed.refunded_total == 0


def test_a_refund_on_another_partners_purchase_is_not_found(redeemed, now):
    with pytest.raises(PurchaseNotFound):
        refund(redeemed, "R1", now, partner=PartnerFactory(name="Other"))


def _spend_everything(member, partner, now):
    """3 000 ₽ earns 60; those 60 pay for a 1 000 ₽ check, which earns 18."""
    first = buy(member, partner, now, "3000").purchase
    buy(member, partner, now + days(1), "1000", redeem=60)
    assert account(member).available == 18
    return first


def test_withhold_policy_reports_spent_points_in_rubles(member, partner, now):
    set_program(refund_policy=Program.RefundPolicy.WITHHOLD)
    first = _spend_everything(member, partner, now)
    r = refund(first, "R1", now + days(2))
    assert (r.clawed_back_points, r.shortfall_points) == (60, 42)
    assert r.shortfall_amount == Decimal("42.00")
    acc = account(member)
    assert (acc.available, acc.debt, acc.balance) == (0, 0, 0)
    assert_ledger_ok()


def test_debt_policy_lets_the_balance_owe_and_future_earnings_repay(member, partner, now):
    set_program(refund_policy=Program.RefundPolicy.DEBT)
    first = _spend_everything(member, partner, now)
    r = refund(first, "R1", now + days(2))
    assert (r.shortfall_points, r.shortfall_amount) == (42, Decimal("0.00"))
    acc = account(member)
    assert (acc.available, acc.debt, acc.balance) == (0, 42, -42)
    assert_ledger_ok()

    buy(member, partner, now + days(3), "5000")  # earns 100: 42 repay the debt
    acc = account(member)
    assert (acc.available, acc.debt) == (58, 0)
    assert_ledger_ok()


def test_returned_points_repay_debt_first(member, partner, now):
    set_program(refund_policy=Program.RefundPolicy.DEBT)
    first = _spend_everything(member, partner, now)
    second = Purchase.objects.exclude(pk=first.pk).get(member=member)
    refund(first, "R1", now + days(2))  # owes 42
    r = refund(second, "R2", now + days(2))  # 60 redeemed points come back, 18 taken back
    assert (r.returned_points, r.clawed_back_points) == (60, 18)
    acc = account(member)
    assert (acc.available, acc.debt) == (0, 0)
    assert_ledger_ok()


def test_a_refund_claws_back_pending_points_of_its_own_lot_first(member, partner, now):
    set_program(activation_delay_days=7)
    give(member, 500, now)
    purchase = buy(member, partner, now, "3000").purchase
    r = refund(purchase, "R1", now + days(1))
    assert r.clawed_back_points == 60
    acc = account(member)
    assert (acc.available, acc.pending) == (500, 0)
    assert_ledger_ok()


def test_redeemed_points_of_an_expired_lot_are_forfeited(member, partner, now):
    give(member, 100, now)
    purchase = buy(member, partner, now + days(1), "1000", redeem=100).purchase
    after_expiry = now + days(200)
    r = refund(purchase, "R1", after_expiry)
    assert (r.returned_points, r.forfeited_points) == (0, 100)
    assert account(member).available == 0
    assert_ledger_ok()


def test_a_burnt_lot_takes_nothing_back_even_from_an_earlier_dated_refund(member, partner, now):
    give(member, 100, now)
    purchase = buy(member, partner, now + days(1), "1000", redeem=50).purchase
    assert burn_expired_points(now=now + days(200)) == 2
    r = refund(purchase, "R1", now + days(100))  # a back-dated refund after the burn
    assert (r.returned_points, r.forfeited_points) == (0, 50)
    assert burn_expired_points(now=now + days(201)) == 0
    assert_ledger_ok()


REFUND_BUDGET = 17  # incl. the savepoint pair the test transaction adds


def test_refund_statements_do_not_grow_with_lines_or_lots(
    member, partner, now, django_assert_max_num_queries
):
    for i in range(30):
        give(member, 20, now + days(i))
    lines = [{"sku": f"SKU{i}", "price": "100.00", "quantity": 2} for i in range(40)]
    purchase = buy(member, partner, now + days(31), lines=lines, redeem=590).purchase
    with django_assert_max_num_queries(REFUND_BUDGET):
        refund(purchase, "R1", now + days(32), lines=[{"sku": f"SKU{i}"} for i in range(0, 40, 2)])
    with django_assert_max_num_queries(REFUND_BUDGET):
        refund(purchase, "R2", now + days(32))
    assert_ledger_ok()
