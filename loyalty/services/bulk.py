"""Points moved for many members at once (a marketer's bulk award or deduction), and undone.

The caller (campaigns/bulk.py) hands one chunk of members at a time, inside its own
transaction, and records what each member got in that same transaction: a crash leaves whole
chunks, done and recorded, or not done at all. The chunk's accounts are locked in member order
(the order every points service locks in), then each account is moved with the one write path,
`LedgerTransaction` — an `adjust` entry carrying the operation's reason (staff-only), its text
for the member (if any) and staff user.

Who is skipped: a blocked or closed member, one whose personal data was erased, a member
without an account, and for a deduction one who holds fewer points than asked when the
operation says to skip them (`partial=False`); with `partial=True` such a member gives what
they have (and is skipped only holding nothing).
"""

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.db import connection

from customers.models import Member
from loyalty.models import Account, LedgerEntry, PointLot
from loyalty.services.ledger import LedgerTransaction
from loyalty.services.program import get_program

Kind = LedgerEntry.Kind

SKIP_BLOCKED = "blocked"
SKIP_CLOSED = "closed"
SKIP_ERASED = "erased"
SKIP_NO_ACCOUNT = "no_account"
SKIP_NO_POINTS = "not_enough_points"


@dataclass
class Moved:
    """What one member's move did: the signed points moved (0 when skipped), why it was
    skipped, the `adjust` entries written and, for an undone award, the points the member no
    longer held (`shortfall`)."""

    member_id: int
    points: int = 0
    skipped: str = ""
    entry_ids: list[int] = field(default_factory=list)
    shortfall: int = 0


def skip_reason(*, status: str, erased: bool) -> str:
    """Why a member takes no part in a bulk operation ("" when they do)."""
    if erased:
        return SKIP_ERASED
    if status == Member.Status.BLOCKED:
        return SKIP_BLOCKED
    if status == Member.Status.CLOSED:
        return SKIP_CLOSED
    return ""


def _locked_accounts(member_ids: Sequence[int]) -> list[Account]:
    if not connection.in_atomic_block:
        raise RuntimeError("Bulk moves run inside the caller's transaction (one per chunk).")
    return list(
        Account.objects.select_for_update(no_key=True, of=("self",))
        .select_related("member")
        .filter(member_id__in=list(member_ids))
        .order_by("member_id")
    )


def _adjust_ids(ledger: LedgerTransaction) -> list[int]:
    return [e.pk for e in ledger.entries if e.kind == Kind.ADJUST]


def apply_bulk_moves(
    *,
    moves: Mapping[int, int],
    reason: str,
    staff,
    now: dt.datetime,
    partial: bool,
    member_text: str = "",
) -> dict[int, Moved]:
    """Move `moves` (member id → signed points) for one chunk of members, inside the caller's
    transaction; returns what each member got (see the module for who is skipped). The entries
    carry the staff-only `reason` and the optional `member_text` the members are shown."""
    program = get_program()
    results = {member_id: Moved(member_id, skipped=SKIP_NO_ACCOUNT) for member_id in moves}
    for account in _locked_accounts(list(moves)):
        member = account.member
        result = results[account.pk]
        result.skipped = skip_reason(status=member.status, erased=member.erased_at is not None)
        if result.skipped:
            continue
        points = moves[account.pk]
        ledger = LedgerTransaction(
            account,
            program=program,
            now=now,
            require_active=False,
            due_only=points > 0,
            staff=staff,
            reason=reason[:500],
            member_text=member_text,
        )
        if points > 0:
            ledger.add(points, Kind.ADJUST, source=PointLot.Source.ADJUST, available_at=now)
        else:
            wanted = min(-points, ledger.spendable_points()) if partial else -points
            if wanted == 0 or ledger.spendable_points() < wanted:
                result.skipped = SKIP_NO_POINTS
                continue
            ledger.spend(wanted, Kind.ADJUST)
            points = -wanted
        ledger.flush()
        result.points, result.entry_ids = points, _adjust_ids(ledger)
    return results


def reverse_bulk_moves(
    *, moves: Mapping[int, tuple[int, Sequence[int]]], reason: str, staff, now: dt.datetime
) -> dict[int, Moved]:
    """Undo one chunk of bulk moves (member id → (the signed points moved, the entry ids that
    moved them)), inside the caller's transaction, whatever the member's status now.

    A deduction comes back as a new adjustment lot (available at once, the program's
    lifetime). An award is taken back from the lot it created, as much as is left there: what
    the member already spent of it (or what expired) is the `shortfall`, reported, not taken
    from other points."""
    program = get_program()
    lot_of = dict(
        LedgerEntry.objects.filter(
            pk__in=[pk for _points, ids in moves.values() for pk in ids], lot__isnull=False
        ).values_list("pk", "lot_id")
    )
    results = {member_id: Moved(member_id, skipped=SKIP_NO_ACCOUNT) for member_id in moves}
    for account in _locked_accounts(list(moves)):
        result = results[account.pk]
        result.skipped = ""
        points, entry_ids = moves[account.pk]
        lot_ids = [lot_of[pk] for pk in entry_ids if pk in lot_of]
        ledger = LedgerTransaction(
            account,
            program=program,
            now=now,
            require_active=False,
            extra_lot_ids=lot_ids,
            due_only=points < 0,
            staff=staff,
            reason=reason[:500],
        )
        if points < 0:
            ledger.add(-points, Kind.ADJUST, source=PointLot.Source.ADJUST, available_at=now)
            result.points = -points
        else:
            left = points
            for lot_id in lot_ids:
                lot = ledger.lot(lot_id)
                part = min(left, lot.remaining) if lot is not None else 0
                if part:
                    ledger.take(lot, part, Kind.ADJUST)
                    left -= part
            result.points, result.shortfall = -(points - left), left
        ledger.flush()
        result.entry_ids = _adjust_ids(ledger)
    return results
