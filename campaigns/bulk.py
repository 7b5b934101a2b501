"""Bulk award or deduction of points for a segment or an uploaded list, and its undo.

The rules:
- A marketer drafts an operation: award or deduct N points per member, a reason, and a target —
  a segment (its members when the operation is submitted) or an uploaded list of phones / card
  numbers (matched as segment_lists.py matches them; rows that name nobody are reported).
- The preview (`preview`, no writes) says how many members it reaches, who will be skipped and
  why (blocked, closed or erased members, members without an account; for a deduction, members
  with fewer points than deducted: the operation either takes what they have, `partial`, the
  default — a member holding nothing is then skipped — or skips them), the points in total and a
  sample of members (masked: first name and initial, the phone's last four digits, the card's
  last four; analysts see only member numbers).
- Submitting fixes the members (one BulkItem each). An operation whose total points are above
  the program's approval threshold waits for another staff member with the approval permission
  (loyalty/services/approvals.py); otherwise, or once approved, it is queued.
- The run (a Celery task, after commit) takes pending items in chunks of CHUNK members in member
  order, each chunk one transaction: the points move (loyalty/services/bulk.py), the items
  record what moved and the entries that moved it, the operation's counters grow. Items are
  claimed with SKIP LOCKED and only pending ones are taken, so a second run, at once or later,
  moves nobody twice, and a run after a crash picks up where the last whole chunk ended.
- Undo (done operations only, once) reverses the items that moved points, in the same chunks:
  an award is taken back from the lot it created as far as the member still holds it (the rest
  is each item's shortfall), a deduction comes back as new points.
Every ledger entry's reason names the operation: "<reason> (bulk #N)", and its undo's
"<reason> (undo of bulk #N)" (not translated: the ledger keeps one text whatever the worker's
language). The reason is for staff only: the members are shown the operation's optional text
for them, or a neutral label (loyalty.selectors.entry_note); an undo shows them the label.
"""

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, F, Q
from django.utils.translation import gettext_lazy as _

from campaigns import segments
from campaigns.models import BulkItem, BulkOperation, Segment
from campaigns.segment_lists import MAX_REPORTED, _match
from core.errors import DomainError, InvalidInput
from customers.models import Member
from customers.phones import mask_phone
from loyalty.models import Account
from loyalty.models.ledger import MEMBER_TEXT_LENGTH
from loyalty.services import bulk as ledger_bulk
from loyalty.services.approvals import check_approver, needs_approval

CHUNK = 500  # members per transaction of the run and of the undo
SAMPLE_SIZE = 10
Status = BulkOperation.Status
UndoStatus = BulkOperation.UndoStatus

SKIP_REASONS = {
    ledger_bulk.SKIP_BLOCKED: _("blocked"),
    ledger_bulk.SKIP_CLOSED: _("closed"),
    ledger_bulk.SKIP_ERASED: _("personal data erased"),
    ledger_bulk.SKIP_NO_ACCOUNT: _("no points account"),
    ledger_bulk.SKIP_NO_POINTS: _("not enough points"),
}


class BulkOperationRefused(DomainError):
    """The operation cannot do this now (`reason`: not_draft, empty, not_done, undone, …)."""

    code = "bulk_operation_refused"
    default_detail = _("This bulk operation cannot do that now.")


