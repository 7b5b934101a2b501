"""The account page's adjustment above the program's threshold waits for a second person: the
requester is told so, the account shows it, another marketer approves or rejects it."""

import pytest
from django.urls import reverse

from loyalty.models import Account, AdjustmentRequest, LedgerEntry
from tests.admin.conftest import _staff_client
from tests.loyalty.helpers import set_program

Status = AdjustmentRequest.Status


@pytest.fixture
def second_marketer(db):
    return _staff_client("marketer-two", "marketer")


def _ask(client, member, points, en):
    return client.post(
        reverse("admin:loyalty_account_adjust", args=[member.pk]),
        {"points": str(points), "reason": "Компенсация за сбой"},
        follow=True,
        **en,
    )


def test_a_big_adjustment_waits_and_the_requester_is_told(marketer_client, member, en):
    set_program(approval_threshold=1000)
    response = _ask(marketer_client, member, 1001, en)
    page = response.content.decode()
    assert "waiting for approval" in page
    assert 'id="pending-adjustments"' in page  # the account page lists it
    request = AdjustmentRequest.objects.get(member=member)
    assert (request.status, request.requested_by) == (Status.PENDING, marketer_client.user)
    assert Account.objects.get(pk=member.pk).available == 0
    assert not LedgerEntry.objects.filter(account_id=member.pk).exists()


def test_an_adjustment_within_the_threshold_is_applied_and_recorded(marketer_client, member, en):
    set_program(approval_threshold=1000)
    response = _ask(marketer_client, member, 1000, en)
    assert "Adjusted by +1000 points" in response.content.decode()
    request = AdjustmentRequest.objects.get(member=member)
    assert (request.status, request.balance_before, request.balance_after) == (
        Status.APPROVED,
        0,
        1000,
    )


def test_another_marketer_approves_from_the_pending_list(
    marketer_client, second_marketer, member, en
):
    set_program(approval_threshold=1000)
    _ask(marketer_client, member, 2000, en)
    request = AdjustmentRequest.objects.get(member=member)
    listing = second_marketer.get(reverse("admin:loyalty_adjustmentrequest_changelist"), **en)
    assert listing.status_code == 200 and "Компенсация за сбой" in listing.content.decode()
    page = second_marketer.get(
        reverse("admin:loyalty_adjustmentrequest_change", args=[request.pk]), **en
    )
    assert 'name="_approve"' in page.content.decode()
    response = second_marketer.post(
        reverse("admin:loyalty_adjustmentrequest_decide", args=[request.pk]),
        {"note": "", "_approve": "1"},
        **en,
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.decided_by) == (Status.APPROVED, second_marketer.user)
    assert Account.objects.get(pk=member.pk).available == 2000


def test_the_requester_gets_no_decision_and_a_posted_one_is_refused(marketer_client, member, en):
    set_program(approval_threshold=1000)
    _ask(marketer_client, member, 2000, en)
    request = AdjustmentRequest.objects.get(member=member)
    url = reverse("admin:loyalty_adjustmentrequest_change", args=[request.pk])
    page = marketer_client.get(url, **en).content.decode()
    assert 'name="_approve"' not in page and "another staff member must approve" in page
    response = marketer_client.post(
        reverse("admin:loyalty_adjustmentrequest_decide", args=[request.pk]),
        {"note": "", "_approve": "1"},
        **en,
    )
    assert response.status_code == 400
    assert "another staff member must decide" in response.content.decode()
    request.refresh_from_db()
    assert request.is_pending


def test_a_rejection_without_a_note_is_a_form_error(marketer_client, second_marketer, member, en):
    set_program(approval_threshold=1000)
    _ask(marketer_client, member, 2000, en)
    request = AdjustmentRequest.objects.get(member=member)
    url = reverse("admin:loyalty_adjustmentrequest_decide", args=[request.pk])
    response = second_marketer.post(url, {"note": "", "_reject": "1"}, **en)
    assert response.status_code == 400 and "Say why" in response.content.decode()
    second_marketer.post(url, {"note": "Нет оснований", "_reject": "1"}, **en)
    request.refresh_from_db()
    assert (request.status, request.note) == (Status.REJECTED, "Нет оснований")


def test_analysts_read_the_requests_but_cannot_decide(marketer_client, analyst_client, member, en):
    set_program(approval_threshold=1000)
    _ask(marketer_client, member, 2000, en)
    request = AdjustmentRequest.objects.get(member=member)
    listing = analyst_client.get(reverse("admin:loyalty_adjustmentrequest_changelist"), **en)
    assert listing.status_code == 200 and member.phone not in listing.content.decode()
    response = analyst_client.post(
        reverse("admin:loyalty_adjustmentrequest_decide", args=[request.pk]),
        {"_approve": "1"},
        **en,
    )
    assert response.status_code == 403


def test_the_threshold_is_in_the_program_form(admin_client, en):
    page = admin_client.get(reverse("admin:loyalty_program_change", args=[1]), **en)
    assert 'name="approval_threshold"' in page.content.decode()
