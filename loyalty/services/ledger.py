"""The one write path for points: lock an account, move points between lots, write entries.

Every service that changes points opens a `LedgerTransaction` inside `transaction.atomic()`.
It locks the account row first, then reads the account's live lots (by expiry and id), settles
what is due (burns expired lots, activates pending ones), lets the service spend and add points,
and writes everything in a constant number of statements: one UPDATE of the touched lots, one
INSERT of new lots, one INSERT of entries and one UPDATE of the account.

The account row lock guards its lots too: every writer of lots (this class, and the activation
and burn jobs in schedules.py) locks the owning account first, and updates the account row in
the same transaction. So on PostgreSQL the lots are not row-locked themselves (a row lock on
every live lot cost a heap write and a WAL record per lot on every purchase,
docs/PERFORMANCE.md), and they are read after the lock: in a statement of their own (a fresh
snapshot that sees what the previous holder of the lock committed) — or, for a purchase, in the
statement that takes the lock (`lock_account_and_lots`), whose snapshot predates the lock: those
lots are used only when the account row it locked is the very version that snapshot sees (same
`xmin`). Any holder of the lock that committed after the snapshot updated the row, so a lock
that had to wait for one shows up as another version, and then the lots are read again.
"""

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q

from config.db import hot_cursor
from customers.errors import MemberBlocked, MemberNotFound
from customers.models import Member
from loyalty.models import Account, LedgerEntry, PointLot, Program, Purchase, PurchaseLine
from loyalty.services.instances import built, loaded
from loyalty.services.ledger_sql import ACCOUNT_WRITTEN, write_all
from loyalty.services.program import lot_available_at, lot_expiry

Kind = LedgerEntry.Kind


def _select_list(alias: str, model) -> tuple[str, list[str]]:
    names = [f.attname for f in model._meta.concrete_fields]
    return ", ".join(f"{alias}.{f.column}" for f in model._meta.concrete_fields), names


_ACCOUNT_COLUMNS, _ACCOUNT_NAMES = _select_list("a", Account)
_MEMBER_COLUMNS, _MEMBER_NAMES = _select_list("m", Member)
_LOT_COLUMNS, _LOT_NAMES = _select_list("l", PointLot)
# Only table and column names from _meta are formatted in.
_LOCK_ACCOUNT_SQL = (
    f"SELECT {_ACCOUNT_COLUMNS}, {_MEMBER_COLUMNS} FROM {Account._meta.db_table} a "  # noqa: S608
    f"JOIN {Member._meta.db_table} m ON m.id = a.member_id "
    "WHERE a.member_id = %s FOR NO KEY UPDATE OF a"
)
_LIVE_LOTS_SQL = (
    f"SELECT {_LOT_COLUMNS} FROM {PointLot._meta.db_table} l "  # noqa: S608
    "WHERE l.account_id = %s AND ((l.remaining > 0{due}){extra}) "
    "ORDER BY l.expires_at, l.id"
)
# Lots with something to settle: past expiry, or pending past their delay.
_DUE = " AND (l.expires_at <= %s OR (l.is_pending AND l.available_at <= %s))"


@dataclass(frozen=True)
class Prelude:
    """Work that a transaction does first, before it locks an account: on PostgreSQL it goes in
    the same statement as the lock (one round trip less), elsewhere it runs on its own.

    `ctes` are common table expressions (data-modifying ones too) and `select` reads one row
    from them, `width` columns wide, whose column `proceed` says whether to lock the account at
    all; `params` fill the placeholders of both, in order. `done(row)` gets that row before the
    account is looked at (it may raise); `alone()` does the same work as its own statements.
    """

    ctes: str
    select: str
    width: int
    proceed: str
    params: list
    done: Callable[[tuple], None]
    alone: Callable[[], None]


