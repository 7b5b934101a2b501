"""The PostgreSQL write of a LedgerTransaction: the purchase, its lines, the touched and new
lots, the entries and the account in one data-modifying statement over arrays, with no ORM
compilation (DESIGN §7: statements and their preparation are the cost of the hot paths).

Only table and column names from the models' _meta are formatted into the SQL.
"""

import datetime as dt
import functools
from decimal import Decimal

from django.db import connection

from loyalty.models import Account, LedgerEntry, PointLot, Purchase, PurchaseLine


def write_all(ledger, purchase: Purchase | None, lines: list[PurchaseLine]) -> None:
    """Everything in one data-modifying statement, over arrays (no ORM compilation)."""
    ctes: list[str] = []
    params: list = []
    purchase_sql = "(SELECT id FROM p)" if purchase is not None else "NULL"
    if purchase is not None:
        ctes.append(_PURCHASE_CTE)
        if lines:
            ctes.append(_LINES_CTE)
        params += _purchase_params(purchase, lines)
    if ledger._dirty:
        dirty = list(ledger._dirty.values())
        ctes.append(_DIRTY_LOTS_CTE)
        params += [
            [lot.pk for lot in dirty],
            [lot.remaining for lot in dirty],
            [lot.is_pending for lot in dirty],
        ]
    new_lots = ledger.new_lots
    if new_lots:
        ctes.append(_LOT_IDS_CTE)
        params.append(len(new_lots))
        ctes.append(_NEW_LOTS_CTE.format(purchase=purchase_sql))
        params += _arrays(_LOT_FIELDS, new_lots)
        params.append([_link(lot, "purchase", purchase) for lot in new_lots])
    entries = ledger.entries
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
    account = ledger.account
    account.updated_at = ledger.now
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
