"""Idempotency-Key handling for partner writes: claim, replay, complete, clean up.

Two ways to hold a key while its request runs, with the same answers to a client:

- `KeyGuard` (purchases, the hot path): the key is taken inside the work's own transaction, in
  its first statement (the one that locks the account, as its `prelude()`) — a
  transaction-level advisory lock on the key (a second request with the key gets 409
  `request_in_progress` instead of waiting) and the key's record inserted,
  uncommitted, as answered 201. The record and the purchase commit together or not at all: no
  separate transaction, no claim left behind by a crash, and no body to store — the purchase
  row (with the balance it left) is the answer, read back for a replay. A domain error rolls
  the work back, and its answer is stored in a write of its own.
- `claim()` (enrolment, refunds): one `INSERT … ON CONFLICT DO NOTHING` committed before the
  service runs, so a concurrent request with the same key sees it; the response is stored when
  the service finishes.

A replay with the same body gets the stored response back unchanged, a different body gets 422
`idempotency_key_reused`. A record left in progress by a crashed process may be taken over after
STALE_AFTER.
"""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection

from api.errors import IdempotencyKeyRequired, IdempotencyKeyReused, RequestInProgress
from config.db import hot_cursor
from loyalty.models import IdempotencyRecord, Partner
from loyalty.services.ledger import Prelude

HEADER = "HTTP_IDEMPOTENCY_KEY"
MAX_KEY_LENGTH = 255
STALE_AFTER = dt.timedelta(seconds=60)
KEEP_FOR = dt.timedelta(hours=24)

_TABLE = IdempotencyRecord._meta.db_table


@dataclass
class Claim:
    record_id: int
    key: str
    replay_status: int | None = None
    replay_body: dict | None = None
    taken_over: bool = False  # a crashed request's record: the work may already be done

    @property
    def is_replay(self) -> bool:
        return self.replay_status is not None


def key_from_request(request, *, required: bool = True) -> str | None:
    key = request.META.get(HEADER)
    if key is None or key == "":
        if required:
            raise IdempotencyKeyRequired()
        return None
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise IdempotencyKeyRequired()
    return key


def request_hash(method: str, path: str, data) -> str:
    """The fingerprint of a request: method, path and the JSON body with sorted keys."""
    body = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {path}\n{body}".encode()).hexdigest()


def _write(sql: str, params: list):
    """Run one write in its own transaction, committed without waiting for the WAL flush.

    These records need no durability of their own: a claim lost in a database crash is lost
    together with whatever the request did after it (a later synchronous commit flushes the WAL
    in order); a lost response only makes a retry take the record over after STALE_AFTER, and a
    lost refusal (stored apart from its rolled-back work) is only decided again by a retry.
    Skipping the flush saves a disk sync on each of these writes.
    On PostgreSQL the four statements go in one round trip; elsewhere (SQLite, or inside a test
    transaction) the statement runs plainly. Returns the first row of the statement, if any.
    """
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql" or connection.in_atomic_block:
            cursor.execute(sql, params)
            return cursor.fetchone() if cursor.description else None
        try:
            cursor.execute(f"BEGIN; SET LOCAL synchronous_commit TO OFF; {sql}; COMMIT", params)
        except DatabaseError:
            cursor.execute("ROLLBACK")
            raise
        cursor.nextset()  # past BEGIN
        cursor.nextset()  # past SET: now at the statement's own result
        return cursor.fetchone() if cursor.description else None


def claim(*, partner: Partner, key: str, fingerprint: str, now: dt.datetime) -> Claim:
    """Claim `key` for this request, or return the stored response of its first use.

    Raises IdempotencyKeyReused (other body) or RequestInProgress (first use still running).
    The claim is committed at once, so concurrent requests with the key see it.
    """
    row = _write(
        f"INSERT INTO {_TABLE} (partner_id, key, request_hash, created_at) "  # noqa: S608
        "VALUES (%s, %s, %s, %s) ON CONFLICT (partner_id, key) DO NOTHING RETURNING id",
        [partner.pk, key, fingerprint, now],
    )
    if row is not None:
        return Claim(record_id=row[0], key=key)
    found = _existing(partner_id=partner.pk, key=key, fingerprint=fingerprint, now=now)
    if found is None:  # deleted by the cleanup in between: try once more
        return claim(partner=partner, key=key, fingerprint=fingerprint, now=now)
    return found


