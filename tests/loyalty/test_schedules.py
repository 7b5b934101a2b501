"""Activation and burning: due work done exactly once, however often and however late it runs."""

import threading

import pytest
from django.db import connection

from loyalty.models import LedgerEntry, PointLot
from loyalty.services import activate_due_points, burn_expired_points
from tests.factories import make_member
from tests.loyalty.helpers import account, assert_ledger_ok, buy, days, give, set_program

pytestmark = pytest.mark.django_db


def test_burning_twice_burns_once(member, now):
    give(member, 100, now)
    assert burn_expired_points(now=now + days(200)) == 1
    assert burn_expired_points(now=now + days(200)) == 0
    assert LedgerEntry.objects.filter(kind="expire").count() == 1
    assert account(member).available == 0
    assert_ledger_ok()


def test_a_missed_week_of_beats_burns_everything_due_once(now):
    members = [make_member(now=now) for _ in range(5)]
    for i, member in enumerate(members):
        for day in range(i + 1):
            give(member, 10 + day, now + days(day))
    give(members[0], 7, now + days(100))  # not due yet
    week_later = now + days(200)
    assert burn_expired_points(now=week_later, batch_size=2) == 15
    assert burn_expired_points(now=week_later, batch_size=2) == 0
    assert PointLot.objects.filter(remaining__gt=0).count() == 1
    assert LedgerEntry.objects.filter(kind="expire").count() == 15
    assert account(members[0]).available == 7
    assert_ledger_ok()


def test_pending_points_past_expiry_burn_from_pending(member, partner, now):
    set_program(activation_delay_days=7)
    buy(member, partner, now, "3000")
    assert burn_expired_points(now=now + days(300)) == 1
    assert (account(member).available, account(member).pending) == (0, 0)
    assert activate_due_points(now=now + days(300)) == 0
    assert_ledger_ok()


def test_activation_twice_activates_once(member, partner, now):
    set_program(activation_delay_days=7)
    buy(member, partner, now, "3000")
    buy(member, partner, now + days(2), "1000")
    assert activate_due_points(now=now + days(8)) == 1
    assert activate_due_points(now=now + days(8)) == 0
    assert (account(member).available, account(member).pending) == (60, 20)
    assert activate_due_points(now=now + days(30)) == 1
    assert LedgerEntry.objects.filter(kind="activate").count() == 2
    assert_ledger_ok()


def _in_threads(*jobs):
    barrier = threading.Barrier(len(jobs))
    results, errors = [None] * len(jobs), []

    def run(i, job):
        try:
            barrier.wait()
            results[i] = job()
        except Exception as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_burns_and_activations_do_each_lot_once(now, partner):
    set_program(activation_delay_days=7)
    members = [make_member(now=now) for _ in range(6)]
    for member in members:
        give(member, 30, now)
        buy(member, partner, now + days(150), "1000")
    later = now + days(190)
    burnt = _in_threads(*[lambda: burn_expired_points(now=later, batch_size=2)] * 3)
    activated = _in_threads(*[lambda: activate_due_points(now=later, batch_size=2)] * 3)
    assert sum(burnt) == 6
    assert sum(activated) == 6
    assert LedgerEntry.objects.filter(kind="expire").count() == 6
    assert all(account(m).available == 20 for m in members)
    assert_ledger_ok()
