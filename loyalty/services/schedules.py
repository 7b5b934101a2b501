"""Scheduled moves of points: activate pending lots, burn expired ones.

Both work through accounts in batches, in member order: lock a batch of accounts, then their
due lots, write the entries in bulk, update the accounts. Memory stays constant, a second or
concurrent run finds nothing left to do, and a run after days of downtime processes everything
due as of `now` exactly once (an expiry entry is unique per lot in the database).
"""

import datetime as dt

from django.db import transaction

from loyalty.models import Account, LedgerEntry, PointLot

Kind = LedgerEntry.Kind


def _due_account_ids(due, after: int, limit: int) -> list[int]:
    return list(
        due.filter(account_id__gt=after)
        .order_by("account_id")
        .values_list("account_id", flat=True)
        .distinct()[:limit]
    )


def _run(due, apply, *, now: dt.datetime, batch_size: int) -> int:
    done, after = 0, 0
    while True:
        with transaction.atomic(durable=True):
            ids = _due_account_ids(due, after, batch_size)
            if not ids:
                return done
            after = ids[-1]
            accounts = {
                a.member_id: a
                for a in Account.objects.select_for_update(no_key=True)
                .filter(member_id__in=ids)
                .order_by("member_id")
                .only("member_id", "available", "pending")
            }
            lots = list(
                due.select_for_update(no_key=True)
                .filter(account_id__in=ids)
                .order_by("account_id", "expires_at", "id")
                .only("id", "account_id", "remaining", "is_pending", "expires_at")
            )
            entries = [apply(lot, accounts[lot.account_id]) for lot in lots]
            entries = [e for e in entries if e is not None]
            PointLot.objects.bulk_update(lots, ["remaining", "is_pending"], batch_size=5000)
            LedgerEntry.objects.bulk_create(entries, batch_size=5000)
            for account in accounts.values():
                account.updated_at = now
            Account.objects.bulk_update(
                accounts.values(), ["available", "pending", "updated_at"], batch_size=5000
            )
            done += len(lots)


def burn_expired_points(*, now: dt.datetime, batch_size: int = 2000) -> int:
    """Burn every lot whose expiry has come: its remaining points leave the balance with one
    `expire` entry per lot. Returns the number of lots burnt."""

    def burn(lot: PointLot, account: Account) -> LedgerEntry:
        points = lot.remaining
        pending_change = 0
        if lot.is_pending:
            account.pending -= points
            pending_change = -points
            lot.is_pending = False
        else:
            account.available -= points
        lot.remaining = 0
        return LedgerEntry(
            account_id=lot.account_id,
            kind=Kind.EXPIRE,
            points=-points,
            pending_change=pending_change,
            lot_id=lot.pk,
            expires_at=lot.expires_at,
            created_at=now,
        )

    due = PointLot.objects.filter(remaining__gt=0, expires_at__lte=now)
    return _run(due, burn, now=now, batch_size=batch_size)


def activate_due_points(*, now: dt.datetime, batch_size: int = 2000) -> int:
    """Make pending lots available once their activation time has come. Returns the count."""

    def activate(lot: PointLot, account: Account) -> LedgerEntry | None:
        lot.is_pending = False
        if lot.remaining == 0:
            return None
        account.pending -= lot.remaining
        account.available += lot.remaining
        return LedgerEntry(
            account_id=lot.account_id,
            kind=Kind.ACTIVATE,
            points=0,
            pending_change=-lot.remaining,
            lot_id=lot.pk,
            expires_at=lot.expires_at,
            created_at=now,
        )

    due = PointLot.objects.filter(is_pending=True, available_at__lte=now, expires_at__gt=now)
    return _run(due, activate, now=now, batch_size=batch_size)
