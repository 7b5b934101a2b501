import pytest
from django.contrib.auth.models import Group
from django.utils import translation

from customers.login_throttle import MAX_FAILURES
from tests.factories import StoreFactory, UserFactory

PASSWORD = "pass-Word-42"


@pytest.fixture
def cashier(db):
    user = UserFactory(username="kassa", store=StoreFactory())
    user.groups.add(Group.objects.get_or_create(name="cashier")[0])
    return user


@pytest.mark.parametrize("path", ["/desk/login/", "/admin/login/"])
def test_after_five_wrong_passwords_even_the_right_one_is_refused(client, cashier, path):
    if path.startswith("/admin"):
        cashier.is_superuser = True
        cashier.save()
    for _ in range(MAX_FAILURES):
        response = client.post(path, {"username": "kassa", "password": "wrong"})
        assert response.status_code == 200  # the form again, with an error
    with translation.override("en"):
        response = client.post(
            path, {"username": "kassa", "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="en"
        )
    assert response.status_code == 200
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_successful_login_clears_the_count(client, cashier):
    for _ in range(MAX_FAILURES - 1):
        client.post("/desk/login/", {"username": "kassa", "password": "wrong"})
    response = client.post("/desk/login/", {"username": "kassa", "password": PASSWORD})
    assert response.status_code == 302
    client.logout()
    for _ in range(MAX_FAILURES - 1):
        client.post("/desk/login/", {"username": "kassa", "password": "wrong"})
    response = client.post("/desk/login/", {"username": "kassa", "password": PASSWORD})
    assert response.status_code == 302
