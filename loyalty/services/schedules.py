"""Scheduled moves of points: activate pending lots, burn expired ones.

Both walk the due lots in batches in account order: pick the next accounts that have due lots,
lock those accounts (in member order), then lock all their due lots (by expiry and id) — the
same order every points service locks in — apply the rule to each lot in Python, and write the
batch in a constant number of statements: one UPDATE of the lots, one INSERT of the entries,
one UPDATE of every account whose lots changed, as set operations over arrays (the ledger
store's `write_moved_lots`).

Memory stays constant (one batch at a time). A second or concurrent run waits for the account
locks, then finds the lots no longer due and does nothing; a run after days of downtime
processes everything due as of `now` exactly once (an expiry entry is unique per lot in the
database).
"""

import datetime as dt
from collections.abc import Callable

from django.db import transaction
from django.db.models import QuerySet

from loyalty.models import Account, LedgerEntry, PointLot
from loyalty.services import lot_rules
from loyalty.store.batches import write_moved_lots

Kind = LedgerEntry.Kind

DEFAULT_BATCH_SIZE = 10_000

# (lot id, account id, remaining, is_pending, expires_at) as read under the lock.
LotRow = tuple[int, int, int, bool, dt.datetime]
# (account id, points, pending change, lot id, expires_at) of one entry to write.
EntryRow = tuple[int, int, int, int, dt.datetime]
# A rule moves one lot's points on the balance [available, pending] and returns its entry.
Rule = Callable[[LotRow, list[int]], EntryRow | None]


def _run(
    due: QuerySet, rule: Rule, *, kind: str, lot_changes: dict, now: dt.datetime, batch_size: int
) -> int:
    done, after = 0, 0
    while True:
        with transaction.atomic(durable=True):
            account_ids = sorted(
                set(
                    due.filter(account_id__gt=after)
                    .order_by("account_id")
                    .values_list("account_id", flat=True)[:batch_size]
                )
            )
            if not account_ids:
                return done
            after = account_ids[-1]
            balances = {
                pk: [available, pending]
                for pk, available, pending in Account.objects.select_for_update(no_key=True)
                .filter(member_id__in=account_ids)
                .order_by("member_id")
                .values_list("member_id", "available", "pending")
            }
            # Under the account locks, re-read what is still due: a concurrent run or a
            # purchase that settled these lots has already taken them.
            lots: list[LotRow] = list(
                due.select_for_update(no_key=True)
                .filter(account_id__in=account_ids)
                .order_by("account_id", "expires_at", "id")
                .values_list("id", "account_id", "remaining", "is_pending", "expires_at")
            )
            if not lots:
                continue
            entries = [e for e in (rule(lot, balances[lot[1]]) for lot in lots) if e is not None]
            # Every account whose lots change is written, even with its balance unchanged (a
            # pending lot of 0 points activated): a purchase that read the lots in the
            # statement that locked the account relies on it (loyalty/services/ledger.py).
            touched = {lot[1]: balances[lot[1]] for lot in lots}
            write_moved_lots(
                kind=kind,
                lot_ids=[lot[0] for lot in lots],
                lot_changes=lot_changes,
                entries=entries,
                balances=touched,
                now=now,
            )
            done += len(lots)


def _settled(lot: LotRow, balance: list[int], move: lot_rules.Move | None) -> EntryRow | None:
    """Apply a lot rule's move to the account's [available, pending]; the entry to write."""
    if move is None:
        return None
    lot_id, account_id, _remaining, _is_pending, expires_at = lot
    balance[0] += move.available
    balance[1] += move.pending
    return (account_id, move.points, move.pending_change, lot_id, expires_at)


def _burn(lot: LotRow, balance: list[int]) -> EntryRow | None:
    return _settled(lot, balance, lot_rules.burn(lot[2], lot[3]))


def _activate(lot: LotRow, balance: list[int]) -> EntryRow | None:
    return _settled(lot, balance, lot_rules.activate(lot[2]))


def burn_expired_points(*, now: dt.datetime, batch_size: int = DEFAULT_BATCH_SIZE) -> int:
    """Burn every lot whose expiry has come: its remaining points leave the balance with one
    `expire` entry per lot. Returns the number of lots burnt."""
    due = PointLot.objects.filter(remaining__gt=0, expires_at__lte=now)
    return _run(
        due,
        _burn,
        kind=Kind.EXPIRE,
        lot_changes={"remaining": 0, "is_pending": False},
        now=now,
        batch_size=batch_size,
    )


def activate_due_points(*, now: dt.datetime, batch_size: int = DEFAULT_BATCH_SIZE) -> int:
    """Make pending lots available once their activation time has come (lots past expiry are
    left to burning). Returns the number of lots activated."""
    due = PointLot.objects.filter(is_pending=True, available_at__lte=now, expires_at__gt=now)
    return _run(
        due,
        _activate,
        kind=Kind.ACTIVATE,
        lot_changes={"is_pending": False},
        now=now,
        batch_size=batch_size,
    )
