"""The write of a LedgerTransaction: the purchase, its lines, the touched and new lots, the
entries and the account in one data-modifying statement, with no ORM compilation.

Each table's rows travel as ONE jsonb parameter, an array of arrays that the json module's C
encoder builds from the plain attribute values and the statement expands (jsonb_array_elements,
in order WITH ORDINALITY; only Decimals and datetimes call back into Python). Its text depends
only on which parts are present, so psycopg prepares it and later calls send a few strings.
Values are cast to the columns' base types only (text, numeric, timestamptz, …): the INSERT's or
UPDATE's assignment to the column then checks varchar lengths and rounds decimals, as the ORM's
own statements do.
"""

import datetime as dt
import functools
import json
from collections.abc import Sequence
from decimal import Decimal
from operator import attrgetter, itemgetter

from django.db import connection
from django.db.models import DateTimeField
from psycopg import sql

from config.db import hot_cursor
from loyalty.models import Account, LedgerEntry, PointLot, Purchase, PurchaseLine
from loyalty.store.names import column, table, text


# --- writing a LedgerTransaction -----------------------------------------------------------------
def write_all(
    ledger, purchase: Purchase | None, lines: Sequence[dict], companions: Sequence = ()
) -> None:
    """Everything in one data-modifying statement (no ORM compilation). `lines` are the
    purchase's lines as PurchaseLine field values, as LedgerTransaction.flush() takes them;
    `companions` unsaved rows of other models written with the purchase (its bonus rows, the
    campaigns' awards), which may point at the purchase and at one lot new in this statement
    (see _companion_cte); they are not read back."""
    params: list = []
    if purchase is not None:
        params.append(_encode(_PURCHASE_ROW(purchase)))
        if lines:
            params.append(_encode([_line_row(values) for values in lines]))
    dirty = ledger._dirty
    if dirty:
        params.append(_encode([(lot.pk, lot.remaining, lot.is_pending) for lot in dirty.values()]))
        params.append(list(dirty))
    new_lots = ledger.new_lots
    if new_lots:
        params.append(
            _encode([(_link(lot, "purchase", purchase), *_LOT_ROW(lot)) for lot in new_lots])
        )
    entries = ledger.entries
    if entries:
        params.append(_encode(_entry_rows(entries, new_lots, purchase)))
    groups: dict = {}
    for row in companions:
        groups.setdefault(type(row), []).append(row)
    if groups:
        if purchase is None:
            raise ValueError("Companion rows are written with their purchase.")
        new_index = {id(lot): i for i, lot in enumerate(new_lots, start=1)}
        for model, rows in groups.items():
            params.append(
                _encode([_companion_row(model, row, purchase, new_index) for row in rows])
            )
    account = ledger.account
    account.updated_at = ledger.now
    params.append(_encode((*_ACCOUNT_ROW(account), account.pk)))
    has_purchase = purchase is not None
    shape = (
        has_purchase,
        has_purchase and bool(lines),
        bool(dirty),
        bool(new_lots),
        bool(entries),
        tuple(groups),
    )
    with hot_cursor() as cursor:
        cursor.execute(_statement(*shape), params)
        purchase_id, lot_pks, entry_pks = cursor.fetchone()
    alias = connection.alias
    if purchase is not None:
        purchase.pk = purchase_id
        purchase._state.adding, purchase._state.db = False, alias
    for row in companions:
        row._state.adding, row._state.db = False, alias  # written (their ids are not read)
    for lot, pk in zip(new_lots, lot_pks or ()):
        lot.pk = pk
        lot._state.adding, lot._state.db = False, alias
        cached = lot._state.fields_cache.get("purchase")
        if cached is not None:
            lot.purchase_id = cached.pk
    for entry, pk in zip(entries, entry_pks or ()):
        entry.pk = pk
        entry._state.adding, entry._state.db = False, alias
        cache = entry._state.fields_cache
        lot = cache.get("lot")
        if lot is not None:
            entry.lot_id = lot.pk
        for name, attname in _ENTRY_LINK_ATTNAMES:
            related = cache.get(name)
            if related is not None:
                setattr(entry, attname, related.pk)


def _line_row(values: dict) -> tuple:
    """A line's values in column order, the model's defaults for those not given."""
    if not values.keys() <= _LINE_NAMES:
        raise TypeError(f"Not PurchaseLine fields: {sorted(values.keys() - _LINE_NAMES)}")
    row = _LINE_DEFAULTS | values
    for name, default in _LINE_CALLABLE_DEFAULTS:
        if name not in values:
            row[name] = default()
    return _LINE_VALUES(row)