def _existing(*, partner_id: int, key: str, fingerprint: str, now: dt.datetime) -> Claim | None:
    """The key's record, found on a conflict: its stored answer (a replay), or the record taken
    over from a crashed request. Raises IdempotencyKeyReused (other body) or RequestInProgress
    (the first use still running); None if the record is gone (deleted as too old)."""
    record = (
        IdempotencyRecord.objects.filter(partner_id=partner_id, key=key)
        .only("id", "request_hash", "response_status", "response_body", "created_at")
        .first()
    )
    if record is None:
        return None
    if record.request_hash != fingerprint:
        raise IdempotencyKeyReused()
    if not record.is_in_progress:
        return Claim(record.pk, key, record.response_status, record.response_body)
    if record.created_at > now - STALE_AFTER:
        raise RequestInProgress()
    # Take over a crashed request's record, unless another retry already did.
    taken = IdempotencyRecord.objects.filter(
        pk=record.pk, response_status__isnull=True, created_at=record.created_at
    ).update(created_at=now)
    if not taken:
        raise RequestInProgress()
    return Claim(record_id=record.pk, key=key, taken_over=True)


def _json(body: dict) -> str:
    return json.dumps(body, cls=DjangoJSONEncoder)


def _store_sql() -> str:
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    return (
        f"UPDATE {_TABLE} SET response_status = %s, response_body = %s{cast}, "  # noqa: S608
        "completed_at = %s WHERE id = %s"
    )


def complete(claim: Claim, *, status: int, body: dict, now: dt.datetime) -> None:
    """Store the response of a `claim()`ed key so that replays get exactly it."""
    _write(_store_sql(), [status, _json(body), now, claim.record_id])


class Replay(Exception):
    """The key was used before with the same body: send its answer again. `body` is None when
    the answer is the work's own rows (a purchase), to be read back by the caller."""

    def __init__(self, status: int, body: dict | None):
        super().__init__(status)
        self.status, self.body = status, body


# The advisory lock's key: a 64-bit hash of the key, seeded with the partner. Two keys in flight
# at the same moment that hash alike would only make one of them wait for a retry (409).
_TAKE_CTES = (
    "l AS MATERIALIZED (SELECT pg_try_advisory_xact_lock(hashtextextended(%s, %s)) AS got), "  # noqa: S608
    f"c AS (INSERT INTO {_TABLE} "
    "(partner_id, key, request_hash, created_at, response_status, completed_at) "
    "SELECT %s, %s, %s, %s, %s, %s FROM l WHERE l.got "
    "ON CONFLICT (partner_id, key) DO NOTHING RETURNING id)"
)
_TAKE_SELECT = "SELECT l.got AS got, c.id AS record_id FROM l LEFT JOIN c ON true"
_INSERT_SQL = (
    f"INSERT INTO {_TABLE} "  # noqa: S608
    "(partner_id, key, request_hash, created_at, response_status, completed_at) "
    "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (partner_id, key) DO NOTHING RETURNING id"
)


