"""Four-eyes approval of manual adjustments (loyalty/services/approvals.py): above the program's
threshold a second staff member approves (the points move then, once) or rejects."""

import pytest
from django.contrib.auth.models import Group, Permission

from loyalty.errors import ApprovalRefused, InsufficientPoints, InvalidInput
from loyalty.models import AdjustmentRequest, LedgerEntry
from loyalty.services.approvals import (
    approve_adjustment,
    reject_adjustment,
    request_adjustment,
)
from tests.factories import UserFactory, make_member
from tests.loyalty.helpers import account, assert_ledger_ok, give, set_program
from tests.race import race

Status = AdjustmentRequest.Status


def staff(username: str, group: str = "marketer"):
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def requester(db):
    return staff("asks")


@pytest.fixture
def approver(db):
    return staff("approves")


def test_an_adjustment_of_exactly_the_threshold_is_applied_at_once_with_balances(
    member, requester, now
):
    set_program(approval_threshold=5000)
    give(member, 300, now)
    request = request_adjustment(
        member_id=member.pk, points=5000, reason="Компенсация", staff=requester, now=now
    )
    assert request.status == Status.APPROVED and request.decided_by is None
    assert (request.balance_before, request.balance_after) == (300, 5300)
    assert account(member).available == 5300
    (entry,) = request.entries.all()
    assert (entry.kind, entry.points, entry.staff, entry.reason) == (
        LedgerEntry.Kind.ADJUST,
        5000,
        requester,
        "Компенсация",
    )
    assert_ledger_ok()


def test_an_adjustment_above_the_threshold_waits_and_moves_nothing(member, requester, now):
    set_program(approval_threshold=5000)
    give(member, 6000, now)
    request = request_adjustment(
        member_id=member.pk, points=-5001, reason="Ошибка", staff=requester, now=now
    )
    assert request.status == Status.PENDING
    assert request.balance_before is None and not request.entries.exists()
    assert account(member).available == 6000
    assert LedgerEntry.objects.filter(account_id=member.pk, kind="adjust").count() == 1


def test_a_threshold_of_zero_turns_approvals_off(member, requester, now):
    set_program(approval_threshold=0)
    request = request_adjustment(
        member_id=member.pk, points=1_000_000, reason="Перенос", staff=requester, now=now
    )
    assert request.status == Status.APPROVED
    assert account(member).available == 1_000_000


def test_another_staff_member_approves_and_the_points_move_then(member, requester, approver, now):
    set_program(approval_threshold=100)
    give(member, 50, now)
    request = request_adjustment(
        member_id=member.pk, points=700, reason="Бонус за отзыв", staff=requester, now=now
    )
    approved = approve_adjustment(request_id=request.pk, staff=approver, now=now, note="ок")
    assert (approved.status, approved.decided_by, approved.decided_at) == (
        Status.APPROVED,
        approver,
        now,
    )
    assert (approved.balance_before, approved.balance_after) == (50, 750)
    assert account(member).available == 750
    (entry,) = approved.entries.all()
    assert entry.points == 700 and entry.staff == requester  # who asked, as in the ledger
    assert_ledger_ok()


def test_a_pending_adjustment_takes_its_text_for_the_member_into_the_ledger_when_approved(
    member, requester, approver, now
):
    set_program(approval_threshold=100)
    request = request_adjustment(
        member_id=member.pk,
        points=700,
        reason="Компенсация: жалоба клиента",
        member_text="Извините за сбой",
        staff=requester,
        now=now,
    )
    assert request.member_text == "Извините за сбой"
    approved = approve_adjustment(request_id=request.pk, staff=approver, now=now)
    (entry,) = approved.entries.all()
    assert (entry.reason, entry.member_text) == ("Компенсация: жалоба клиента", "Извините за сбой")