@functools.cache
def _lock_and_lots_sql(ctes: str, select: str, proceed: str, due: bool) -> str:
    """The account locked (after the prelude, if any), whether the locked row is the version
    the statement's snapshot sees, and the live (or due) lots of that snapshot: one row per lot,
    or one with no lot."""
    lock = _LOCK_ACCOUNT_SQL.replace(" FROM ", ", a.xmin AS locked_xmin FROM ", 1)
    if proceed:
        lock = lock.replace(
            "WHERE a.member_id = %s",
            f"WHERE a.member_id = %s AND (SELECT {proceed} FROM pre)",  # noqa: S608
        )
    lots = _LIVE_LOTS_SQL.format(due=_DUE if due else "", extra="").replace(
        " ORDER BY l.expires_at, l.id", " AND EXISTS (SELECT FROM acc)"
    )
    head = f"WITH {ctes}, pre AS MATERIALIZED ({select}), " if ctes else "WITH "
    columns = "pre.*, acc.*" if ctes else "acc.*"
    return (
        f"{head}acc AS MATERIALIZED ({lock}), "  # noqa: S608
        f"seen AS MATERIALIZED (SELECT a.xmin FROM {Account._meta.db_table} a "
        "WHERE a.member_id = %s), "
        f"lots AS MATERIALIZED ({lots}) "
        f"SELECT {columns}, acc.locked_xmin = seen.xmin, lots.* FROM "
        f"{'pre LEFT JOIN acc ON true' if ctes else '(SELECT) AS one LEFT JOIN acc ON true'} "
        "LEFT JOIN seen ON true LEFT JOIN lots ON true ORDER BY lots.expires_at, lots.id"
    )


def _account_of(row: Sequence) -> Account:
    split, end = len(_ACCOUNT_NAMES), len(_ACCOUNT_NAMES) + len(_MEMBER_NAMES)
    alias = connection.alias
    account = loaded(Account, _ACCOUNT_NAMES, row[:split], alias)
    member = loaded(Member, _MEMBER_NAMES, row[split:end], alias)
    Account.member.field.set_cached_value(account, member)
    return account


def _int_or_none(member_id) -> int | None:
    try:
        return int(member_id)  # as the ORM's lookup would
    except (ValueError, TypeError):
        return None


def lock_account(member_id: int) -> Account:
    """Lock and return the member's account (with the member row), or MemberNotFound."""
    if connection.vendor == "postgresql":
        # Plain SQL: the ORM's compilation of this query cost more than the query itself; a
        # prepared statement (hot_cursor) saves its parsing and planning too.
        member_id = _int_or_none(member_id)
        if member_id is None:
            raise MemberNotFound()
        with hot_cursor() as cursor:
            cursor.execute(_LOCK_ACCOUNT_SQL, [member_id])
            row = cursor.fetchone()
        if row is None:
            raise MemberNotFound()
        return _account_of(row)
    try:
        return (
            Account.objects.select_for_update(no_key=True, of=("self",))
            .select_related("member")
            .get(member_id=member_id)
        )
    except (Account.DoesNotExist, ValueError, TypeError) as exc:
        raise MemberNotFound() from exc


def lock_account_and_lots(
    member_id: int, *, due_at: dt.datetime | None, prelude: Prelude | None = None
) -> tuple[Account, list[PointLot] | None]:
    """`lock_account` after the `prelude`, if any (on PostgreSQL in the same statement, one
    round trip less), and on PostgreSQL the account's live lots (only those due to settle at
    `due_at`, when given) read in the same statement — or None when they must be read again
    after the lock (see the module docstring); give them to `LedgerTransaction(lots=…)`."""
    if connection.vendor != "postgresql":
        if prelude is not None:
            prelude.alone()
        return lock_account(member_id), None
    member_id = _int_or_none(member_id)
    if member_id is None and prelude is None:
        raise MemberNotFound()
    # (With a prelude and no valid id, the prelude still runs and has its say first.)
    due = due_at is not None
    if prelude is None:
        sql = _lock_and_lots_sql("", "", "", due)
        params, skip = [], 0
    else:
        sql = _lock_and_lots_sql(prelude.ctes, prelude.select, prelude.proceed, due)
        params, skip = list(prelude.params), prelude.width
    params += [member_id, member_id, member_id]
    if due:
        params += [due_at, due_at]
    with hot_cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    first = rows[0]
    if prelude is not None:
        prelude.done(first[:skip])
    if first[skip] is None:
        raise MemberNotFound()
    width = len(_ACCOUNT_NAMES) + len(_MEMBER_NAMES)
    account = _account_of(first[skip : skip + width])
    if not first[skip + width + 1]:  # the lock found a newer version of the account row
        return account, None
    start = skip + width + 2
    if first[start] is None:  # no lot
        return account, []
    alias = connection.alias
    return account, [loaded(PointLot, _LOT_NAMES, row[start:], alias) for row in rows]