@dataclass
class KeyGuard:
    """An Idempotency-Key held inside the work's own transaction (see the module's doc).

    The key is taken first thing in the transaction — by `enter()`, or as the `prelude()` of
    the statement that locks the member's account (loyalty.services.ledger.Prelude). The key's
    record is written there already as answered with `status`, with no body: it commits only
    with the work, whose own rows are the answer (a replay reads them back). A domain error that
    rolled the work back goes to `store_apart()`.
    """

    partner_id: int
    key: str
    fingerprint: str
    now: dt.datetime
    status: int = 201
    record_id: int | None = None
    taken_over: bool = False  # a crashed request's record: the work may already be done

    def _take_params(self) -> list:
        key, partner_id, now = self.key, self.partner_id, self.now
        return [key, partner_id, partner_id, key, self.fingerprint, now, self.status, now]

    def prelude(self) -> Prelude:
        """The key taken in the same statement as the account lock, which is then not taken
        if another request holds the key."""
        return Prelude(
            ctes=_TAKE_CTES,
            select=_TAKE_SELECT,
            width=2,
            proceed="got",
            params=self._take_params(),
            done=self._taken,
            alone=self.enter,
        )

    def enter(self) -> None:
        """Take the key for this transaction. Raises Replay (its answer), IdempotencyKeyReused
        (other body) or RequestInProgress (held by a running request)."""
        if connection.vendor == "postgresql":
            with hot_cursor() as cursor:
                cursor.execute(f"WITH {_TAKE_CTES} {_TAKE_SELECT}", self._take_params())
                self._taken(cursor.fetchone())
            return
        # SQLite: write transactions are serial (IMMEDIATE); nobody else holds the key.
        with connection.cursor() as cursor:
            cursor.execute(_INSERT_SQL, self._take_params()[2:])
            row = cursor.fetchone()
        self._taken((True, row[0] if row else None))

    def _taken(self, row: tuple) -> None:
        got, self.record_id = row
        if not got:
            raise RequestInProgress()
        if self.record_id is not None:
            return
        found = _existing(
            partner_id=self.partner_id, key=self.key, fingerprint=self.fingerprint, now=self.now
        )
        if found is None:  # deleted as too old a moment ago: it is the key's first use again
            return self.enter()
        if found.is_replay:
            raise Replay(found.replay_status, found.replay_body)
        # A crashed request's record, taken over: answered as this work's, if it commits.
        self.record_id, self.taken_over = found.record_id, True
        IdempotencyRecord.objects.filter(pk=self.record_id).update(
            response_status=self.status, completed_at=self.now
        )

    def store_apart(self, status: int, body: dict, *, now: dt.datetime) -> tuple[int, dict | None]:
        """Store the answer of a domain error (the work was rolled back, the key's lock with
        it) in a write of its own. Returns the answer to send: this one, or the one another
        request with the key stored in between. Raises IdempotencyKeyReused, RequestInProgress."""
        if self.taken_over:
            stored = _write(
                f"{_store_sql()} AND response_status IS NULL RETURNING id",
                [status, _json(body), now, self.record_id],
            )
        else:
            cast = "::jsonb" if connection.vendor == "postgresql" else ""
            stored = _write(
                f"INSERT INTO {_TABLE} (partner_id, key, request_hash, created_at, "  # noqa: S608
                f"response_status, response_body, completed_at) "
                f"VALUES (%s, %s, %s, %s, %s, %s{cast}, %s) "
                "ON CONFLICT (partner_id, key) DO NOTHING RETURNING id",
                [self.partner_id, self.key, self.fingerprint, self.now, status, _json(body), now],
            )
        if stored is not None:
            return status, body
        found = _existing(
            partner_id=self.partner_id, key=self.key, fingerprint=self.fingerprint, now=self.now
        )
        if found is None:  # deleted as too old a moment ago
            return self.store_apart(status, body, now=now)
        if found.is_replay:
            return found.replay_status, found.replay_body
        # A crashed request's record, taken over just now: the answer goes on it.
        self.record_id, self.taken_over = found.record_id, True
        return self.store_apart(status, body, now=now)


def release(claim: Claim) -> None:
    """Forget a claim whose request failed unexpectedly, so that a retry may run at once."""
    IdempotencyRecord.objects.filter(pk=claim.record_id, response_status__isnull=True).delete()


def delete_old_records(*, now: dt.datetime, keep: dt.timedelta = KEEP_FOR) -> int:
    """Delete idempotency records older than `keep` (24 h by default). Safe to run any time;
    meant for a daily beat task. Returns the number deleted."""
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=now - keep).delete()
    return deleted
