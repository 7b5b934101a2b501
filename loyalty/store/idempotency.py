"""Idempotency records written outside the work's own transaction: a key claimed before a
service runs, its answer stored after, and a refusal stored apart from its rolled-back work.

(The key taken inside the work's transaction, in the statement that locks the account, is
`loyalty.store.ledger.lock_account_and_lots`.)
"""

import contextlib
import datetime as dt
import json
import logging

from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, OperationalError, connection
from psycopg import sql

from loyalty.errors import RequestInProgress
from loyalty.models import IdempotencyRecord
from loyalty.store.ledger import is_lock_timeout, lock_timeout
from loyalty.store.names import column, columns, table, text

logger = logging.getLogger(__name__)

_RECORDS = table(IdempotencyRecord)
_CONFLICT = columns(IdempotencyRecord, ["partner", "key"])
_ID = column(IdempotencyRecord, "pk")

_CLAIM = sql.SQL(
    "INSERT INTO {records} ({columns}) VALUES (%s, %s, %s, %s) "
    "ON CONFLICT ({conflict}) DO NOTHING RETURNING {id}"
).format(
    records=_RECORDS,
    columns=columns(IdempotencyRecord, ["partner", "key", "request_hash", "created_at"]),
    conflict=_CONFLICT,
    id=_ID,
)
_STORE_ANSWER = sql.SQL(
    "UPDATE {records} SET {status} = %s, {body} = %s::jsonb, {completed_at} = %s WHERE {id} = %s"
).format(
    records=_RECORDS,
    status=column(IdempotencyRecord, "response_status"),
    body=column(IdempotencyRecord, "response_body"),
    completed_at=column(IdempotencyRecord, "completed_at"),
    id=_ID,
)
_STORE_UNANSWERED = sql.SQL("{} AND {} IS NULL RETURNING {}").format(
    _STORE_ANSWER, column(IdempotencyRecord, "response_status"), _ID
)
_INSERT_ANSWER = sql.SQL(
    "INSERT INTO {records} ({columns}) VALUES (%s, %s, %s, %s, %s, %s::jsonb, %s) "
    "ON CONFLICT ({conflict}) DO NOTHING RETURNING {id}"
).format(
    records=_RECORDS,
    columns=columns(
        IdempotencyRecord,
        [
            "partner",
            "key",
            "request_hash",
            "created_at",
            "response_status",
            "response_body",
            "completed_at",
        ],
    ),
    conflict=_CONFLICT,
    id=_ID,
)


def _unflushed(statement: sql.Composable) -> str:
    """The statement in a transaction of its own committed without waiting for the WAL flush,
    the four statements in one round trip."""
    return text(sql.SQL("BEGIN; SET LOCAL synchronous_commit TO OFF; {}; COMMIT").format(statement))


_STATEMENTS = {
    name: (text(statement), _unflushed(statement))
    for name, statement in {
        "claim": _CLAIM,
        "store_answer": _STORE_ANSWER,
        "store_unanswered": _STORE_UNANSWERED,
        "insert_answer": _INSERT_ANSWER,
    }.items()
}


def _write(name: str, params: list):
    """Run one write in its own transaction, committed without waiting for the WAL flush.

    These records need no durability of their own: a claim lost in a database crash is lost
    together with whatever the request did after it (a later synchronous commit flushes the WAL
    in order); a lost response only makes a retry take the record over after a while, and a
    lost refusal (stored apart from its rolled-back work) is only decided again by a retry.
    Skipping the flush saves a disk sync on each of these writes. Inside a transaction (a
    test's) the statement runs plainly. Returns the first row of the statement, if any.
    """
    plain, unflushed = _STATEMENTS[name]
    with connection.cursor() as cursor:
        if connection.in_atomic_block:
            cursor.execute(plain, params)
            return cursor.fetchone() if cursor.description else None
        try:
            cursor.execute(unflushed, params)
        except DatabaseError:
            cursor.execute("ROLLBACK")
            raise
        cursor.nextset()  # past BEGIN
        cursor.nextset()  # past SET: now at the statement's own result
        return cursor.fetchone() if cursor.description else None


def _json(body: dict) -> str:
    return json.dumps(body, cls=DjangoJSONEncoder)


def insert_claim(*, partner_id: int, key: str, fingerprint: str, now: dt.datetime) -> int | None:
    """Insert the key's record, in progress; its id, or None if the key has a record already."""
    row = _write("claim", [partner_id, key, fingerprint, now])
    return None if row is None else row[0]


def store_answer(record_id: int, *, status: int, body: dict, now: dt.datetime) -> None:
    """Store the answer on the key's record."""
    _write("store_answer", [status, _json(body), now, record_id])


def store_answer_if_unanswered(
    record_id: int, *, status: int, body: dict, now: dt.datetime
) -> bool:
    """Store the answer on the key's record unless it has one already; whether it was stored."""
    return _write("store_unanswered", [status, _json(body), now, record_id]) is not None


def insert_answered(
    *,
    partner_id: int,
    key: str,
    fingerprint: str,
    created_at: dt.datetime,
    status: int,
    body: dict,
    now: dt.datetime,
) -> bool:
    """Insert the key's record with its answer, unless the key has one; whether it was."""
    params = [partner_id, key, fingerprint, created_at, status, _json(body), now]
    return _write("insert_answer", params) is not None


# The key's advisory lock held by the session (not the transaction), from before its claim to
# after its answer is stored: the lock a waiting KeyGuard takes for its transaction. Waiting for
# it is bounded by a lock_timeout set in the same statement (the lateral reference sets it first).
_HOLD = text(
    sql.SQL(
        "SELECT true FROM (SELECT set_config('lock_timeout', %s, true) AS v) t, "
        "LATERAL (SELECT pg_advisory_lock(hashtextextended(%s, %s)) WHERE t.v IS NOT NULL) w"
    )
)
_UNHOLD = text(sql.SQL("SELECT pg_advisory_unlock(hashtextextended(%s, %s))"))


@contextlib.contextmanager
def key_held(*, partner_id: int, key: str, wait_for: dt.timedelta):
    """Hold the key's advisory lock while the block runs, waiting at most `wait_for` for a
    request that holds it to end; RequestInProgress when it does not end in time."""
    with connection.cursor() as cursor:
        try:
            cursor.execute(_HOLD, [lock_timeout(wait_for), key, partner_id])
        except OperationalError as exc:
            if is_lock_timeout(exc):
                raise RequestInProgress() from exc
            raise
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute(_UNHOLD, [key, partner_id])
        except DatabaseError:
            # A broken connection has released its session's locks already.
            logger.warning("Could not unlock idempotency key %r", key, exc_info=True)
