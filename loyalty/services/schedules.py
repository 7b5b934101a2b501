"""Scheduled moves of points: activate pending lots, burn expired ones.

Both walk the due lots in batches in account order: pick the next accounts that have due lots,
lock those accounts (in member order), then lock all their due lots (by expiry and id) — the
same order every points service locks in — apply the rule to each lot in Python, and write the
batch in a constant number of statements: one UPDATE of the lots, one INSERT of the entries,
one UPDATE of every account whose lots changed (on PostgreSQL as set operations over arrays;
on SQLite, which the demo runs on, through the ORM's bulk operations).

Memory stays constant (one batch at a time). A second or concurrent run waits for the account
locks, then finds the lots no longer due and does nothing; a run after days of downtime
processes everything due as of `now` exactly once (an expiry entry is unique per lot in the
database).
"""

import datetime as dt
from collections.abc import Callable

from django.db import connection, transaction
from django.db.models import QuerySet

from loyalty.models import Account, LedgerEntry, PointLot

Kind = LedgerEntry.Kind

DEFAULT_BATCH_SIZE = 10_000

# (lot id, account id, remaining, is_pending, expires_at) as read under the lock.
LotRow = tuple[int, int, int, bool, dt.datetime]
# (account id, points, pending change, lot id, expires_at) of one entry to write.
EntryRow = tuple[int, int, int, int, dt.datetime]
# A rule moves one lot's points on the balance [available, pending] and returns its entry.
Rule = Callable[[LotRow, list[int]], EntryRow | None]


def _write_pg(kind, lot_ids, lot_changes, entries, balances, now) -> None:
    lot_table = PointLot._meta.db_table
    entry_table = LedgerEntry._meta.db_table
    account_table = Account._meta.db_table
    sets = ", ".join(f"{column} = %s" for column in lot_changes)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {lot_table} SET {sets} WHERE id = ANY(%s)",  # noqa: S608 (names from _meta)
            [*lot_changes.values(), lot_ids],
        )
        if entries:
            columns = list(zip(*entries))
            cursor.execute(
                f"INSERT INTO {entry_table} "  # noqa: S608
                "(account_id, kind, points, pending_change, lot_id, expires_at, created_at, reason)"
                " SELECT a, %s, p, pc, l, e, %s, '' FROM unnest("
                "%s::bigint[], %s::integer[], %s::integer[], %s::bigint[], %s::timestamptz[]"
                ") AS t(a, p, pc, l, e)",
                [kind, now, *(list(c) for c in columns)],
            )
        if balances:
            ids, available, pending = zip(*((pk, b[0], b[1]) for pk, b in balances.items()))
            cursor.execute(
                f"UPDATE {account_table} AS a SET available = t.av, pending = t.pe, "  # noqa: S608
                "updated_at = %s FROM unnest(%s::bigint[], %s::integer[], %s::integer[]) "
                "AS t(id, av, pe) WHERE a.member_id = t.id",
                [now, list(ids), list(available), list(pending)],
            )


def _write_orm(kind, lot_ids, lot_changes, entries, balances, now) -> None:
    for start in range(0, len(lot_ids), 500):
        PointLot.objects.filter(pk__in=lot_ids[start : start + 500]).update(**lot_changes)
    LedgerEntry.objects.bulk_create(
        (
            LedgerEntry(
                account_id=account_id,
                kind=kind,
                points=points,
                pending_change=pending_change,
                lot_id=lot_id,
                expires_at=expires_at,
                created_at=now,
            )
            for account_id, points, pending_change, lot_id, expires_at in entries
        ),
        batch_size=500,
    )
    Account.objects.bulk_update(
        [
            Account(member_id=pk, available=b[0], pending=b[1], updated_at=now)
            for pk, b in balances.items()
        ],
        ["available", "pending", "updated_at"],
        batch_size=500,
    )


def _run(
    due: QuerySet, rule: Rule, *, kind: str, lot_changes: dict, now: dt.datetime, batch_size: int
) -> int:
    write = _write_pg if connection.vendor == "postgresql" else _write_orm
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
            write(kind, [lot[0] for lot in lots], lot_changes, entries, touched, now)
            done += len(lots)


def _burn(lot: LotRow, balance: list[int]) -> EntryRow:
    lot_id, account_id, remaining, is_pending, expires_at = lot
    if is_pending:
        balance[1] -= remaining
        return (account_id, -remaining, -remaining, lot_id, expires_at)
    balance[0] -= remaining
    return (account_id, -remaining, 0, lot_id, expires_at)


def _activate(lot: LotRow, balance: list[int]) -> EntryRow | None:
    lot_id, account_id, remaining, _is_pending, expires_at = lot
    if remaining == 0:
        return None
    balance[1] -= remaining
    balance[0] += remaining
    return (account_id, 0, -remaining, lot_id, expires_at)


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
