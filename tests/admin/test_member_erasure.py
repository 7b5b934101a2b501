"""Erasing members' personal data from the back-office: asked once more, then done and logged."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from customers.models import DataRequest, Member
from tests.factories import make_member

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/customers/member/"


def test_the_erase_action_asks_for_confirmation_then_erases_and_logs_who(admin_client, admin_user):
    chosen, untouched = make_member(first_name="Анна"), make_member(first_name="Иван")
    action = {"action": "erase_personal_data", ACTION_CHECKBOX_NAME: [chosen.pk]}

    asked = admin_client.post(CHANGELIST, action)
    assert asked.status_code == 200
    assert 'name="confirm" value="yes"' in asked.content.decode()
    assert Member.objects.get(pk=chosen.pk).erased_at is None

    done = admin_client.post(CHANGELIST, {**action, "confirm": "yes"})
    assert done.status_code == 302
    erased = Member.objects.get(pk=chosen.pk)
    assert erased.erased_at is not None and erased.first_name == ""
    assert Member.objects.get(pk=untouched.pk).first_name == "Иван"
    request = DataRequest.objects.get(member=erased)
    assert (request.kind, request.source, request.staff) == ("erasure", "admin", admin_user)


def test_marketers_read_the_log_of_data_requests_and_nobody_edits_it(admin_client, db):
    from django.contrib.auth.models import Group

    marketer = Group.objects.get(name="marketer")
    assert marketer.permissions.filter(codename="view_datarequest").exists()
    assert admin_client.get("/admin/customers/datarequest/").status_code == 200
    assert admin_client.get("/admin/customers/datarequest/add/").status_code == 403