def _entry_rows(entries, new_lots, purchase) -> list[tuple]:
    """Per entry: its lot's id, or the 1-based position of its lot among the new lots (written
    in the same statement), then its links (see _link), then its own fields."""
    new_index = {id(lot): i for i, lot in enumerate(new_lots, start=1)}
    rows = []
    for entry in entries:
        cache = entry._state.fields_cache
        lot = cache.get("lot")
        if lot is None:
            lot_ref = (entry.lot_id, None)
        elif lot.pk is None:
            lot_ref = (None, new_index[id(lot)])
        else:
            lot_ref = (lot.pk, None)
        links = tuple(_link(entry, name, purchase) for name in _ENTRY_LINKS)
        rows.append(lot_ref + links + _ENTRY_ROW(entry))
    return rows


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


# --- values: plain JSON that the columns' input functions read back exactly -------------------
_AS_DATETIME = DateTimeField()


def _jsonable(value):
    """json's `default`, called only for what JSON has no type for: the text PostgreSQL reads
    back exactly (Decimal's digits, ISO 8601 with the offset)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        # Only datetime columns here (_PG_TYPES has no date): a naive datetime, or a date, is
        # made aware in the default time zone, with Django's warning, as the ORM would.
        if not isinstance(value, dt.datetime) or value.utcoffset() is None:
            value = _AS_DATETIME.get_db_prep_save(value, connection)
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a column value")


# Rows are flat tuples of scalars: no container can refer to itself.
_encode = json.JSONEncoder(
    ensure_ascii=False, check_circular=False, separators=(",", ":"), default=_jsonable
).encode


# --- the write statement -------------------------------------------------------------------------
def _fields(model, exclude: tuple[str, ...] = ()) -> list:
    return [f for f in model._meta.concrete_fields if not f.primary_key and f.name not in exclude]


def _row(fields):
    """A function returning the fields' values of an object, as a tuple, in one C call."""
    get = attrgetter(*(f.attname for f in fields))
    return get if len(fields) > 1 else lambda obj: (get(obj),)


# Base types: an explicit cast to varchar(n) would truncate silently, while the INSERT's own
# assignment to the column checks the length and rounds decimals, as the ORM's INSERT does.
# No "date": _jsonable() reads date values as datetimes.
_PG_TYPES = {
    "AutoField": "integer",
    "BigAutoField": "bigint",
    "BigIntegerField": "bigint",
    "BooleanField": "boolean",
    "CharField": "text",
    "DateTimeField": "timestamptz",
    "DecimalField": "numeric",
    "IntegerField": "integer",
    "PositiveIntegerField": "integer",
    "PositiveSmallIntegerField": "smallint",
    "SmallIntegerField": "smallint",
    "TextField": "text",
}


def _pg_type(field) -> str:
    while field.is_relation:
        field = field.target_field
    return _PG_TYPES[field.get_internal_type()]


def _value(i: int, type_: str, row: str = "t") -> sql.Composed:
    """Element `i` of the JSON array row `row`.v, as `type_` (text needs no cast)."""
    element = sql.SQL("({}->>{})").format(sql.Identifier(row, "v"), sql.Literal(i))
    return element if type_ == "text" else sql.SQL("{}::{}").format(element, sql.SQL(type_))


def _values(fields, start: int = 0) -> sql.Composed:
    return sql.SQL(", ").join(_value(i, _pg_type(f)) for i, f in enumerate(fields, start))


def _columns(fields) -> sql.Composed:
    return sql.SQL(", ").join(sql.Identifier(f.column) for f in fields)


_ROWS = sql.SQL("jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS t(v, ord)")
_ONE_ROW = sql.SQL("(SELECT %s::jsonb AS v) AS t")

_PURCHASE_FIELDS = _fields(Purchase)
_PURCHASE_ROW = _row(_PURCHASE_FIELDS)
_PURCHASE_CTE = sql.SQL("p AS (INSERT INTO {} ({}) SELECT {} FROM {} RETURNING {} AS id)").format(
    table(Purchase),
    _columns(_PURCHASE_FIELDS),
    _values(_PURCHASE_FIELDS),
    _ONE_ROW,
    column(Purchase, "pk"),
)

_LINE_FIELDS = _fields(PurchaseLine, exclude=("purchase",))
_LINE_NAMES = frozenset(f.name for f in _LINE_FIELDS)
_LINE_VALUES = itemgetter(*(f.name for f in _LINE_FIELDS))
# What PurchaseLine(...) would take for a field not given; constants already as JSON-ready text.
_LINE_CALLABLE_DEFAULTS = [
    (f.name, f.get_default) for f in _LINE_FIELDS if f.has_default() and callable(f.default)
]
_LINE_DEFAULTS = {
    f.name: json.loads(_encode(f.get_default()))
    for f in _LINE_FIELDS
    if not (f.has_default() and callable(f.default))
}
_LINES_CTE = sql.SQL(
    "pl AS (INSERT INTO {} ({}, {}) SELECT p.id, {} FROM p, {} ORDER BY t.ord)"
).format(
    table(PurchaseLine),
    column(PurchaseLine, "purchase"),
    _columns(_LINE_FIELDS),
    _values(_LINE_FIELDS),
    _ROWS,
)

