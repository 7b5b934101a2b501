"""The ledger's hot statements: lock an account (with its live lots, and optionally an
Idempotency-Key taken in the same statement) and read its lots.

Plain SQL on the hot paths: the ORM's compilation of these queries cost more than the queries
themselves, and a prepared statement (config.db.hot_cursor) saves their parsing and planning
too (docs/PERFORMANCE.md). Every statement is composed with `psycopg.sql` once per shape and
kept as text (prepared statements are keyed by their text). The write of a LedgerTransaction
is `writes.write_all`.
"""

import contextlib
import datetime as dt
import functools
from collections.abc import Sequence
from typing import Protocol

from django.db import DatabaseError, OperationalError, connection
from psycopg import errors, sql

from config.db import hot_cursor
from customers.models import Member
from loyalty.errors import RequestInProgress
from loyalty.models import (
    Account,
    IdempotencyRecord,
    PointLot,
)
from loyalty.store.instances import loaded
from loyalty.store.names import column, columns, table, text


# --- rows to instances ---------------------------------------------------------------------------
def _select_list(alias: str, model) -> tuple[sql.Composed, list[str]]:
    fields = model._meta.concrete_fields
    listed = sql.SQL(", ").join(sql.Identifier(alias, f.column) for f in fields)
    return listed, [f.attname for f in fields]


_ACCOUNT_COLUMNS, _ACCOUNT_NAMES = _select_list("a", Account)
_MEMBER_COLUMNS, _MEMBER_NAMES = _select_list("m", Member)
_LOT_COLUMNS, _LOT_NAMES = _select_list("l", PointLot)
_ACCOUNT_WIDTH = len(_ACCOUNT_NAMES) + len(_MEMBER_NAMES)


def account_of(row: Sequence) -> Account:
    """The account (with its member cached) from a row of account then member columns."""
    split = len(_ACCOUNT_NAMES)
    alias = connection.alias
    account = loaded(Account, _ACCOUNT_NAMES, row[:split], alias)
    member = loaded(Member, _MEMBER_NAMES, row[split:_ACCOUNT_WIDTH], alias)
    Account.member.field.set_cached_value(account, member)
    return account


def _lots_of(rows, start: int = 0) -> list[PointLot]:
    alias = connection.alias
    return [loaded(PointLot, _LOT_NAMES, row[start:], alias) for row in rows]


# --- locking the account -------------------------------------------------------------------------
def _lock_sql(*, xmin: bool, proceed: bool) -> sql.Composed:
    """The account row locked with its member: `xmin` also returns the locked row's version,
    `proceed` locks only if the key-taking part of the statement (`pre`) says so."""
    return sql.SQL(
        "SELECT {account}, {member}{xmin} FROM {accounts} a JOIN {members} m ON {m_id} = {a_id} "
        "WHERE {a_id} = %s{proceed} FOR NO KEY UPDATE OF a"
    ).format(
        account=_ACCOUNT_COLUMNS,
        member=_MEMBER_COLUMNS,
        xmin=sql.SQL(", a.xmin AS locked_xmin") if xmin else sql.SQL(""),
        accounts=table(Account),
        members=table(Member),
        m_id=column(Member, "pk", "m"),
        a_id=column(Account, "pk", "a"),
        proceed=sql.SQL(" AND (SELECT got FROM pre)") if proceed else sql.SQL(""),
    )


_LOCK_ACCOUNT = text(_lock_sql(xmin=False, proceed=False))


def _lots_sql(*, due: bool, extra: bool, locked: bool) -> sql.Composed:
    """The account's live lots (only those due to settle, when `due`; and the `extra` ids),
    by expiry and id — or, inside the locking statement (`locked`), those of the locked
    account, unordered."""
    return sql.SQL(
        "SELECT {lot} FROM {lots} l WHERE {account} = %s AND (({remaining} > 0{due}){extra}){end}"
    ).format(
        lot=_LOT_COLUMNS,
        lots=table(PointLot),
        account=column(PointLot, "account", "l"),
        remaining=column(PointLot, "remaining", "l"),
        due=(
            sql.SQL(" AND ({expires} <= %s OR ({pending} AND {available} <= %s))").format(
                expires=column(PointLot, "expires_at", "l"),
                pending=column(PointLot, "is_pending", "l"),
                available=column(PointLot, "available_at", "l"),
            )
            if due
            else sql.SQL("")
        ),
        extra=(
            sql.SQL(" OR {} = ANY(%s)").format(column(PointLot, "pk", "l"))
            if extra
            else sql.SQL("")
        ),
        end=(
            sql.SQL(" AND EXISTS (SELECT FROM acc)")
            if locked
            else sql.SQL(" ORDER BY {}, {}").format(
                column(PointLot, "expires_at", "l"), column(PointLot, "pk", "l")
            )
        ),
    )