# --- drafting ------------------------------------------------------------------------------------
def create_operation(
    *,
    kind: str,
    points: int,
    reason: str,
    staff,
    now: dt.datetime,
    segment: Segment | None = None,
    rows: Iterable[tuple[int, str]] | None = None,
    list_name: str = "",
    when_short: str = BulkOperation.WhenShort.PARTIAL,
    member_text: str = "",
) -> BulkOperation:
    """Draft an operation for a segment or for the members an uploaded list names (its rows as
    segment_lists.read_rows gives them); nothing moves yet. The reason is for staff only; the
    optional `member_text` is what the members are shown of it."""
    reason = (reason or "").strip()
    member_text = " ".join((member_text or "").split())
    problems = {}
    if not reason:
        problems["reason"] = [str(_("A reason is required."))]
    if len(member_text) > MEMBER_TEXT_LENGTH:
        problems["member_text"] = [
            str(
                _("The text for the member is longer than %(n)d characters.")
                % {"n": MEMBER_TEXT_LENGTH}
            )
        ]
    if not isinstance(points, int) or isinstance(points, bool) or points <= 0:
        problems["points"] = [str(_("Enter a whole number of points above zero."))]
    if kind not in BulkOperation.Kind.values:
        problems["kind"] = [str(_("Choose to award or to deduct."))]
    if (segment is None) == (rows is None):
        problems["segment"] = [str(_("Choose a segment or upload a list, not both."))]
    if problems:
        raise InvalidInput(fields=problems)
    operation = BulkOperation(
        kind=kind,
        points=points,
        reason=reason[:450],
        member_text=member_text,
        when_short=when_short,
        segment=segment,
        created_by=staff,
        created_at=now,
    )
    if rows is not None:
        found: set[int] = set()
        missing: list = []
        missing_count = 0
        for chunk in segments._chunks(rows, segments.CHUNK):
            operation.list_rows += len(chunk)
            ids, not_found = _match(chunk)
            found |= ids
            missing_count += len(not_found)
            missing += [list(row) for row in not_found[: max(MAX_REPORTED - len(missing), 0)]]
        if not found:
            raise InvalidInput(fields={"file": [str(_("The list names no member."))]})
        operation.list_name = list_name[:200]
        operation.list_member_ids = sorted(found)
        operation.list_not_found, operation.list_not_found_count = missing, missing_count
    operation.save()
    return operation


def target_member_ids(operation: BulkOperation) -> Iterator[int]:
    """The members the operation aims at, in id order: its items once submitted, else its
    segment's members now (none when the segment is switched off) or its list."""
    if operation.status != Status.DRAFT:
        return (
            operation.items.order_by("member_id")
            .values_list("member_id", flat=True)
            .iterator(chunk_size=segments.CHUNK)
        )
    if operation.segment_id is not None:
        return segments.member_ids(operation.segment)
    return iter(operation.list_member_ids)


# --- the preview ---------------------------------------------------------------------------------
@dataclass
class SampleMember:
    member_id: int
    name: str  # masked, "" for staff who see no personal data
    phone: str
    card_tail: str
    available: int
    points: int  # what the operation would move for them (signed)


@dataclass
class Preview:
    members: int = 0
    affected: int = 0
    partial: int = 0  # deductions that take less than asked (all the member has)
    total_points: int = 0  # the signed total that would move
    skipped: Counter = field(default_factory=Counter)
    sample: list[SampleMember] = field(default_factory=list)

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def skipped_rows(self) -> list[tuple[str, str, int]]:
        """(reason code, label, count) of every reason with members, largest first."""
        return [
            (code, str(SKIP_REASONS[code]), count) for code, count in self.skipped.most_common()
        ]


def mask_name(first_name: str, last_name: str) -> str:
    """First name and the initial of the last name, as the desk shows a member: "Анна К."."""
    initial = f"{last_name.strip()[:1]}." if last_name.strip() else ""
    return " ".join(p for p in (first_name.strip(), initial) if p)


def _planned(operation: BulkOperation, available: int) -> tuple[int, str]:
    """(signed points, skip reason) the operation would move for a member holding `available`."""
    if operation.kind == BulkOperation.Kind.AWARD:
        return operation.points, ""
    if available >= operation.points:
        return -operation.points, ""
    if operation.when_short == BulkOperation.WhenShort.PARTIAL and available > 0:
        return -available, ""
    return 0, ledger_bulk.SKIP_NO_POINTS


