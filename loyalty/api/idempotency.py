"""Idempotency-Key handling for partner writes: claim, replay, complete, clean up.

A key is claimed with one `INSERT … ON CONFLICT DO NOTHING` committed before the service runs,
so a concurrent request with the same key sees it and gets 409 `request_in_progress`. When the
service finishes, the response (success or domain error) is stored on the record — a purchase's
success inside the purchase's own transaction, the rest in a write of its own; a replay with
the same body gets it back unchanged, a different body gets 422 `idempotency_key_reused`. A record
left in progress by a crashed process may be taken over after STALE_AFTER.
"""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection

from loyalty.api.errors import IdempotencyKeyRequired, IdempotencyKeyReused, RequestInProgress
from loyalty.models import IdempotencyRecord, Partner

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
    completed: bool = False  # the response is stored (maybe inside the work's transaction)

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
    in order), and a lost response only makes a retry take the record over after STALE_AFTER.
    Skipping the flush saves a disk sync on each of the two writes of every partner write.
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
    record = (
        IdempotencyRecord.objects.filter(partner=partner, key=key)
        .only("id", "request_hash", "response_status", "response_body", "created_at")
        .first()
    )
    if record is None:  # deleted by the cleanup in between: try once more
        return claim(partner=partner, key=key, fingerprint=fingerprint, now=now)
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


def complete(claim: Claim, *, status: int, body: dict, now: dt.datetime) -> None:
    """Store the response so that replays get exactly it. Called inside the work's own
    transaction, it is one more statement of that transaction (and commits with it)."""
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    claim.completed = True
    _write(
        f"UPDATE {_TABLE} SET response_status = %s, response_body = %s{cast}, "  # noqa: S608
        "completed_at = %s WHERE id = %s",
        [status, json.dumps(body, cls=DjangoJSONEncoder), now, claim.record_id],
    )


def release(claim: Claim) -> None:
    """Forget a claim whose request failed unexpectedly, so that a retry may run at once."""
    IdempotencyRecord.objects.filter(pk=claim.record_id, response_status__isnull=True).delete()


def delete_old_records(*, now: dt.datetime, keep: dt.timedelta = KEEP_FOR) -> int:
    """Delete idempotency records older than `keep` (24 h by default). Safe to run any time;
    meant for a daily beat task. Returns the number deleted."""
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=now - keep).delete()
    return deleted