class KeyToTake(Protocol):
    """An Idempotency-Key to take in the statement that locks the account: its record is
    inserted as answered with `status` (committing only with the work)."""

    partner_id: int
    key: str
    fingerprint: str
    now: dt.datetime
    status: int
    wait: bool  # wait for a request holding the key to end, instead of being refused
    wait_for: dt.timedelta  # ... but at most this long, then RequestInProgress


# A transaction-level advisory lock on the key (a 64-bit hash of it, seeded with the partner)
# and the key's record inserted, uncommitted. A second request with the key does not wait for
# the lock (`got` is false) — unless it `wait`s (the desk: a double click shows the first
# receipt), then it gets the lock once the first request's transaction ends and finds its
# record committed (a replay) or gone with a rollback (its own first use). Its wait is bounded:
# the statement first sets the transaction's lock_timeout (the rest of the transaction keeps
# it: its account lock is bounded too), and a timeout is refused as RequestInProgress.
_RECORD_COLUMNS = columns(
    IdempotencyRecord,
    ["partner", "key", "request_hash", "created_at", "response_status", "completed_at"],
)
_KEY_CONFLICT = columns(IdempotencyRecord, ["partner", "key"])
_TRY_LOCK = sql.SQL("SELECT pg_try_advisory_xact_lock(hashtextextended(%s, %s)) AS got")
# (The lateral reference makes the timeout be set before the lock is waited for.)
_WAIT_LOCK = sql.SQL(
    "SELECT true AS got FROM (SELECT set_config('lock_timeout', %s, true) AS v) t, "
    "LATERAL (SELECT pg_advisory_xact_lock(hashtextextended(%s, %s)) WHERE t.v IS NOT NULL) w"
)


def lock_timeout(wait_for: dt.timedelta) -> str:
    """`wait_for` as a value of PostgreSQL's lock_timeout (whole milliseconds, at least 1)."""
    return f"{max(1, int(wait_for.total_seconds() * 1000))}ms"


def is_lock_timeout(exc: DatabaseError) -> bool:
    """Whether the statement failed because it waited for a lock longer than lock_timeout."""
    return isinstance(exc.__cause__, errors.LockNotAvailable)


@contextlib.contextmanager
def _bounded(key: KeyToTake | None):
    """A waiting key's lock timeout as RequestInProgress: another request still holds it."""
    try:
        yield
    except OperationalError as exc:
        if key is not None and key.wait and is_lock_timeout(exc):
            raise RequestInProgress() from exc
        raise


@functools.cache
def _take_key_ctes(wait: bool) -> sql.Composed:
    return sql.SQL(
        "l AS MATERIALIZED ({lock}), "
        "c AS (INSERT INTO {records} ({columns}) SELECT %s, %s, %s, %s, %s, %s FROM l "
        "WHERE l.got ON CONFLICT ({conflict}) DO NOTHING RETURNING {id} AS record_id), "
        "pre AS MATERIALIZED (SELECT l.got AS got, c.record_id AS record_id "
        "FROM l LEFT JOIN c ON true)"
    ).format(
        lock=_WAIT_LOCK if wait else _TRY_LOCK,
        records=table(IdempotencyRecord),
        columns=_RECORD_COLUMNS,
        conflict=_KEY_CONFLICT,
        id=column(IdempotencyRecord, "pk"),
    )


_KEY_WIDTH = 2  # got, record_id


@functools.cache
def _take_key_sql(wait: bool) -> str:
    return text(sql.SQL("WITH {} SELECT got, record_id FROM pre").format(_take_key_ctes(wait)))


def _waits(key: KeyToTake | None) -> bool:
    return key is not None and key.wait


def _key_params(key: KeyToTake) -> list:
    return [
        *([lock_timeout(key.wait_for)] if key.wait else []),
        key.key,
        key.partner_id,
        key.partner_id,
        key.key,
        key.fingerprint,
        key.now,
        key.status,
        key.now,
    ]


def take_key(key: KeyToTake) -> tuple[bool, int | None]:
    """Take the key for the current transaction on its own: (whether its advisory lock was
    got, the id of its new record — None when a record of the key exists already)."""
    with _bounded(key), hot_cursor() as cursor:
        cursor.execute(_take_key_sql(key.wait), _key_params(key))
        return cursor.fetchone()