def preview(
    operation: BulkOperation, *, personal_data: bool = True, sample_size: int = SAMPLE_SIZE
) -> Preview:
    """Who the operation reaches and what it would move, as of now (no writes; the run judges
    each member again under the account lock). `personal_data`: show masked names and phones
    in the sample (False for analysts: member numbers only)."""
    result = Preview()
    for chunk in segments._chunks(target_member_ids(operation), segments.CHUNK):
        members = {
            row[0]: row[1:]
            for row in Member.objects.filter(pk__in=chunk).values_list(
                "pk", "status", "erased_at", "first_name", "last_name", "phone", "card_number"
            )
        }
        balances = dict(
            Account.objects.filter(pk__in=chunk).values_list("pk", "available").order_by()
        )
        for member_id in chunk:
            result.members += 1
            status, erased_at, first, last, phone, card = members[member_id]
            skip = ledger_bulk.skip_reason(status=status, erased=erased_at is not None)
            if not skip and member_id not in balances:
                skip = ledger_bulk.SKIP_NO_ACCOUNT
            available = balances.get(member_id, 0)
            points = 0
            if not skip:
                points, skip = _planned(operation, available)
            if skip:
                result.skipped[skip] += 1
                continue
            result.affected += 1
            result.total_points += points
            result.partial += int(-points < operation.points and points < 0)
            if len(result.sample) < sample_size:
                result.sample.append(
                    SampleMember(
                        member_id=member_id,
                        name=mask_name(first, last) if personal_data else "",
                        phone=mask_phone(phone) if personal_data else "",
                        card_tail=card[-4:] if personal_data else "",
                        available=available,
                        points=points,
                    )
                )
    return result


# --- submitting and approving --------------------------------------------------------------------
def _locked(operation_id: int) -> BulkOperation:
    operation = BulkOperation.objects.select_for_update().filter(pk=operation_id).first()
    if operation is None:
        raise InvalidInput(_("No such bulk operation."))
    return operation


def _enqueue(task_name: str, operation_id: int) -> None:
    from campaigns import tasks

    task = getattr(tasks, task_name)
    transaction.on_commit(lambda: task.delay(operation_id))


def submit_operation(*, operation_id: int, staff, now: dt.datetime) -> BulkOperation:
    """Fix the draft's members (one item each) and queue the run — or, when its points in
    total are above the program's approval threshold, leave it waiting for approval."""
    with transaction.atomic(durable=True):
        operation = _locked(operation_id)
        if operation.status != Status.DRAFT:
            raise BulkOperationRefused(
                _("The operation was submitted already."), reason="not_draft"
            )
        planned = preview(operation, sample_size=0)
        if planned.members == 0:
            raise BulkOperationRefused(_("The operation reaches no member."), reason="empty")
        for chunk in segments._chunks(target_member_ids(operation), segments.CHUNK):
            BulkItem.objects.bulk_create(
                [BulkItem(operation=operation, member_id=member_id) for member_id in chunk]
            )
        operation.total = planned.members
        operation.requested_points = planned.total_points
        operation.submitted_at = now
        if needs_approval(planned.total_points):
            operation.status = Status.AWAITING_APPROVAL
        else:
            operation.status = Status.QUEUED
            _enqueue("run_bulk_operation", operation.pk)
        operation.save()
    return operation


def approve_operation(*, operation_id: int, staff, now: dt.datetime) -> BulkOperation:
    """Another staff member with the approval permission lets a big operation run."""
    with transaction.atomic(durable=True):
        operation = _awaiting(operation_id, staff)
        operation.status = Status.QUEUED
        operation.decided_by, operation.decided_at = staff, now
        operation.save()
        _enqueue("run_bulk_operation", operation.pk)
    return operation


