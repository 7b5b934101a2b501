"""The desk activity log in admin: readable and filterable, never editable."""

import pytest
from django.utils import timezone

from cabinet.models import FaqEntry
from desk.models import DeskActivity
from loyalty.selectors import staff_store

pytestmark = pytest.mark.django_db


def test_a_marketer_reads_the_desk_activity_log_filtered_by_action(admin_client, cashier):
    DeskActivity.objects.create(
        user=cashier,
        store=staff_store(cashier),
        action="denied",
        query="",
        created_at=timezone.now(),
    )
    response = admin_client.get("/admin/desk/deskactivity/", {"action__exact": "denied"})
    assert response.status_code == 200
    assert "kassa1" in response.content.decode()
    assert admin_client.get("/admin/desk/deskactivity/add/").status_code == 403


def test_the_log_cannot_be_changed_or_deleted(admin_client, cashier):
    row = DeskActivity.objects.create(user=cashier, action="lookup", created_at=timezone.now())
    response = admin_client.post(f"/admin/desk/deskactivity/{row.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert DeskActivity.objects.filter(pk=row.pk).exists()


def test_faq_entries_are_edited_in_admin(admin_client):
    FaqEntry.objects.create(question="Как копить?", answer="Покупайте.")
    assert admin_client.get("/admin/cabinet/faqentry/").status_code == 200
    assert admin_client.get("/admin/cabinet/faqentry/add/").status_code == 200
