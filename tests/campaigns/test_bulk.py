"""Bulk award and deduction of points for a segment or an uploaded list (campaigns/bulk.py):
preview, the chunked background run (once), its undo, and the approval of big operations."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from campaigns import bulk
from campaigns.models import BulkItem, BulkOperation, Segment, SegmentMember
from customers.models import Member
from loyalty.errors import ApprovalRefused
from loyalty.history import history_groups, history_rows
from loyalty.models import LedgerEntry
from loyalty.services import bulk as ledger_bulk
from tests.factories import UserFactory, make_member
from tests.loyalty.helpers import account, assert_ledger_ok, give, set_program

Kind = BulkOperation.Kind
Status = BulkOperation.Status


def staff(username: str, group: str = "marketer"):
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def now():
    """The real time: the background jobs (run eagerly here) move points as of the clock."""
    return timezone.now()


@pytest.fixture
def marketer_user(db):
    return staff("bulk-marketer")


@pytest.fixture
def members(db, now):
    """Five members holding 0, 100, 200, 300 and 400 points."""
    found = []
    for i in range(5):
        member = make_member(now=now, first_name=f"Имя{i}", last_name="Петрова")
        if i:
            give(member, 100 * i, now)
        found.append(member)
    return found


def segment_of(members, code="bulk-list") -> Segment:
    segment = Segment.objects.create(code=code, name=code, kind=Segment.Kind.STATIC)
    SegmentMember.objects.bulk_create(
        SegmentMember(segment=segment, member=m, since=m.created_at) for m in members
    )
    return segment


def draft(members, user, now, *, kind=Kind.AWARD, points=100, **kw) -> BulkOperation:
    return bulk.create_operation(
        kind=kind,
        points=points,
        reason="Извинение за сбой",
        segment=segment_of(members),
        staff=user,
        now=now,
        **kw,
    )


def submitted(operation, user, now, django_capture_on_commit_callbacks) -> BulkOperation:
    with django_capture_on_commit_callbacks(execute=True):
        return bulk.submit_operation(operation_id=operation.pk, staff=user, now=now)


# --- targets and preview -------------------------------------------------------------------------
def test_a_segment_target_reaches_the_members_of_the_segment(members, marketer_user, now):
    operation = draft(members[1:4], marketer_user, now)
    view = bulk.preview(operation)
    assert (view.members, view.affected, view.total_points) == (3, 3, 300)


def test_a_list_target_matches_phones_and_cards_and_reports_rows_naming_nobody(
    members, marketer_user, now
):
    rows = [
        (1, "phone"),
        (2, members[0].phone),
        (3, members[1].card_number),
        (4, "8 999 000-00-00"),
        (5, members[0].phone),  # twice in the list: once in the operation
    ]
    operation = bulk.create_operation(
        kind=Kind.AWARD,
        points=50,
        reason="Участникам акции",
        rows=rows[1:],
        list_name="promo.csv",
        staff=marketer_user,
        now=now,
    )
    assert operation.list_member_ids == sorted([members[0].pk, members[1].pk])
    assert (operation.list_rows, operation.list_not_found_count) == (4, 1)
    assert operation.list_not_found == [[4, "8 999 000-00-00"]]
    assert bulk.preview(operation).total_points == 100


def test_the_preview_counts_who_is_skipped_and_why_and_writes_nothing(
    members, marketer_user, now, django_assert_max_num_queries
):
    Member.objects.filter(pk=members[1].pk).update(status=Member.Status.BLOCKED)
    Member.objects.filter(pk=members[2].pk).update(status=Member.Status.CLOSED, erased_at=now)
    operation = draft(members, marketer_user, now, kind=Kind.DEDUCT, points=350)
    with django_assert_max_num_queries(4):
        view = bulk.preview(operation)
    # Member 0 holds nothing; 3 (300 points) gives all they have; 4 (400) gives 350.
    assert view.members == 5 and view.affected == 2 and view.partial == 1
    assert dict(view.skipped) == {"blocked": 1, "erased": 1, "not_enough_points": 1}
    assert view.total_points == -(300 + 350)
    assert [row.member_id for row in view.sample] == [members[3].pk, members[4].pk]
    assert view.sample[0].phone.endswith(members[3].phone[-2:])
    assert "*" in view.sample[0].phone and view.sample[0].name == "Имя3 П."
    assert not BulkItem.objects.exists()
    assert not LedgerEntry.objects.filter(reason__contains="bulk").exists()


def test_a_deduction_that_skips_the_short_members_says_so_in_the_preview(
    members, marketer_user, now
):
    operation = draft(members, marketer_user, now, kind=Kind.DEDUCT, points=250, when_short="skip")
    view = bulk.preview(operation)
    assert view.affected == 2 and view.partial == 0
    assert dict(view.skipped) == {"not_enough_points": 3}
    assert view.total_points == -500


def test_analysts_see_member_numbers_only_in_the_sample(members, marketer_user, now):
    view = bulk.preview(draft(members, marketer_user, now), personal_data=False)
    assert {(row.name, row.phone, row.card_tail) for row in view.sample} == {("", "", "")}


# --- the run -------------------------------------------------------------------------------------
def test_the_run_moves_points_in_chunks_recording_each_members_entries(
    members, marketer_user, now, django_capture_on_commit_callbacks, monkeypatch
):
    set_program(approval_threshold=0)
    Member.objects.filter(pk=members[1].pk).update(status=Member.Status.BLOCKED)
    operation = draft(members, marketer_user, now, points=70)
    operation = submitted(operation, marketer_user, now, django_capture_on_commit_callbacks)
    assert operation.status == Status.QUEUED  # the task ran after commit (eager in tests)
    operation.refresh_from_db()
    assert (operation.status, operation.total, operation.processed) == (Status.DONE, 5, 5)
    assert (operation.applied, operation.skipped, operation.points_moved) == (4, 1, 280)
    for item in operation.items.select_related("member"):
        entries = list(LedgerEntry.objects.filter(pk__in=item.entry_ids))
        if item.member_id == members[1].pk:
            assert (item.status, item.skip_reason, entries) == ("skipped", "blocked", [])
            continue
        (entry,) = entries
        assert (entry.points, entry.reason, entry.staff) == (
            70,
            f"Извинение за сбой (bulk #{operation.pk})",
            marketer_user,
        )
    assert account(members[4]).available == 470 and account(members[1]).available == 100
    assert_ledger_ok()


def test_a_crash_leaves_whole_chunks_and_the_next_run_finishes_the_rest(
    members, marketer_user, now, monkeypatch
):
    set_program(approval_threshold=0)
    operation = draft(members, marketer_user, now, points=10)
    bulk.submit_operation(operation_id=operation.pk, staff=marketer_user, now=now)
    real, calls = ledger_bulk.apply_bulk_moves, []

    def dies_on_the_second_chunk(**kwargs):
        calls.append(sorted(kwargs["moves"]))
        if len(calls) == 2:
            raise RuntimeError("worker died")
        return real(**kwargs)

    monkeypatch.setattr(ledger_bulk, "apply_bulk_moves", dies_on_the_second_chunk)
    with pytest.raises(RuntimeError):
        bulk.run_operation(operation_id=operation.pk, now=now, chunk_size=2)
    operation.refresh_from_db()
    assert calls[0] == sorted(m.pk for m in members[:2])  # member order
    assert (operation.status, operation.processed, operation.points_moved) == (
        Status.RUNNING,
        2,
        20,
    )
    assert bulk.progress(operation)["percent"] == 40
    assert operation.items.filter(status="pending").count() == 3
    monkeypatch.setattr(ledger_bulk, "apply_bulk_moves", real)
    assert bulk.run_operation(operation_id=operation.pk, now=now, chunk_size=2) == 3
    operation.refresh_from_db()
    assert (operation.status, operation.processed, operation.points_moved) == (
        Status.DONE,
        5,
        50,
    )
    assert [account(m).available for m in members] == [10, 110, 210, 310, 410]
    assert_ledger_ok()


def test_a_second_run_of_the_same_operation_moves_nothing(members, marketer_user, now):
    set_program(approval_threshold=0)
    operation = draft(members, marketer_user, now, points=10)
    bulk.submit_operation(operation_id=operation.pk, staff=marketer_user, now=now)
    assert bulk.run_operation(operation_id=operation.pk, now=now) == 5
    assert bulk.run_operation(operation_id=operation.pk, now=now) == 0
    assert LedgerEntry.objects.filter(reason__endswith=f"(bulk #{operation.pk})").count() == 5
    assert account(members[0]).available == 10
    assert_ledger_ok()


def test_an_operation_is_submitted_once(members, marketer_user, now):
    operation = draft(members, marketer_user, now)
    bulk.submit_operation(operation_id=operation.pk, staff=marketer_user, now=now)
    with pytest.raises(bulk.BulkOperationRefused):
        bulk.submit_operation(operation_id=operation.pk, staff=marketer_user, now=now)
    assert operation.items.count() == 5


# --- undo ----------------------------------------------------------------------------------------
def test_undoing_an_award_takes_it_back_and_reports_what_was_already_spent(
    members, marketer_user, now, django_capture_on_commit_callbacks
):
    set_program(approval_threshold=0)
    operation = draft(members[:2], marketer_user, now, points=100)
    bulk.submit_operation(operation_id=operation.pk, staff=marketer_user, now=now)
    bulk.run_operation(operation_id=operation.pk, now=now)
    give(members[0], -60, now)  # member 0 had nothing else: 60 of the award spent
    with django_capture_on_commit_callbacks(execute=True):
        bulk.request_undo(operation_id=operation.pk, staff=marketer_user, now=now)
    operation.refresh_from_db()
    assert (operation.undo_status, operation.undo_by, operation.undo_requested_at) == (
        "done",
        marketer_user,
        now,
    )
    assert (operation.undo_processed, operation.undo_points, operation.undo_shortfall) == (
        2,
        -140,
        60,
    )
    item = operation.items.get(member=members[0])
    assert (item.undo_points, item.undo_shortfall) == (-40, 60)
    assert account(members[0]).available == 0 and account(members[1]).available == 100
    (entry,) = LedgerEntry.objects.filter(pk__in=item.undo_entry_ids)
    assert entry.reason == f"Извинение за сбой (undo of bulk #{operation.pk})"
    assert_ledger_ok()


def test_the_members_see_the_operations_text_for_them_never_its_reason(members, marketer_user, now):
    set_program(approval_threshold=0)
    run_at, undo_at = now + dt.timedelta(minutes=1), now + dt.timedelta(minutes=2)
    operation = draft(members[1:3], marketer_user, now, member_text="Подарок к открытию")
    bulk.submit_operation(operation_id=operation.pk, staff=marketer_user, now=now)
    bulk.run_operation(operation_id=operation.pk, now=run_at)
    item = operation.items.get(member=members[1])
    (entry,) = LedgerEntry.objects.filter(pk__in=item.entry_ids)
    assert entry.member_text == "Подарок к открытию"
    (row,) = history_rows(history_groups(members[1].pk, kinds=["adjust"], start=run_at))
    assert row.note == "Подарок к открытию"  # not "Извинение за сбой (bulk #N)"
    bulk.request_undo(operation_id=operation.pk, staff=marketer_user, now=undo_at)
    bulk.undo_operation(operation_id=operation.pk, now=undo_at)
    undo, award = history_rows(history_groups(members[1].pk, kinds=["adjust"], start=run_at))
    assert (undo.points, undo.note, award.points) == (-100, "Removed by the store", 100)


def test_undoing_a_deduction_gives_the_points_back(members, marketer_user, now):
    set_program(approval_threshold=0)
    operation = draft(members, marketer_user, now, kind=Kind.DEDUCT, points=250)
    bulk.submit_operation(operation_id=operation.pk, staff=marketer_user, now=now)
    bulk.run_operation(operation_id=operation.pk, now=now)
    assert [account(m).available for m in members] == [0, 0, 0, 50, 150]
    bulk.request_undo(operation_id=operation.pk, staff=marketer_user, now=now)
    assert bulk.undo_operation(operation_id=operation.pk, now=now) == 4
    assert [account(m).available for m in members] == [0, 100, 200, 300, 400]
    operation.refresh_from_db()
    assert (operation.undo_points, operation.undo_shortfall) == (100 + 200 + 250 + 250, 0)
    assert_ledger_ok()


def test_an_operation_is_undone_once(members, marketer_user, now):
    set_program(approval_threshold=0)
    operation = draft(members, marketer_user, now, points=5)
    with pytest.raises(bulk.BulkOperationRefused):  # not run yet
        bulk.request_undo(operation_id=operation.pk, staff=marketer_user, now=now)
    bulk.submit_operation(operation_id=operation.pk, staff=marketer_user, now=now)
    bulk.run_operation(operation_id=operation.pk, now=now)
    bulk.request_undo(operation_id=operation.pk, staff=marketer_user, now=now)
    assert bulk.undo_operation(operation_id=operation.pk, now=now) == 5
    with pytest.raises(bulk.BulkOperationRefused):
        bulk.request_undo(operation_id=operation.pk, staff=marketer_user, now=now)
    assert bulk.undo_operation(operation_id=operation.pk, now=now) == 0
    assert [account(m).available for m in members] == [0, 100, 200, 300, 400]
    assert_ledger_ok()


# --- approval ------------------------------------------------------------------------------------
def test_an_operation_above_the_threshold_waits_for_another_persons_approval(
    members, marketer_user, now, django_capture_on_commit_callbacks
):
    set_program(approval_threshold=400)
    operation = draft(members, marketer_user, now, points=100)  # 500 points in total
    operation = submitted(operation, marketer_user, now, django_capture_on_commit_callbacks)
    assert (operation.status, operation.requested_points) == (Status.AWAITING_APPROVAL, 500)
    assert bulk.run_operation(operation_id=operation.pk, now=now) == 0
    assert account(members[0]).available == 0
    with pytest.raises(ApprovalRefused):
        bulk.approve_operation(operation_id=operation.pk, staff=marketer_user, now=now)
    approver = staff("bulk-approver")
    with django_capture_on_commit_callbacks(execute=True):
        bulk.approve_operation(operation_id=operation.pk, staff=approver, now=now)
    operation.refresh_from_db()
    assert (operation.status, operation.decided_by, operation.points_moved) == (
        Status.DONE,
        approver,
        500,
    )
    assert_ledger_ok()


def test_an_operation_of_exactly_the_threshold_runs_without_approval(members, marketer_user, now):
    set_program(approval_threshold=500)
    operation = draft(members, marketer_user, now, points=100)
    operation = bulk.submit_operation(operation_id=operation.pk, staff=marketer_user, now=now)
    assert operation.status == Status.QUEUED


def test_a_rejected_operation_never_runs(members, marketer_user, now):
    set_program(approval_threshold=100)
    operation = draft(members, marketer_user, now, points=100)
    bulk.submit_operation(operation_id=operation.pk, staff=marketer_user, now=now)
    rejected = bulk.reject_operation(
        operation_id=operation.pk, staff=staff("bulk-approver"), now=now, note="Слишком много"
    )
    assert (rejected.status, rejected.decision_note) == (Status.REJECTED, "Слишком много")
    assert bulk.run_operation(operation_id=operation.pk, now=now) == 0
    assert not LedgerEntry.objects.filter(reason__contains="bulk").exists()


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_move_each_members_points_once(monkeypatch):
    from tests.race import race

    monkeypatch.setattr(bulk, "_enqueue", lambda *args: None)  # the two workers below run it
    set_program(approval_threshold=0)
    now = timezone.now()
    user = UserFactory(username="bulk-racer")
    people = [make_member(now=now) for _ in range(6)]
    operation = draft(people, user, now, points=10)
    bulk.submit_operation(operation_id=operation.pk, staff=user, now=now)
    outcomes = race(
        lambda: bulk.run_operation(operation_id=operation.pk, now=now, chunk_size=1),
        lambda: bulk.run_operation(operation_id=operation.pk, now=now, chunk_size=1),
    )
    assert sum(outcomes) == 6, outcomes
    operation.refresh_from_db()
    assert (operation.status, operation.processed, operation.points_moved) == (
        Status.DONE,
        6,
        60,
    )
    assert [account(m).available for m in people] == [10] * 6
    assert_ledger_ok()
