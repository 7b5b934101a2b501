"""The one write path for points: lock an account, move points between lots, write entries.

Every service that changes points opens a `LedgerTransaction` inside `transaction.atomic()`.
It locks the account row first, then the account's live lots (by expiry and id), settles what
is due (burns expired lots, activates pending ones), lets the service spend and add points, and
writes everything in a constant number of statements: one UPDATE of the touched lots, one
INSERT of new lots, one INSERT of entries and one UPDATE of the account.
"""

import datetime as dt
import functools
from collections.abc import Iterable
from decimal import Decimal

from django.db import connection
from django.db.models import Q

from customers.errors import MemberBlocked, MemberNotFound
from customers.models import Member
from loyalty.models import Account, LedgerEntry, PointLot, Program, Purchase, PurchaseLine
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
_LOCK_LOTS_SQL = (
    f"SELECT {_LOT_COLUMNS} FROM {PointLot._meta.db_table} l "  # noqa: S608
    "WHERE l.account_id = %s AND (l.remaining > 0{extra}) "
    "ORDER BY l.expires_at, l.id FOR NO KEY UPDATE"
)


def lock_account(member_id: int) -> Account:
    """Lock and return the member's account (with the member row), or MemberNotFound."""
    if connection.vendor == "postgresql":
        # Plain SQL: the ORM's compilation of this query cost more than the query itself.
        try:
            member_id = int(member_id)  # as the ORM's lookup would
        except (ValueError, TypeError) as exc:
            raise MemberNotFound() from exc
        with connection.cursor() as cursor:
            cursor.execute(_LOCK_ACCOUNT_SQL, [member_id])
            row = cursor.fetchone()
        if row is None:
            raise MemberNotFound()
        split = len(_ACCOUNT_NAMES)
        account = Account.from_db(connection.alias, _ACCOUNT_NAMES, row[:split])
        member = Member.from_db(connection.alias, _MEMBER_NAMES, row[split:])
        Account.member.field.set_cached_value(account, member)
        return account
    try:
        return (
            Account.objects.select_for_update(no_key=True, of=("self",))
            .select_related("member")
            .get(member_id=member_id)
        )
    except (Account.DoesNotExist, ValueError, TypeError) as exc:
        raise MemberNotFound() from exc


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
        **links,
    ):
        if require_active and not account.member.is_active:
            raise MemberBlocked()
        self.account = account
        self.program = program
        self.now = now
        self.links = links  # purchase, refund, staff, partner: stamped on every entry
        self.entries: list[LedgerEntry] = []
        self.new_lots: list[PointLot] = []
        self._dirty: dict[int, PointLot] = {}
        extra = list(extra_lot_ids)
        if connection.vendor == "postgresql":
            self.lots: list[PointLot] = _lock_lots(account.pk, extra)
            self._settle()
            return
        lots = PointLot.objects.select_for_update(no_key=True).filter(account=account)
        lots = (
            lots.filter(Q(remaining__gt=0) | Q(id__in=extra))
            if extra
            else lots.filter(remaining__gt=0)
        )
        self.lots: list[PointLot] = list(lots.order_by("expires_at", "id"))
        self._settle()

    # --- reading -------------------------------------------------------------------------
    def spendable_lots(self) -> list[PointLot]:
        """Available lots with points left, earliest-expiring first."""
        return [lot for lot in self.lots if lot.remaining > 0 and not lot.is_pending]

    def lot(self, lot_id: int) -> PointLot | None:
        return next((lot for lot in self.lots if lot.pk == lot_id), None)

    # --- moving points -------------------------------------------------------------------
    def _entry(
        self, kind: str, points: int, pending_change: int = 0, lot=None, *, linked=True, **extra
    ):
        # Burning and activation found while settling are not caused by this operation: they
        # carry no purchase, refund, staff or reason of it.
        fields = {**self.links, **extra} if linked else extra
        self.entries.append(
            LedgerEntry(
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
        lot = PointLot(
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
    def flush(self, *, purchase: Purchase | None = None, lines: list[PurchaseLine] = ()) -> None:
        """Write the moves. On PostgreSQL, an unsaved `purchase` and its `lines` (linked to the
        entries and lots through `purchase`) are written in the same single statement."""
        if connection.vendor == "postgresql":
            self._flush_pg(purchase, list(lines))
            return
        if purchase is not None:
            purchase.save(force_insert=True)
            for line in lines:
                line.purchase = purchase
            PurchaseLine.objects.bulk_create(lines)
        if self._dirty:
            _update_lots(list(self._dirty.values()))
        if self.new_lots:
            PointLot.objects.bulk_create(self.new_lots)
        if self.entries:
            for entry in self.entries:
                entry.lot_id = entry.lot.pk if entry.lot is not None else None
            LedgerEntry.objects.bulk_create(self.entries)
        self.account.updated_at = self.now
        self.account.save(
            update_fields=[
                "available",
                "pending",
                "debt",
                "lifetime_earned",
                "lifetime_spend",
                "tier",
                "tier_since",
                "below_tier_since",
                "updated_at",
            ]
        )

    def _flush_pg(self, purchase: Purchase | None, lines: list[PurchaseLine]) -> None:
        """Everything in one data-modifying statement, over arrays (no ORM compilation)."""
        ctes: list[str] = []
        params: list = []
        purchase_sql = "(SELECT id FROM p)" if purchase is not None else "NULL"
        if purchase is not None:
            ctes.append(_PURCHASE_CTE)
            if lines:
                ctes.append(_LINES_CTE)
            params += _purchase_params(purchase, lines)
        if self._dirty:
            dirty = list(self._dirty.values())
            ctes.append(_DIRTY_LOTS_CTE)
            params += [
                [lot.pk for lot in dirty],
                [lot.remaining for lot in dirty],
                [lot.is_pending for lot in dirty],
            ]
        new_lots = self.new_lots
        if new_lots:
            ctes.append(_LOT_IDS_CTE)
            params.append(len(new_lots))
            ctes.append(_NEW_LOTS_CTE.format(purchase=purchase_sql))
            params += _arrays(_LOT_FIELDS, new_lots)
            params.append([_link(lot, "purchase", purchase) for lot in new_lots])
        entries = self.entries
        if entries:
            new_index = {id(lot): i for i, lot in enumerate(new_lots, start=1)}
            lot_ids, lot_new = [], []
            for entry in entries:
                lot = entry._state.fields_cache.get("lot")
                if lot is not None and lot.pk is None:
                    lot_ids.append(None)
                    lot_new.append(new_index[id(lot)])
                else:
                    lot_ids.append(lot.pk if lot is not None else entry.lot_id)
                    lot_new.append(None)
            ctes.append(
                _ENTRIES_CTE.format(
                    purchase=purchase_sql,
                    lid="lid.id" if new_lots else "NULL",
                    lots="LEFT JOIN lid ON lid.n = t.x1" if new_lots else "",
                )
            )
            params += _arrays(_ENTRY_FIELDS, entries)
            params += [lot_ids, lot_new]
            params += [[_link(entry, name, purchase) for entry in entries] for name in _ENTRY_LINKS]
        account = self.account
        account.updated_at = self.now
        ctes.append(_ACCOUNT_CTE)
        params += [_db_value(f, account) for f in _ACCOUNT_FIELDS] + [account.pk]
        select = ", ".join(
            [
                "(SELECT id FROM p)" if purchase is not None else "NULL",
                "ARRAY(SELECT id FROM lid ORDER BY n)" if new_lots else "NULL",
                "ARRAY(SELECT id FROM e ORDER BY id)" if entries else "NULL",
            ]
        )
        with connection.cursor() as cursor:
            cursor.execute(f"WITH {', '.join(ctes)} SELECT {select}", params)
            purchase_id, lot_pks, entry_pks = cursor.fetchone()
        alias = connection.alias
        if purchase is not None:
            purchase.pk = purchase_id
            purchase._state.adding, purchase._state.db = False, alias
            for line in lines:
                line.purchase = purchase
        for lot, pk in zip(new_lots, lot_pks or ()):
            lot.pk = pk
            lot._state.adding, lot._state.db = False, alias
            cached = lot._state.fields_cache.get("purchase")
            if cached is not None:
                lot.purchase_id = cached.pk
        for entry, pk in zip(entries, entry_pks or ()):
            entry.pk = pk
            entry._state.adding, entry._state.db = False, alias
            lot = entry._state.fields_cache.get("lot")
            entry.lot_id = lot.pk if lot is not None else entry.lot_id
            for name in _ENTRY_LINKS:
                related = entry._state.fields_cache.get(name)
                if related is not None:
                    setattr(entry, f"{name}_id", related.pk)


# --- the PostgreSQL write: table and column names from _meta only ----------------------------
def _fields(model, exclude: tuple[str, ...] = ()) -> list:
    return [f for f in model._meta.concrete_fields if not f.primary_key and f.name not in exclude]


def _db_value(field, obj):
    value = getattr(obj, field.attname)
    plain = value is None or type(value) is _PLAIN[_pg_type(field)]
    if plain and (type(value) is not dt.datetime or value.utcoffset() is not None):
        return value  # what get_db_prep_save() would return (aware datetimes), without its cost
    return field.get_db_prep_save(value, connection)


def _arrays(fields, objs) -> list[list]:
    return [[_db_value(f, obj) for obj in objs] for f in fields]


def _purchase_params(purchase: Purchase, lines: list[PurchaseLine]) -> list:
    return [_db_value(f, purchase) for f in _PURCHASE_FIELDS] + (
        _arrays(_LINE_FIELDS, lines) if lines else []
    )


def _link(obj, name: str, purchase):
    """The id of the object's `name` link, or 0 when it is the purchase being written in the
    same statement (which then puts that purchase's id)."""
    related = obj._state.fields_cache.get(name)
    if related is None:
        return getattr(obj, f"{name}_id")
    if related is purchase and purchase.pk is None:
        return 0
    if related.pk is None:
        raise ValueError(f"save() prohibited to prevent data loss due to unsaved related {name}.")
    return related.pk


# Base types: an explicit cast to varchar(n) would truncate silently, while the INSERT's own
# assignment to the column checks the length and rounds decimals, as the ORM's INSERT does.
_PG_TYPES = {
    "AutoField": "integer",
    "BigAutoField": "bigint",
    "BigIntegerField": "bigint",
    "BooleanField": "boolean",
    "CharField": "text",
    "DateField": "date",
    "DateTimeField": "timestamptz",
    "DecimalField": "numeric",
    "IntegerField": "integer",
    "PositiveIntegerField": "integer",
    "PositiveSmallIntegerField": "smallint",
    "SmallIntegerField": "smallint",
    "TextField": "text",
}


# The Python type a value of each column type is sent as unchanged.
_PLAIN = {
    "integer": int,
    "bigint": int,
    "smallint": int,
    "boolean": bool,
    "text": str,
    "date": dt.date,
    "timestamptz": dt.datetime,
    "numeric": Decimal,
}


@functools.cache
def _pg_type(field) -> str:
    while field.is_relation:
        field = field.target_field
    return _PG_TYPES[field.get_internal_type()]


def _unnest(fields, extra: str = "") -> str:
    """`unnest(%s::type[], …) AS t(c0, c1, …)` over the fields (plus `extra` typed columns)."""
    casts = [f"%s::{_pg_type(f)}[]" for f in fields]
    names = [f"c{i}" for i in range(len(fields))]
    if extra:
        for i, type_ in enumerate(extra.split(",")):
            casts.append(f"%s::{type_}[]")
            names.append(f"x{i}")
    return f"unnest({', '.join(casts)}) WITH ORDINALITY AS t({', '.join(names)}, ord)"


_PURCHASE_FIELDS = _fields(Purchase)
_PURCHASE_CTE = (
    f"p AS (INSERT INTO {Purchase._meta.db_table} "  # noqa: S608
    f"({', '.join(f.column for f in _PURCHASE_FIELDS)}) "
    f"VALUES ({', '.join('%s' for _ in _PURCHASE_FIELDS)}) RETURNING id)"
)
_LINE_FIELDS = _fields(PurchaseLine, exclude=("purchase",))
_LINES_CTE = (
    f"pl AS (INSERT INTO {PurchaseLine._meta.db_table} "  # noqa: S608
    f"(purchase_id, {', '.join(f.column for f in _LINE_FIELDS)}) "
    f"SELECT p.id, {', '.join(f't.c{i}' for i in range(len(_LINE_FIELDS)))} "
    f"FROM p, {_unnest(_LINE_FIELDS)} ORDER BY t.ord)"
)
_DIRTY_LOTS_CTE = (
    f"u AS (UPDATE {PointLot._meta.db_table} AS l SET remaining = t.r, is_pending = t.p "  # noqa: S608
    "FROM unnest(%s::bigint[], %s::integer[], %s::boolean[]) AS t(id, r, p) "
    "WHERE l.id = t.id)"
)
_LOT_IDS_CTE = (
    f"lid AS MATERIALIZED (SELECT n, nextval(pg_get_serial_sequence("  # noqa: S608
    f"'{PointLot._meta.db_table}', 'id')) AS id FROM generate_series(1, %s) AS n)"
)
_LOT_FIELDS = _fields(PointLot, exclude=("purchase",))
_NEW_LOTS_CTE = (
    f"nl AS (INSERT INTO {PointLot._meta.db_table} "  # noqa: S608
    f"(id, purchase_id, {', '.join(f.column for f in _LOT_FIELDS)}) "
    f"SELECT lid.id, CASE WHEN t.x0 = 0 THEN {{purchase}} ELSE t.x0 END, "
    f"{', '.join(f't.c{i}' for i in range(len(_LOT_FIELDS)))} "
    f"FROM {_unnest(_LOT_FIELDS, 'bigint')} JOIN lid ON lid.n = t.ord ORDER BY t.ord)"
)
_ENTRY_LINKS = ("purchase", "refund", "staff", "partner")
_ENTRY_FIELDS = _fields(LedgerEntry, exclude=("lot", *_ENTRY_LINKS))
_ENTRIES_CTE = (
    f"e AS (INSERT INTO {LedgerEntry._meta.db_table} "  # noqa: S608
    f"(lot_id, {', '.join(name + '_id' for name in _ENTRY_LINKS)}, "
    f"{', '.join(f.column for f in _ENTRY_FIELDS)}) "
    f"SELECT COALESCE(t.x0, {{lid}}), CASE WHEN t.x2 = 0 THEN {{purchase}} ELSE t.x2 END, "
    "t.x3, t.x4, t.x5, "
    f"{', '.join(f't.c{i}' for i in range(len(_ENTRY_FIELDS)))} "
    f"FROM {_unnest(_ENTRY_FIELDS, 'bigint,integer,bigint,bigint,bigint,bigint')} "
    "{lots} ORDER BY t.ord RETURNING id)"
)
_ACCOUNT_FIELDS = [
    Account._meta.get_field(name)
    for name in (
        "available",
        "pending",
        "debt",
        "lifetime_earned",
        "lifetime_spend",
        "tier",
        "tier_since",
        "below_tier_since",
        "updated_at",
    )
]
_ACCOUNT_CTE = (
    f"a AS (UPDATE {Account._meta.db_table} SET "  # noqa: S608
    f"{', '.join(f'{f.column} = %s' for f in _ACCOUNT_FIELDS)} WHERE member_id = %s)"
)


def _lock_lots(account_id: int, extra: list[int]) -> list[PointLot]:
    """The account's live lots (and `extra` ones), locked by expiry and id, on PostgreSQL."""
    sql = _LOCK_LOTS_SQL.format(extra=" OR l.id = ANY(%s)" if extra else "")
    with connection.cursor() as cursor:
        cursor.execute(sql, [account_id, extra] if extra else [account_id])
        rows = cursor.fetchall()
    alias = connection.alias
    return [PointLot.from_db(alias, _LOT_NAMES, row) for row in rows]


def _update_lots(lots: list[PointLot]) -> None:
    """Write the lots' remaining points and pending flags in one statement."""
    if connection.vendor != "postgresql":
        PointLot.objects.bulk_update(lots, ["remaining", "is_pending"])
        return
    # One UPDATE … FROM unnest(…): cheaper to build and to plan than the ORM's CASE WHEN.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {PointLot._meta.db_table} AS l SET remaining = t.r, is_pending = t.p "  # noqa: S608
            "FROM unnest(%s::bigint[], %s::integer[], %s::boolean[]) AS t(id, r, p) "
            "WHERE l.id = t.id",
            [
                [lot.pk for lot in lots],
                [lot.remaining for lot in lots],
                [lot.is_pending for lot in lots],
            ],
        )