def reject_operation(*, operation_id: int, staff, now: dt.datetime, note: str) -> BulkOperation:
    """Another staff member with the approval permission refuses a big operation, saying why."""
    note = (note or "").strip()
    if not note:
        message = _("Say why the operation is rejected.")
        raise InvalidInput(message, fields={"note": [str(message)]})
    with transaction.atomic(durable=True):
        operation = _awaiting(operation_id, staff)
        operation.status = Status.REJECTED
        operation.decided_by, operation.decided_at = staff, now
        operation.decision_note = note[:500]
        operation.save()
    return operation


def _awaiting(operation_id: int, staff) -> BulkOperation:
    operation = _locked(operation_id)
    if operation.status != Status.AWAITING_APPROVAL:
        raise BulkOperationRefused(
            _("The operation is not waiting for approval."), reason="already_decided"
        )
    check_approver(user=staff, requested_by_id=operation.created_by_id)
    return operation


# --- the run and the undo ------------------------------------------------------------------------
def _claim(operation_id: int, field_name: str, queued: str, running: str, now, **stamp) -> bool:
    """Mark the job running (or find it running: a worker died, or another runs it now; the
    chunks keep them apart). False when it is not queued nor running."""
    claimed = BulkOperation.objects.filter(pk=operation_id, **{field_name: queued}).update(
        **{field_name: running}, **stamp
    )
    return (
        bool(claimed)
        or BulkOperation.objects.filter(pk=operation_id, **{field_name: running}).exists()
    )


def _save_items(items: list[BulkItem], fields: list[str]) -> None:
    """Write a chunk's items in one statement (an upsert on the existing rows: bulk_update's
    CASE per row cost more than the points' moves themselves)."""
    BulkItem.objects.bulk_create(
        items,
        update_conflicts=True,
        unique_fields=["operation", "member"],
        update_fields=fields,
    )


def run_operation(*, operation_id: int, now: dt.datetime, chunk_size: int = CHUNK) -> int:
    """Move the points of a queued operation, chunk by chunk; returns the members processed
    by this call (0 for an operation already done, or not yet approved)."""
    if not _claim(operation_id, "status", Status.QUEUED, Status.RUNNING, now, started_at=now):
        return 0
    operation = BulkOperation.objects.select_related("created_by").get(pk=operation_id)
    done = 0
    while True:
        with transaction.atomic(durable=True):
            items = list(
                BulkItem.objects.select_for_update(skip_locked=True)
                .filter(operation_id=operation_id, status=BulkItem.Status.PENDING)
                .order_by("member_id")[:chunk_size]
            )
            if not items:
                break
            results = ledger_bulk.apply_bulk_moves(
                moves={item.member_id: operation.signed_points for item in items},
                reason=operation.entry_reason,
                staff=operation.created_by,
                now=now,
                partial=operation.when_short == BulkOperation.WhenShort.PARTIAL,
                member_text=operation.member_text,
            )
            for item in items:
                moved = results[item.member_id]
                item.status = BulkItem.Status.SKIPPED if moved.skipped else BulkItem.Status.DONE
                item.skip_reason, item.points, item.entry_ids = (
                    moved.skipped,
                    moved.points,
                    moved.entry_ids,
                )
            _save_items(items, ["status", "skip_reason", "points", "entry_ids"])
            applied = [item for item in items if item.status == BulkItem.Status.DONE]
            BulkOperation.objects.filter(pk=operation_id).update(
                processed=F("processed") + len(items),
                applied=F("applied") + len(applied),
                skipped=F("skipped") + len(items) - len(applied),
                points_moved=F("points_moved") + sum(item.points for item in applied),
            )
            done += len(items)
    _finish(
        operation_id, "status", Status.RUNNING, Status.DONE, pending=Q(status="pending"), now=now
    )
    return done


def _finish(operation_id: int, field_name: str, running: str, done: str, *, pending: Q, now):
    """Mark the job done once no item is left to do (another runner may still hold a chunk:
    then it finishes the job)."""
    stamp = "finished_at" if field_name == "status" else "undo_finished_at"
    left = BulkItem.objects.filter(pending, operation_id=operation_id)
    BulkOperation.objects.filter(pk=operation_id, **{field_name: running}).exclude(
        Exists(left)
    ).update(**{field_name: done, stamp: now})