@functools.cache
def _lock_and_lots_sql(key: bool, due: bool, wait: bool = False) -> str:
    """The key taken (if any), the account locked (if the key was got), whether the locked row
    is the version the statement's snapshot sees, and the live (or due) lots of that snapshot:
    one row per lot, or one with no lot."""
    return text(
        sql.SQL(
            "WITH {take}acc AS MATERIALIZED ({lock}), "
            "seen AS MATERIALIZED (SELECT a.xmin FROM {accounts} a WHERE {a_id} = %s), "
            "lots AS MATERIALIZED ({lots}) "
            "SELECT {pre}acc.*, acc.locked_xmin = seen.xmin, lots.* FROM {first} "
            "LEFT JOIN acc ON true LEFT JOIN seen ON true LEFT JOIN lots ON true "
            "ORDER BY lots.{expires}, lots.{id}"
        ).format(
            take=sql.SQL("{}, ").format(_take_key_ctes(wait)) if key else sql.SQL(""),
            lock=_lock_sql(xmin=True, proceed=key),
            accounts=table(Account),
            a_id=column(Account, "pk", "a"),
            lots=_lots_sql(due=due, extra=False, locked=True),
            pre=sql.SQL("pre.*, ") if key else sql.SQL(""),
            first=sql.SQL("pre") if key else sql.SQL("(SELECT) AS one"),
            expires=column(PointLot, "expires_at"),
            id=column(PointLot, "pk"),
        )
    )


def _int_or_none(member_id) -> int | None:
    try:
        return int(member_id)  # as the ORM's lookup would
    except (ValueError, TypeError):
        return None


def lock_account(member_id) -> Account | None:
    """Lock and return the member's account (with the member row); None if there is none."""
    member_id = _int_or_none(member_id)
    if member_id is None:
        return None
    with hot_cursor() as cursor:
        cursor.execute(_LOCK_ACCOUNT, [member_id])
        row = cursor.fetchone()
    return None if row is None else account_of(row)


def lock_account_and_lots(
    member_id, *, due_at: dt.datetime | None, key: KeyToTake | None = None
) -> tuple[tuple | None, Account | None, list[PointLot] | None]:
    """In one statement: take the `key` (if given; the account is locked only if its advisory
    lock was got), lock the account and read its live lots (only those due to settle at
    `due_at`, when given). Returns (the key's (got, record id) or None, the account or None
    when there is none, the lots — or None when they must be read again after the lock because
    the statement's snapshot predates a commit by the lock's previous holder)."""
    member_id = _int_or_none(member_id)
    if member_id is None and key is None:
        return None, None, None
    # (With a key and no valid id, the key is still taken: it has its say first.)
    due = due_at is not None
    params = _key_params(key) if key is not None else []
    params += [member_id, member_id, member_id]
    if due:
        params += [due_at, due_at]
    with _bounded(key), hot_cursor() as cursor:
        cursor.execute(_lock_and_lots_sql(key is not None, due, _waits(key)), params)
        rows = cursor.fetchall()
    first = rows[0]
    skip = _KEY_WIDTH if key is not None else 0
    taken = tuple(first[:skip]) if key is not None else None
    if first[skip] is None:
        return taken, None, None
    account = account_of(first[skip : skip + _ACCOUNT_WIDTH])
    if not first[skip + _ACCOUNT_WIDTH + 1]:  # the lock found a newer version of the account row
        return taken, account, None
    start = skip + _ACCOUNT_WIDTH + 2
    if first[start] is None:  # no lot
        return taken, account, []
    return taken, account, _lots_of(rows, start)


@functools.cache
def _read_lots_sql(due: bool, extra: bool) -> str:
    return text(_lots_sql(due=due, extra=extra, locked=False))


def read_lots(account_id: int, extra: list[int], due_at: dt.datetime | None) -> list[PointLot]:
    """The account's live lots (only those due to settle at `due_at`, when given; and `extra`
    ones) by expiry and id; call it with the account locked (its lock guards the lots)."""
    params = [account_id]
    if due_at is not None:
        params += [due_at, due_at]
    if extra:
        params.append(extra)
    with hot_cursor() as cursor:
        cursor.execute(_read_lots_sql(due_at is not None, bool(extra)), params)
        rows = cursor.fetchall()
    return _lots_of(rows)
