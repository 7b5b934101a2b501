"""Bulk operations in the back-office: draft with a preview, run with a progress bar, undo;
analysts read them without personal data."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from campaigns.models import BulkOperation, Segment, SegmentMember
from loyalty.models import Account
from tests.factories import make_member
from tests.loyalty.helpers import set_program

Status = BulkOperation.Status


@pytest.fixture
def segment(db):
    now = timezone.now()
    segment = Segment.objects.create(code="bulk-admin", name="Апрель", kind=Segment.Kind.STATIC)
    for name in ("Анна", "Борис", "Вера"):
        member = make_member(now=now, first_name=name, last_name="Смирнова")
        SegmentMember.objects.create(segment=segment, member=member, since=now)
    return segment


def _add(client, en, **data):
    fields = {"kind": "award", "points": "25", "reason": "Подарок", "when_short": "partial"}
    return client.post(reverse("admin:campaigns_bulkoperation_add"), {**fields, **data}, **en)


def test_a_marketer_drafts_previews_runs_and_undoes_an_award(
    marketer, segment, en, django_capture_on_commit_callbacks
):
    set_program(approval_threshold=0)
    response = _add(marketer, en, segment=str(segment.pk))
    assert response.status_code == 302
    operation = BulkOperation.objects.get()
    page = marketer.get(response["Location"], **en).content.decode()
    assert 'id="preview-members">3<' in page and 'id="preview-total">75<' in page
    assert "Анна С." in page and "***" in page  # masked, as the desk shows members
    assert 'name="_submit"' in page
    act = reverse("admin:campaigns_bulkoperation_act", args=[operation.pk])
    with django_capture_on_commit_callbacks(execute=True):
        marketer.post(act, {"_submit": "1"}, **en)
    progress = json.loads(
        marketer.get(
            reverse("admin:campaigns_bulkoperation_progress", args=[operation.pk]), **en
        ).content
    )
    assert (progress["status"], progress["percent"], progress["points_moved"]) == ("done", 100, 75)
    assert progress["finished"] is True
    page = marketer.get(response["Location"], **en).content.decode()
    assert 'id="bulk-progress-bar"' in page and "backoffice/progress.js" in page
    assert 'name="_undo"' in page
    with django_capture_on_commit_callbacks(execute=True):
        marketer.post(act, {"_undo": "1"}, **en)
    operation.refresh_from_db()
    assert (operation.undo_status, operation.undo_points) == ("done", -75)
    assert set(Account.objects.values_list("available", flat=True)) == {0}


def test_an_operation_keeps_its_text_for_the_members_next_to_its_internal_reason(
    marketer, segment, en
):
    response = _add(marketer, en, segment=str(segment.pk), member_text="Подарок к открытию")
    assert response.status_code == 302
    operation = BulkOperation.objects.get()
    assert (operation.reason, operation.member_text) == ("Подарок", "Подарок к открытию")
    page = marketer.get(response["Location"], **en).content.decode()
    assert "Подарок к открытию" in page and 'id="bulk-member-text"' in page


def test_an_uploaded_list_is_matched_and_rows_naming_nobody_are_shown(marketer, segment, en):
    member = SegmentMember.objects.filter(segment=segment).first().member
    upload = SimpleUploadedFile(
        "list.csv", f"phone\n{member.phone}\n+7 900 000 00 00\n".encode(), "text/csv"
    )
    response = _add(marketer, en, file=upload)
    assert response.status_code == 302
    operation = BulkOperation.objects.get()
    assert operation.list_member_ids == [member.pk] and operation.list_not_found_count == 1
    page = marketer.get(response["Location"], **en).content.decode()
    assert "1 row of the list matches no member" in page


def test_a_segment_and_a_list_together_are_a_form_error(marketer, segment, en):
    upload = SimpleUploadedFile("list.csv", b"+79000000000\n", "text/csv")
    response = _add(marketer, en, segment=str(segment.pk), file=upload)
    assert response.status_code == 200
    assert "Choose a segment or upload a list, not both." in response.content.decode()
    assert not BulkOperation.objects.exists()


def test_a_big_operation_waits_for_approval_on_its_page(
    marketer, segment, en, django_capture_on_commit_callbacks
):
    set_program(approval_threshold=50)
    _add(marketer, en, segment=str(segment.pk))
    operation = BulkOperation.objects.get()
    act = reverse("admin:campaigns_bulkoperation_act", args=[operation.pk])
    response = marketer.post(act, {"_submit": "1"}, follow=True, **en)
    page = response.content.decode()
    assert "Waiting for approval" in page and 'name="_approve"' not in page  # not by the creator
    operation.refresh_from_db()
    assert operation.status == Status.AWAITING_APPROVAL


def test_analysts_read_an_operation_without_personal_data_or_buttons(
    marketer, analyst, segment, en
):
    _add(marketer, en, segment=str(segment.pk))
    operation = BulkOperation.objects.get()
    url = reverse("admin:campaigns_bulkoperation_change", args=[operation.pk])
    page = analyst.get(url, **en).content.decode()
    assert 'id="preview-members">3<' in page
    assert "Анна" not in page and 'name="_submit"' not in page
    act = reverse("admin:campaigns_bulkoperation_act", args=[operation.pk])
    assert analyst.post(act, {"_submit": "1"}, **en).status_code == 403
    assert analyst.get(reverse("admin:campaigns_bulkoperation_add"), **en).status_code == 403
