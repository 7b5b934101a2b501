"""Staff logins (desk and back-office): five password checks per user name per 15 minutes,
counted in the database so that every server process shares them."""

from contextlib import contextmanager

import pytest
from django.contrib.auth.models import Group
from django.test import Client, override_settings
from django.utils import translation

from customers.login_throttle import MAX_FAILURES
from tests.factories import StoreFactory, UserFactory
from tests.race import race

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


@contextmanager
def worker(name: str):
    """Serve the requests inside as another server process would: with its own memory (a
    cache of its own), sharing only the database."""
    backend = "django.core.cache.backends.locmem.LocMemCache"
    with override_settings(CACHES={"default": {"BACKEND": backend, "LOCATION": name}}):
        yield


def test_wrong_passwords_spread_over_two_workers_lock_the_account_after_five(client, cashier):
    answers = []
    for attempt in range(9):
        with worker("a" if attempt % 2 == 0 else "b"):
            response = client.post(
                "/desk/login/",
                {"username": "kassa", "password": "wrong"},
                HTTP_ACCEPT_LANGUAGE="en",
            )
        answers.append("Too many failed attempts" in response.content.decode())
    assert answers == [False] * 5 + [True] * 4
    with worker("b"):
        response = client.post("/desk/login/", {"username": "kassa", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db(transaction=True)
def test_nine_wrong_passwords_at_once_get_five_password_checks(cashier):
    def attempt():
        response = Client().post(
            "/desk/login/", {"username": "kassa", "password": "wrong"}, HTTP_ACCEPT_LANGUAGE="en"
        )
        return "Too many failed attempts" in response.content.decode()

    outcomes = race(*[attempt] * 9)
    assert sorted(outcomes) == [False] * 5 + [True] * 4, outcomes


def test_behind_a_proxy_each_client_has_its_own_ip_count(client, settings, cashier, monkeypatch):
    settings.TRUSTED_PROXY_COUNT = 1
    monkeypatch.setattr("customers.login_throttle.MAX_FAILURES_PER_IP", 3)
    proxy = {"REMOTE_ADDR": "192.168.0.2", "HTTP_ACCEPT_LANGUAGE": "en"}

    def log_in(username, password, client_address):
        data = {"username": username, "password": password}
        return client.post("/desk/login/", data, HTTP_X_FORWARDED_FOR=client_address, **proxy)

    for name in ("anna", "boris", "vera"):  # the IP limit, by one client over several names
        log_in(name, "guess", "203.0.113.9")
    refused = log_in("kassa", PASSWORD, "203.0.113.9")
    assert "Too many failed attempts" in refused.content.decode()
    # Another customer behind the same proxy is not held up by the first one.
    assert log_in("kassa", PASSWORD, "198.51.100.4").status_code == 302
