"""Real threads, real PostgreSQL transactions: tills racing on one account stay within the rules."""

import threading

import pytest
from django.db import connection

from loyalty.errors import InsufficientPoints
from loyalty.models import LedgerEntry
from loyalty.services import (
    activate_due_points,
    adjust_points,
    burn_expired_points,
    refund_purchase,
)
from tests.loyalty.helpers import account, assert_ledger_ok, buy, days, give, set_program
from tests.race import race

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_twenty_four_tills_redeeming_at_once_never_take_more_than_the_balance(member, partner, now):
    set_program(activation_delay_days=7)  # earned points stay pending: only the 1 000 count
    give(member, 1000, now)
    outcomes = race(*[lambda: buy(member, partner, now, "1000", redeem=100)] * 24)
    succeeded = [o for o in outcomes if not isinstance(o, Exception)]
    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(succeeded) == 10
    assert all(isinstance(o, InsufficientPoints) for o in refused)
    assert account(member).available == 0
    redeemed = LedgerEntry.objects.filter(account_id=member.pk, kind="redeem")
    assert -sum(redeemed.values_list("points", flat=True)) == 1000
    assert_ledger_ok()


def test_purchase_refund_adjustment_and_beats_at_once_keep_every_invariant(member, partner, now):
    give(member, 100, now)  # expires in July
    first = buy(member, partner, now + days(1), "3000", redeem=100).purchase  # earns 58
    give(member, 300, now + days(100))  # expires in October
    later = now + days(190)
    outcomes = race(
        lambda: buy(member, partner, later, "1000", redeem=100),
        lambda: refund_purchase(purchase_id=first.pk, external_id="R1", now=later),
        lambda: burn_expired_points(now=later),
        lambda: activate_due_points(now=later),
        lambda: adjust_points(
            member_id=member.pk, points=-50, reason="race", staff=None, now=later
        ),
        lambda: burn_expired_points(now=later),
    )
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    # Whatever the order: 300 - 58 taken back - 100 redeemed - 50 removed + 18 earned.
    assert account(member).available == 110
    # The July lot was spent whole; only the 58 earned in January burn, once.
    expired = LedgerEntry.objects.filter(account_id=member.pk, kind="expire")
    assert list(expired.values_list("points", flat=True)) == [-58]
    assert_ledger_ok()


def test_a_purchase_that_waited_for_the_lock_spends_what_the_holder_committed(
    member, partner, now, monkeypatch
):
    """The purchase reads the lots in the statement that takes the lock, whose snapshot is
    older than the lock: here the holder adds the very points the purchase redeems."""
    import time

    from loyalty.services.ledger import LedgerTransaction

    holding, release = threading.Event(), threading.Event()
    flush = LedgerTransaction.flush

    def flush_then_hold(self, **kwargs):
        flush(self, **kwargs)
        if threading.current_thread().name == "holder":
            holding.set()
            release.wait(10)

    monkeypatch.setattr(LedgerTransaction, "flush", flush_then_hold)
    outcomes = {}

    def run(name, job):
        try:
            outcomes[name] = job()
        except Exception as exc:  # asserted below
            outcomes[name] = exc
        finally:
            connection.close()

    holder = threading.Thread(
        target=run, args=("holder", lambda: give(member, 100, now)), name="holder"
    )
    holder.start()
    assert holding.wait(10)
    buyer = threading.Thread(
        target=run, args=("buyer", lambda: buy(member, partner, now, "1000", redeem=100))
    )
    buyer.start()
    with connection.cursor() as cursor:  # the buyer waits for the account lock
        for _ in range(500):
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                break
            time.sleep(0.01)
        else:
            pytest.fail("the purchase never waited for the lock")
    release.set()
    holder.join(10)
    buyer.join(10)
    assert not isinstance(outcomes["buyer"], Exception), outcomes
    assert outcomes["buyer"].purchase.redeemed_points == 100
    # The 100 given, the 100 redeemed; what the purchase earned is all that is left.
    assert account(member).available == outcomes["buyer"].purchase.earned_points
    assert_ledger_ok()