_LOT_ID, _LOT_REMAINING, _LOT_PENDING = (
    PointLot._meta.get_field(name) for name in ("id", "remaining", "is_pending")
)
_DIRTY_LOTS_CTE = sql.SQL(
    "u AS (UPDATE {lots} AS l SET {remaining} = {new_remaining}, {pending} = {new_pending} "
    "FROM {rows} WHERE {l_id} = {row_id} "
    # The ids again, as an array: a prepared statement's generic plan estimates a JSON array
    # at 100 rows and joined it to every lot in the table (a sequential scan per purchase
    # that redeemed, growing with the table); `= ANY(ids)` is found through the primary key.
    "AND {l_id} = ANY(%s::bigint[]))"
).format(
    lots=table(PointLot),
    remaining=sql.Identifier(_LOT_REMAINING.column),
    new_remaining=_value(1, _pg_type(_LOT_REMAINING)),
    pending=sql.Identifier(_LOT_PENDING.column),
    new_pending=_value(2, _pg_type(_LOT_PENDING)),
    rows=_ROWS,
    l_id=sql.Identifier("l", _LOT_ID.column),
    row_id=_value(0, _pg_type(_LOT_ID)),
)

# New lots get their ids first, in order (nextval() over the rows in array order), so the
# entries of the same statement can point at them and the caller learns them.
_LOT_FIELDS = _fields(PointLot, exclude=("purchase",))
_LOT_ROW = _row(_LOT_FIELDS)
_LOT_IDS_CTE = sql.SQL(
    "nl AS MATERIALIZED (SELECT t.ord, t.v, nextval(pg_get_serial_sequence({}, {})) AS id FROM {})"
).format(sql.Literal(PointLot._meta.db_table), sql.Literal(_LOT_ID.column), _ROWS)


def _new_lots_cte(purchase_id: sql.Composable) -> sql.Composed:
    return sql.SQL(
        "nli AS (INSERT INTO {lots} ({id}, {purchase}, {columns}) "
        "SELECT t.id, CASE WHEN {link} = 0 THEN {purchase_id} ELSE {link} END, {values} "
        "FROM nl AS t ORDER BY t.ord)"
    ).format(
        lots=table(PointLot),
        id=sql.Identifier(_LOT_ID.column),
        purchase=column(PointLot, "purchase"),
        columns=_columns(_LOT_FIELDS),
        link=_value(0, "bigint"),
        purchase_id=purchase_id,
        values=_values(_LOT_FIELDS, 1),
    )


_ENTRY_LINKS = ("purchase", "refund", "staff", "partner")
_ENTRY_FIELDS = _fields(LedgerEntry, exclude=("lot", *_ENTRY_LINKS))
_ENTRY_ROW = _row(_ENTRY_FIELDS)
_ENTRY_LINK_FIELDS = [LedgerEntry._meta.get_field(name) for name in _ENTRY_LINKS]
_ENTRY_LINK_ATTNAMES = [(f.name, f.attname) for f in _ENTRY_LINK_FIELDS]


def _entries_cte(purchase_id: sql.Composable, new_lots: bool) -> sql.Composed:
    return sql.SQL(
        "e AS (INSERT INTO {entries} ({lot}, {links}, {columns}) "
        "SELECT COALESCE({lot_id}, {new_lot}), "
        "CASE WHEN {purchase_link} = 0 THEN {purchase_id} ELSE {purchase_link} END, "
        "{other_links}, {values} FROM {rows} {join}ORDER BY t.ord RETURNING {id} AS id)"
    ).format(
        entries=table(LedgerEntry),
        lot=column(LedgerEntry, "lot"),
        links=_columns(_ENTRY_LINK_FIELDS),
        columns=_columns(_ENTRY_FIELDS),
        lot_id=_value(0, "bigint"),
        new_lot=sql.SQL("nl.id" if new_lots else "NULL"),
        purchase_link=_value(2, "bigint"),
        purchase_id=purchase_id,
        other_links=_values(_ENTRY_LINK_FIELDS[1:], 3),
        values=_values(_ENTRY_FIELDS, 6),
        rows=_ROWS,
        join=(
            sql.SQL("LEFT JOIN nl ON nl.ord = {} ").format(_value(1, "bigint"))
            if new_lots
            else sql.SQL("")
        ),
        id=column(LedgerEntry, "pk"),
    )


