"""Who may open the cashier desk."""

import pytest
from django.contrib.auth.models import Group

from desk.access import member_ref
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_stranger_is_sent_to_the_desk_login(client):
    response = client.get("/desk/")
    assert response.status_code == 302
    assert response["Location"].startswith("/desk/login/")


def test_a_cashier_signs_in_on_the_desk_login_page(client, cashier):
    page = client.get("/desk/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert b'id="login-form"' in page.content
    response = client.post("/desk/login/", {"username": "kassa1", "password": "pass-Word-42"})
    assert response.status_code == 302
    assert response["Location"] == "/desk/"
    assert client.get("/desk/").status_code == 200


def test_a_user_neither_staff_nor_cashier_cannot_sign_in(client, store):
    UserFactory(username="someone", is_staff=False, store=store)
    response = client.post(
        "/desk/login/",
        {"username": "someone", "password": "pass-Word-42"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert b"This account cannot use the cashier desk." in response.content
    assert "_auth_user_id" not in client.session


def test_a_signed_in_user_without_the_cashier_group_is_refused(client, store):
    user = UserFactory(username="someone", is_staff=False, store=store)
    client.force_login(user)
    response = client.get("/desk/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert b"This account cannot use the cashier desk." in response.content


def test_a_member_session_does_not_open_the_desk(client, member):
    session = client.session
    session["member_id"] = member.pk  # whatever the cabinet keeps, it is not a staff login
    session.save()
    response = client.get("/desk/")
    assert response.status_code == 302
    assert response["Location"].startswith("/desk/login/")


def test_a_marketer_with_staff_rights_may_use_the_desk(client, store):
    marketer = UserFactory(username="marketer", is_staff=True, store=None)
    marketer.groups.add(Group.objects.get(name="marketer"))
    client.force_login(marketer)
    assert client.get("/desk/").status_code == 200


def test_a_cashier_works_the_desk_without_staff_status(desk, cashier):
    assert cashier.is_staff is False
    assert desk.get("/desk/").status_code == 200
    assert desk.get("/admin/").status_code == 302  # the back-office is not a cashier's


def test_an_analyst_sees_no_members_so_cannot_use_the_desk(client, store):
    analyst = UserFactory(username="analyst", is_staff=True, store=store)
    analyst.groups.add(Group.objects.get(name="analyst"))
    client.force_login(analyst)
    response = client.get("/desk/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert b"This account cannot use the cashier desk." in response.content


def test_staff_without_any_role_cannot_use_the_desk(client, store):
    client.force_login(UserFactory(username="bare-staff", is_staff=True, store=store))
    assert client.get("/desk/").status_code == 403


def test_sign_out_returns_to_the_login_page(desk):
    response = desk.post("/desk/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/desk/login/"
    assert desk.get("/desk/").status_code == 302


def test_a_member_link_of_another_cashier_does_not_open(desk, member, store):
    other = UserFactory(username="kassa2", is_staff=True, store=store)
    assert desk.get(f"/desk/m/{member_ref(member.pk, other)}/").status_code == 404
    assert desk.get("/desk/m/forged-reference/").status_code == 404