def test_the_requester_never_approves_their_own_adjustment(member, requester, now):
    set_program(approval_threshold=100)
    request = request_adjustment(
        member_id=member.pk, points=700, reason="Себе", staff=requester, now=now
    )
    with pytest.raises(ApprovalRefused) as refused:
        approve_adjustment(request_id=request.pk, staff=requester, now=now)
    assert refused.value.extra["reason"] == "self_approval"
    with pytest.raises(ApprovalRefused):
        reject_adjustment(request_id=request.pk, staff=requester, now=now, note="передумал")
    request.refresh_from_db()
    assert request.is_pending and account(member).available == 0


def test_an_analyst_may_not_approve(member, requester, now):
    set_program(approval_threshold=100)
    request = request_adjustment(
        member_id=member.pk, points=700, reason="Бонус", staff=requester, now=now
    )
    with pytest.raises(ApprovalRefused) as refused:
        approve_adjustment(request_id=request.pk, staff=staff("reads", "analyst"), now=now)
    assert refused.value.extra["reason"] == "not_allowed"


def test_a_rejection_needs_a_note_moves_nothing_and_is_final(member, requester, approver, now):
    set_program(approval_threshold=100)
    request = request_adjustment(
        member_id=member.pk, points=700, reason="Бонус", staff=requester, now=now
    )
    with pytest.raises(InvalidInput):
        reject_adjustment(request_id=request.pk, staff=approver, now=now, note="  ")
    rejected = reject_adjustment(
        request_id=request.pk, staff=approver, now=now, note="Нет основания"
    )
    assert (rejected.status, rejected.note, rejected.decided_by) == (
        Status.REJECTED,
        "Нет основания",
        approver,
    )
    with pytest.raises(ApprovalRefused) as refused:
        approve_adjustment(request_id=request.pk, staff=staff("third"), now=now)
    assert refused.value.extra["reason"] == "already_decided"
    assert account(member).available == 0
    assert_ledger_ok()


def test_a_big_removal_of_more_than_the_member_has_is_refused_when_asked(member, requester, now):
    set_program(approval_threshold=100)
    give(member, 300, now)
    with pytest.raises(InsufficientPoints):
        request_adjustment(
            member_id=member.pk, points=-301, reason="Ошибка", staff=requester, now=now
        )
    assert not AdjustmentRequest.objects.exists()


def test_a_removal_the_balance_no_longer_covers_is_refused_and_stays_pending(
    member, requester, approver, now
):
    set_program(approval_threshold=100)
    give(member, 500, now)
    request = request_adjustment(
        member_id=member.pk, points=-400, reason="Ошибка начисления", staff=requester, now=now
    )
    give(member, -200, now)  # spent meanwhile
    with pytest.raises(InsufficientPoints):
        approve_adjustment(request_id=request.pk, staff=approver, now=now)
    request.refresh_from_db()
    assert request.is_pending and account(member).available == 300


@pytest.mark.django_db(transaction=True)
def test_two_approvers_at_once_apply_the_adjustment_once(now):
    set_program(approval_threshold=100)
    member = make_member(now=now)
    # Users with the permission itself: a transactional test's flush leaves no groups.
    approve = Permission.objects.get(codename="approve_adjustment")
    asked, first, second = (UserFactory(username=name) for name in ("asks", "one", "two"))
    first.user_permissions.add(approve)
    second.user_permissions.add(approve)
    request = request_adjustment(
        member_id=member.pk, points=1000, reason="Компенсация", staff=asked, now=now
    )
    outcomes = race(
        lambda: approve_adjustment(request_id=request.pk, staff=first, now=now),
        lambda: approve_adjustment(request_id=request.pk, staff=second, now=now),
    )
    approved = [o for o in outcomes if isinstance(o, AdjustmentRequest)]
    refused = [o for o in outcomes if isinstance(o, ApprovalRefused)]
    assert len(approved) == 1 and len(refused) == 1, outcomes
    assert refused[0].extra["reason"] == "already_decided"
    assert account(member).available == 1000
    assert LedgerEntry.objects.filter(account_id=member.pk, kind="adjust").count() == 1
    assert_ledger_ok()