# The account columns a LedgerTransaction writes back.
ACCOUNT_WRITTEN = (
    "available",
    "pending",
    "debt",
    "lifetime_earned",
    "lifetime_spend",
    "purchases_count",
    "tier",
    "tier_since",
    "below_tier_since",
    "updated_at",
)
_ACCOUNT_FIELDS = [Account._meta.get_field(name) for name in ACCOUNT_WRITTEN]
_ACCOUNT_ROW = _row(_ACCOUNT_FIELDS)
_ACCOUNT_CTE = sql.SQL("a AS (UPDATE {} SET {} FROM {} WHERE {} = {})").format(
    table(Account),
    sql.SQL(", ").join(
        sql.SQL("{} = {}").format(sql.Identifier(f.column), _value(i, _pg_type(f)))
        for i, f in enumerate(_ACCOUNT_FIELDS)
    ),
    _ONE_ROW,
    column(Account, "pk"),
    _value(len(_ACCOUNT_FIELDS), _pg_type(Account._meta.pk)),
)


# Companion rows: other models' rows written with a purchase. Each may have a foreign key to
# the purchase (given as the purchase being written: its id comes from `p`) and one to a lot
# (given as a lot new in this statement: its id comes from `nl`, by the lot's position among
# the new lots, which leads the row); every other field is its plain value.
@functools.cache
def _companion_plan(model) -> tuple[list, str | None]:
    fields = _fields(model)
    lots = [f for f in fields if f.is_relation and f.related_model is PointLot]
    if len(lots) > 1:
        raise TypeError(f"{model.__name__} has more than one lot: not a companion row")
    return fields, lots[0].name if lots else None


def _companion_row(model, row, purchase: Purchase, new_index: dict) -> tuple:
    fields, lot_name = _companion_plan(model)
    cache = row._state.fields_cache
    lot = cache.get(lot_name) if lot_name else None
    ordinal = new_index.get(id(lot)) if lot is not None and lot.pk is None else None
    values = []
    for field in fields:
        if field.name == lot_name and ordinal is not None:
            values.append(None)
        elif field.is_relation:
            values.append(_link(row, field.name, purchase))
        else:
            values.append(getattr(row, field.attname))
    return (ordinal, *values)


def _companion_cte(model, name: str, purchase_id: sql.Composable, new_lots: bool):
    fields, lot_name = _companion_plan(model)
    values = []
    for i, field in enumerate(fields, start=1):
        value = _value(i, _pg_type(field))
        if field.is_relation and field.related_model is Purchase:
            value = sql.SQL("CASE WHEN {v} = 0 THEN {p} ELSE {v} END").format(
                v=value, p=purchase_id
            )
        elif field.name == lot_name and new_lots:
            value = sql.SQL("COALESCE({}, nl.id)").format(value)
        values.append(value)
    join = (
        sql.SQL("LEFT JOIN nl ON nl.ord = {} ").format(_value(0, "bigint"))
        if new_lots and lot_name
        else sql.SQL("")
    )
    return sql.SQL(
        "{name} AS (INSERT INTO {table} ({columns}) SELECT {values} FROM {rows} "
        "{join}ORDER BY t.ord)"
    ).format(
        name=sql.Identifier(name),
        table=table(model),
        columns=_columns(fields),
        values=sql.SQL(", ").join(values),
        rows=_ROWS,
        join=join,
    )


@functools.cache
def _statement(
    purchase: bool, lines: bool, dirty: bool, new_lots: bool, entries: bool, companions=()
) -> str:
    """The statement of one shape; its parameters come in the order of its parts."""
    purchase_id = sql.SQL("(SELECT id FROM p)" if purchase else "NULL")
    ctes = [_PURCHASE_CTE] if purchase else []
    ctes += [_LINES_CTE] if lines else []
    ctes += [_DIRTY_LOTS_CTE] if dirty else []
    if new_lots:
        ctes += [_LOT_IDS_CTE, _new_lots_cte(purchase_id)]
    if entries:
        ctes.append(_entries_cte(purchase_id, new_lots))
    for i, model in enumerate(companions):
        ctes.append(_companion_cte(model, f"x{i}", purchase_id, new_lots))
    ctes.append(_ACCOUNT_CTE)
    select = sql.SQL(", ").join(
        [
            purchase_id,
            sql.SQL("ARRAY(SELECT id FROM nl ORDER BY ord)" if new_lots else "NULL"),
            sql.SQL("ARRAY(SELECT id FROM e ORDER BY id)" if entries else "NULL"),
        ]
    )
    return text(sql.SQL("WITH {} SELECT {}").format(sql.SQL(", ").join(ctes), select))
