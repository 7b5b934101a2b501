"""Idempotency keys of partner and till writes: claim, replay, complete, clean up.

Every write that takes an Idempotency-Key (a purchase, a refund, an enrolment) goes through
here. A key is stored per partner with a hash of its request and, once answered, the answer. A
replay with the same request gets the stored answer back unchanged; the same key with another
request is refused (`IdempotencyKeyReused`); a key whose first use still runs is refused too
(`RequestInProgress`). A record left in progress by a crashed process may be taken over after
STALE_AFTER. Two ways to hold a key while its request runs:

- `KeyGuard` (purchases, the hot path): the key is taken inside the work's own transaction, in
  the statement that locks the account (the ledger store does it, `lock_account_and_lots(key=…)`)
  — a transaction-level advisory lock on the key (a second request with the key is refused at
  once instead of waiting) and the key's record inserted, uncommitted, as answered. The record
  and the purchase commit together or not at all: no claim left behind by a crash, and no body
  to store — the purchase row (with the balance it left) is the answer, read back for a replay.
  A domain error rolls the work back, and its answer is stored in a write of its own.
  A guard that `wait`s (the desk's) waits for the lock instead, then replays the first answer.
- `claim()` (enrolment, refunds): the key's record committed before the service runs, so a
  concurrent request with the same key sees it; the answer is stored when the service finishes.
  `run_once()` is the till's way (the desk's refunds and enrolments): a claim made while the
  key's lock is held, so a second submit waits for the first and gets its answer.

A till's wait for a key is bounded (KEY_WAIT): past it, the second submit is refused with
RequestInProgress instead of hanging.
"""

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from loyalty.errors import IdempotencyKeyReused, RequestInProgress
from loyalty.models import IdempotencyRecord
from loyalty.store import idempotency as records
from loyalty.store.ledger import take_key

STALE_AFTER = dt.timedelta(seconds=60)
KEEP_FOR = dt.timedelta(hours=24)
# The longest a till's second submit waits for its first to end (a slow first is refused then).
KEY_WAIT = dt.timedelta(seconds=10)


def request_hash(method: str, path: str, data) -> str:
    """The fingerprint of a request: method, path and the JSON body with sorted keys."""
    body = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {path}\n{body}".encode()).hexdigest()


def body_fingerprint(data: dict) -> str:
    """The fingerprint of a write's own fields (a refund's lines and amount), stored with the row
    it made: the same number sent again with the same fields is a replay, with other fields a
    refusal. (Its form is that of the fingerprints already stored: keep it.)"""
    body = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


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


def claim(*, partner_id: int, key: str, fingerprint: str, now: dt.datetime) -> Claim:
    """Claim `key` for this request, or return the stored answer of its first use.

    Raises IdempotencyKeyReused (other request) or RequestInProgress (first use still running).
    The claim is committed at once, so concurrent requests with the key see it.
    """
    record_id = records.insert_claim(
        partner_id=partner_id, key=key, fingerprint=fingerprint, now=now
    )
    if record_id is not None:
        return Claim(record_id=record_id, key=key)
    found = _existing(partner_id=partner_id, key=key, fingerprint=fingerprint, now=now)
    if found is None:  # deleted by the cleanup in between: try once more
        return claim(partner_id=partner_id, key=key, fingerprint=fingerprint, now=now)
    return found


def _existing(*, partner_id: int, key: str, fingerprint: str, now: dt.datetime) -> Claim | None:
    """The key's record, found on a conflict: its stored answer (a replay), or the record taken
    over from a crashed request. Raises IdempotencyKeyReused (other request) or
    RequestInProgress (the first use still running); None if the record is gone (too old)."""
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


def complete(claim: Claim, *, status: int, body: dict, now: dt.datetime) -> None:
    """Store the answer of a `claim()`ed key so that replays get exactly it."""
    records.store_answer(claim.record_id, status=status, body=body, now=now)


def release(claim: Claim) -> None:
    """Forget a claim whose request failed unexpectedly, so that a retry may run at once."""
    IdempotencyRecord.objects.filter(pk=claim.record_id, response_status__isnull=True).delete()


def run_once(
    *,
    partner_id: int,
    key: str,
    fingerprint: str,
    now: dt.datetime,
    work: Callable[[], dict],
    wait_for: dt.timedelta | None = None,
) -> tuple[dict, bool]:
    """Do a till's write at most once per key: `work()` → its answer (JSON-able), stored under
    the key. Returns (the answer, whether it is the first use's answer replayed).

    A second submit of the same form waits while the first runs (at most `wait_for`, KEY_WAIT
    by default; then RequestInProgress) and gets its answer; the same key with another request
    is refused (IdempotencyKeyReused). A failed write (a domain error too) stores nothing: the
    cashier corrects the form and sends it again with its key.
    """
    with records.key_held(partner_id=partner_id, key=key, wait_for=wait_for or KEY_WAIT):
        found = claim(partner_id=partner_id, key=key, fingerprint=fingerprint, now=now)
        if found.is_replay:
            return found.replay_body, True
        try:
            body = work()
        except BaseException:
            release(found)
            raise
        complete(found, status=201, body=body, now=now)
        return body, False


class Replay(Exception):
    """The key was used before with the same request: send its answer again. `body` is None
    when the answer is the work's own rows (a purchase), to be read back by the caller."""

    def __init__(self, status: int, body: dict | None):
        super().__init__(status)
        self.status, self.body = status, body


@dataclass
class KeyGuard:
    """An Idempotency-Key held inside the work's own transaction (see the module's doc).

    Give it to the service (`record_purchase(idempotency=guard)`): the ledger store takes the
    key in the statement that locks the member's account, and hands the result to `taken()`.
    The key's record is written there already as answered with `status`, with no body: it
    commits only with the work, whose own rows are the answer (a replay reads them back). A
    domain error that rolled the work back goes to `store_apart()`.
    """

    partner_id: int
    key: str
    fingerprint: str
    now: dt.datetime
    status: int = 201
    # Wait for a request holding the key to end and replay its answer, instead of refusing
    # at once (RequestInProgress): the desk, where a double click must show the first receipt.
    wait: bool = False
    # ... at most this long (KEY_WAIT by default), then RequestInProgress.
    wait_for: dt.timedelta = field(default_factory=lambda: KEY_WAIT)
    record_id: int | None = None
    taken_over: bool = False  # a crashed request's record: the work may already be done

    def enter(self) -> None:
        """Take the key for this transaction in a statement of its own."""
        self.taken(take_key(self))

    def taken(self, row: tuple) -> None:
        """The key's (got its advisory lock, id of its new record) as the store took it.
        Raises Replay (its answer), IdempotencyKeyReused (other request) or RequestInProgress
        (held by a running request)."""
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
            stored = records.store_answer_if_unanswered(
                self.record_id, status=status, body=body, now=now
            )
        else:
            stored = records.insert_answered(
                partner_id=self.partner_id,
                key=self.key,
                fingerprint=self.fingerprint,
                created_at=self.now,
                status=status,
                body=body,
                now=now,
            )
        if stored:
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


def delete_old_records(*, now: dt.datetime, keep: dt.timedelta = KEEP_FOR) -> int:
    """Delete idempotency records older than `keep` (24 h by default). Safe to run any time;
    meant for a daily beat task. Returns the number deleted."""
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=now - keep).delete()
    return deleted