class LedgerTransaction:
    """Points moves on one locked account, written at `flush()`."""

    def __init__(
        self,
        account: Account,
        *,
        program: Program,
        now: dt.datetime,
        require_active: bool = True,
        extra_lot_ids: Iterable[int] = (),
        due_only: bool = False,
        lots: list[PointLot] | None = None,
        **links,
    ):
        """`due_only`: read only the lots there is something to settle on (for an operation
        that takes no points out of lots, e.g. a purchase that redeems nothing); then
        spendable_lots(), lot() and spend() are not available. `lots`: the lots
        `lock_account_and_lots` read (with the same `due_only`), instead of reading them."""
        if require_active and not account.member.is_active:
            raise MemberBlocked()
        self.account = account
        self.program = program
        self.now = now
        self.links = links  # purchase, refund, staff, partner: stamped on every entry
        self.entries: list[LedgerEntry] = []
        self.new_lots: list[PointLot] = []
        self._dirty: dict[int, PointLot] = {}
        self._due_only = due_only
        extra = list(extra_lot_ids)
        if lots is not None and not extra:
            self.lots: list[PointLot] = lots
            self._settle()
            return
        if connection.vendor == "postgresql":
            self.lots = _read_lots(account.pk, extra, now if due_only else None)
            self._settle()
            return
        query = PointLot.objects.filter(account=account, remaining__gt=0)
        if due_only:
            due = Q(expires_at__lte=now) | Q(is_pending=True, available_at__lte=now)
            query = query.filter(due)
        if extra:
            query = query | PointLot.objects.filter(id__in=extra)
        self.lots = list(query.order_by("expires_at", "id"))
        self._settle()

    # --- reading -------------------------------------------------------------------------
    def spendable_lots(self) -> list[PointLot]:
        """Available lots with points left, earliest-expiring first."""
        self._check_all_lots()
        return [lot for lot in self.lots if lot.remaining > 0 and not lot.is_pending]

    def lot(self, lot_id: int) -> PointLot | None:
        self._check_all_lots()
        return next((lot for lot in self.lots if lot.pk == lot_id), None)

    def _check_all_lots(self) -> None:
        if self._due_only:
            raise RuntimeError("This transaction read only the lots due to settle.")

    # --- moving points -------------------------------------------------------------------
    def _entry(
        self, kind: str, points: int, pending_change: int = 0, lot=None, *, linked=True, **extra
    ):
        # Burning and activation found while settling are not caused by this operation: they
        # carry no purchase, refund, staff or reason of it.
        fields = {**self.links, **extra} if linked else extra
        self.entries.append(
            built(
                LedgerEntry,
                account=self.account,
                kind=kind,
                points=points,
                pending_change=pending_change,
                lot=lot,
                expires_at=lot.expires_at if lot is not None else None,
                created_at=self.now,
                **fields,
            )
        )

    def _touch(self, lot: PointLot) -> None:
        if lot.pk is not None:
            self._dirty[lot.pk] = lot

    def _settle(self) -> None:
        """Burn lots past expiry and activate lots past their delay, as of `now`."""
        for lot in self.lots:
            if lot.remaining > 0 and lot.expires_at <= self.now:
                self.expire(lot)
            elif lot.is_pending and lot.available_at <= self.now:
                self.activate(lot)

    def expire(self, lot: PointLot) -> None:
        burnt = lot.remaining
        if lot.is_pending:
            self.account.pending -= burnt
            lot.is_pending = False
            self._entry(Kind.EXPIRE, -burnt, -burnt, lot, linked=False)
        else:
            self.account.available -= burnt
            self._entry(Kind.EXPIRE, -burnt, 0, lot, linked=False)
        lot.remaining = 0
        self._touch(lot)

    def activate(self, lot: PointLot) -> None:
        lot.is_pending = False
        self.account.pending -= lot.remaining
        self.account.available += lot.remaining
        if lot.remaining:
            self._entry(Kind.ACTIVATE, 0, -lot.remaining, lot, linked=False)
        self._touch(lot)

    def take(self, lot: PointLot, points: int, kind: str, **extra) -> None:
        """Take `points` out of one lot (available or pending) with an entry of `kind`."""
        assert 0 < points <= lot.remaining
        lot.remaining -= points
        if lot.is_pending:
            self.account.pending -= points
            self._entry(kind, -points, -points, lot, **extra)
        else:
            self.account.available -= points
            self._entry(kind, -points, 0, lot, **extra)
        self._touch(lot)

    def spend(self, points: int, kind: str, lots: list[PointLot] | None = None, **extra) -> int:
        """Take up to `points` from `lots` (default: spendable, earliest-expiring first).

        Returns how many points were taken; the caller decides what a shortfall means.
        """
        left = points
        for lot in self.spendable_lots() if lots is None else lots:
            if left == 0:
                break
            part = min(left, lot.remaining)
            if part:
                self.take(lot, part, kind, **extra)
                left -= part
        return points - left

    def give_back(self, lot: PointLot, points: int, kind: str, **extra) -> None:
        """Put points back into the lot they were taken from (its expiry stays).

        Outstanding debt is repaid first, like from any points coming in: a member never holds
        points while owing some.
        """
        assert points > 0 and lot.remaining + points <= lot.points
        repaid = min(self.account.debt, points)
        self.account.debt -= repaid
        credited = points - repaid
        lot.remaining += credited
        if lot.is_pending:
            self.account.pending += credited
            self._entry(kind, points, credited, lot, **extra)
        else:
            self.account.available += credited
            self._entry(kind, points, 0, lot, **extra)
        self._touch(lot)

    def add(
        self,
        points: int,
        kind: str,
        *,
        source: str,
        available_at: dt.datetime | None = None,
        expires_at: dt.datetime | None = None,
        purchase=None,
        **extra,
    ) -> PointLot | None:
        """Credit `points` as a new lot; outstanding debt is repaid from it first."""
        assert points > 0
        repaid = min(self.account.debt, points)
        self.account.debt -= repaid
        self.account.lifetime_earned += points if kind in (Kind.EARN, Kind.BONUS) else 0
        credited = points - repaid
        if credited == 0:
            self._entry(kind, points, 0, None, **extra)
            return None
        available_at = available_at or lot_available_at(self.program, self.now)
        is_pending = available_at > self.now
        lot = built(
            PointLot,
            account=self.account,
            source=source,
            points=credited,
            remaining=credited,
            is_pending=is_pending,
            available_at=available_at,
            expires_at=expires_at or lot_expiry(self.program, self.now),
            purchase=purchase,
            created_at=self.now,
        )
        self.new_lots.append(lot)
        self.lots.append(lot)
        if is_pending:
            self.account.pending += credited
        else:
            self.account.available += credited
        self._entry(kind, points, credited if is_pending else 0, lot, **extra)
        return lot

    def owe(self, points: int, kind: str, **extra) -> None:
        """Record points the member owes (refund debt): the balance goes below zero."""
        assert points > 0
        self.account.debt += points
        self._entry(kind, -points, 0, None, **extra)

    # --- writing -------------------------------------------------------------------------
    def flush(self, *, purchase: Purchase | None = None, lines: Sequence[dict] = ()) -> None:
        """Write the moves. An unsaved `purchase` (linked to the entries and lots) is written
        with its `lines`, given as PurchaseLine field values (all but `purchase`; the model's
        defaults fill the rest): on PostgreSQL all in the same single statement."""
        if connection.vendor == "postgresql":
            write_all(self, purchase, lines)
            return
        if purchase is not None:
            purchase.save(force_insert=True)
            PurchaseLine.objects.bulk_create(
                [PurchaseLine(purchase=purchase, **values) for values in lines]
            )
        if self._dirty:
            PointLot.objects.bulk_update(list(self._dirty.values()), ["remaining", "is_pending"])
        if self.new_lots:
            PointLot.objects.bulk_create(self.new_lots)
        if self.entries:
            for entry in self.entries:
                entry.lot_id = entry.lot.pk if entry.lot is not None else None
            LedgerEntry.objects.bulk_create(self.entries)
        self.account.updated_at = self.now
        self.account.save(update_fields=ACCOUNT_WRITTEN)


def _read_lots(account_id: int, extra: list[int], due_at: dt.datetime | None) -> list[PointLot]:
    """The account's live lots (only those due to settle at `due_at`, when given; and `extra`
    ones) by expiry and id, on PostgreSQL; call it with the account locked (its lock guards
    the lots, see the module docstring)."""
    sql = _LIVE_LOTS_SQL.format(
        due=_DUE if due_at is not None else "", extra=" OR l.id = ANY(%s)" if extra else ""
    )
    params = [account_id]
    if due_at is not None:
        params += [due_at, due_at]
    if extra:
        params.append(extra)
    with hot_cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    alias = connection.alias
    return [loaded(PointLot, _LOT_NAMES, row, alias) for row in rows]
