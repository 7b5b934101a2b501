"""The database itself guards the ledger, whatever the code above it does."""

import pytest
from django.db import DatabaseError, IntegrityError, transaction

from loyalty.models import Account, LedgerEntry, PointLot
from tests.loyalty.helpers import give

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(member, now):
    give(member, 100, now)
    return LedgerEntry.objects.get(account_id=member.pk)


def test_ledger_entries_cannot_be_updated(entry):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(points=1_000_000)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        entry.reason = "rewritten"
        entry.save()
    entry.refresh_from_db()
    assert (entry.points, entry.reason) == (100, "test gift")


def test_ledger_entries_cannot_be_deleted(entry):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()


def test_a_lot_expires_at_most_once(entry, now):
    lot = PointLot.objects.get(account_id=entry.account_id)
    fields = {"account_id": lot.account_id, "kind": "expire", "lot": lot, "created_at": now}
    LedgerEntry.objects.bulk_create([LedgerEntry(points=-1, **fields)])
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.bulk_create([LedgerEntry(points=-1, **fields)])


def test_balances_and_lots_cannot_go_below_zero(entry, now):
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=entry.account_id).update(available=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=entry.account_id).update(debt=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        PointLot.objects.filter(account_id=entry.account_id).update(remaining=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        PointLot.objects.filter(account_id=entry.account_id).update(remaining=101)
    assert Account.objects.get(pk=entry.account_id).available == 100
