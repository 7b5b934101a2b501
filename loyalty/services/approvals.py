"""Four-eyes approval of manual adjustments (and, through `check_approver`, of bulk operations).

A manual adjustment of more points than the program's `approval_threshold` (either way) is not
applied when asked: it waits as a pending AdjustmentRequest until another staff member with the
`loyalty.approve_adjustment` permission approves it (then it is applied, through the same move
as adjust_points, in the transaction that marks it approved) or rejects it with a note. An
adjustment within the threshold (exactly the threshold included), or any adjustment when the
threshold is 0, is applied at once and recorded as approved with nobody's decision. Every
request keeps the ledger entries it wrote and the member's balance before and after.
"""

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from loyalty.errors import ApprovalRefused, InsufficientPoints, InvalidInput, MemberNotFound
from loyalty.models import Account, AdjustmentRequest, LedgerEntry, Program
from loyalty.services.accounts import apply_adjustment, check_adjustment
from loyalty.services.program import get_program

APPROVE_PERMISSION = "loyalty.approve_adjustment"
Status = AdjustmentRequest.Status


def needs_approval(points: int, *, program: Program | None = None) -> bool:
    """Whether `points` (a move either way, or a bulk operation's total) is above the program's
    approval threshold; a threshold of 0 turns approvals off."""
    threshold = (program or get_program()).approval_threshold
    return threshold > 0 and abs(points) > threshold


def may_approve(user) -> bool:
    return bool(user is not None and user.is_active and user.has_perm(APPROVE_PERMISSION))


def check_approver(*, user, requested_by_id: int | None) -> None:
    """A request is decided by a staff member with the approval permission who is not the one
    who asked for it."""
    if user is not None and user.pk == requested_by_id:
        raise ApprovalRefused(
            _("You asked for this yourself: another staff member must decide it."),
            reason="self_approval",
        )
    if not may_approve(user):
        raise ApprovalRefused(
            _("You are not allowed to approve manual adjustments."), reason="not_allowed"
        )


def _already_decided() -> ApprovalRefused:
    return ApprovalRefused(_("This request has already been decided."), reason="already_decided")


def _record(request: AdjustmentRequest, adjusted) -> None:
    request.balance_before = adjusted.balance_before
    request.balance_after = adjusted.balance_after
    request.save()
    request.entries.set([e for e in adjusted.entries if e.kind == LedgerEntry.Kind.ADJUST])


def request_adjustment(
    *,
    member_id: int,
    points: int,
    reason: str,
    staff,
    now: dt.datetime,
    member_text: str = "",
) -> AdjustmentRequest:
    """A staff member's manual adjustment: applied at once when within the approval threshold,
    otherwise left pending for a second person (nothing moves yet; a removal of more points
    than the member has is refused at once). Its text for the member, if any, goes into the
    ledger with it when it is applied."""
    reason, points, member_text = check_adjustment(
        points=points, reason=reason, member_text=member_text
    )
    request = AdjustmentRequest(
        member_id=member_id,
        points=points,
        reason=reason[:500],
        member_text=member_text,
        requested_by=staff,
        requested_at=now,
    )
    if needs_approval(points):
        available = Account.objects.filter(pk=member_id).values_list("available", flat=True).first()
        if available is None:
            raise MemberNotFound()
        if available < -points:  # told now, not at approval (which checks again under lock)
            raise InsufficientPoints()
        request.save()
        return request
    with transaction.atomic(durable=True):
        adjusted = apply_adjustment(
            member_id=member_id,
            points=points,
            reason=reason,
            staff=staff,
            now=now,
            member_text=member_text,
        )
        request.status, request.decided_at = Status.APPROVED, now
        _record(request, adjusted)
    return request


def _lock_pending(request_id: int) -> AdjustmentRequest:
    request = AdjustmentRequest.objects.select_for_update().filter(pk=request_id).first()
    if request is None:
        raise InvalidInput(_("No such adjustment request."))
    if not request.is_pending:
        raise _already_decided()
    return request


def approve_adjustment(
    *, request_id: int, staff, now: dt.datetime, note: str = ""
) -> AdjustmentRequest:
    """Approve a pending adjustment and apply it, in one transaction under the request's row
    lock: two approvers at once apply it once (the second finds it decided). A removal the
    balance no longer covers is refused and the request stays pending."""
    with transaction.atomic(durable=True):
        request = _lock_pending(request_id)
        check_approver(user=staff, requested_by_id=request.requested_by_id)
        adjusted = apply_adjustment(
            member_id=request.member_id,
            points=request.points,
            reason=request.reason,
            staff=request.requested_by,
            now=now,
            member_text=request.member_text,
        )
        request.status, request.decided_by, request.decided_at = Status.APPROVED, staff, now
        request.note = (note or "").strip()[:500]
        _record(request, adjusted)
    return request


def reject_adjustment(*, request_id: int, staff, now: dt.datetime, note: str) -> AdjustmentRequest:
    """Reject a pending adjustment with a note saying why; no points move."""
    note = (note or "").strip()
    if not note:
        message = _("Say why the adjustment is rejected.")
        raise InvalidInput(message, fields={"note": [str(message)]})
    with transaction.atomic(durable=True):
        request = _lock_pending(request_id)
        check_approver(user=staff, requested_by_id=request.requested_by_id)
        request.status, request.decided_by, request.decided_at = Status.REJECTED, staff, now
        request.note = note[:500]
        request.save()
    return request


def pending_adjustments(member_id) -> list[AdjustmentRequest]:
    """The member's adjustments waiting for approval, oldest first (shown on the account)."""
    return list(
        AdjustmentRequest.objects.filter(member_id=member_id, status=Status.PENDING)
        .select_related("requested_by")
        .order_by("requested_at", "id")
    )