def request_undo(*, operation_id: int, staff, now: dt.datetime) -> BulkOperation:
    """Ask for a done operation to be reversed (once; who and when are kept); the undo runs in
    the background."""
    with transaction.atomic(durable=True):
        operation = _locked(operation_id)
        if operation.status != Status.DONE:
            raise BulkOperationRefused(
                _("Only a finished operation can be undone."), reason="not_done"
            )
        if operation.undo_status:
            raise BulkOperationRefused(_("The operation is undone already."), reason="undone")
        operation.undo_status = UndoStatus.QUEUED
        operation.undo_by, operation.undo_requested_at = staff, now
        operation.save()
        _enqueue("undo_bulk_operation", operation.pk)
    return operation


def undo_operation(*, operation_id: int, now: dt.datetime, chunk_size: int = CHUNK) -> int:
    """Write the reversing entries of an operation whose undo was asked, chunk by chunk;
    returns the members reversed by this call (0 when there is nothing to undo)."""
    if not _claim(operation_id, "undo_status", UndoStatus.QUEUED, UndoStatus.RUNNING, now):
        return 0
    operation = BulkOperation.objects.select_related("undo_by").get(pk=operation_id)
    done = 0
    while True:
        with transaction.atomic(durable=True):
            items = list(
                BulkItem.objects.select_for_update(skip_locked=True)
                .filter(operation_id=operation_id, status=BulkItem.Status.DONE, undone=False)
                .order_by("member_id")[:chunk_size]
            )
            if not items:
                break
            results = ledger_bulk.reverse_bulk_moves(
                moves={item.member_id: (item.points, item.entry_ids) for item in items},
                reason=operation.undo_reason,
                staff=operation.undo_by,
                now=now,
            )
            for item in items:
                moved = results[item.member_id]
                item.undone = True
                item.undo_points, item.undo_shortfall = moved.points, moved.shortfall
                item.undo_entry_ids = moved.entry_ids
            _save_items(items, ["undone", "undo_points", "undo_shortfall", "undo_entry_ids"])
            BulkOperation.objects.filter(pk=operation_id).update(
                undo_processed=F("undo_processed") + len(items),
                undo_points=F("undo_points") + sum(item.undo_points for item in items),
                undo_shortfall=F("undo_shortfall") + sum(item.undo_shortfall for item in items),
            )
            done += len(items)
    _finish(
        operation_id,
        "undo_status",
        UndoStatus.RUNNING,
        UndoStatus.DONE,
        pending=Q(status="done", undone=False),
        now=now,
    )
    return done


# --- progress ------------------------------------------------------------------------------------
def progress(operation: BulkOperation) -> dict:
    """The operation's state and counters for the progress bar (JSON-ready)."""
    undoing = bool(operation.undo_status)
    total = operation.applied if undoing else operation.total
    processed = operation.undo_processed if undoing else operation.processed
    return {
        "id": operation.pk,
        "status": operation.status,
        "status_label": str(operation.get_status_display()),
        "undo_status": operation.undo_status,
        "undo_status_label": str(operation.get_undo_status_display()) if undoing else "",
        "total": operation.total,
        "processed": operation.processed,
        "applied": operation.applied,
        "skipped": operation.skipped,
        "points_moved": operation.points_moved,
        "undo_processed": operation.undo_processed,
        "undo_points": operation.undo_points,
        "undo_shortfall": operation.undo_shortfall,
        "percent": 100 if total == 0 else min(100, processed * 100 // total),
        "finished": (operation.undo_status == UndoStatus.DONE)
        if undoing
        else operation.status in (Status.DONE, Status.REJECTED),
    }
