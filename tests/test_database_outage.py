"""While the database cannot be reached, the site, the partner API and the health check answer
503 with Retry-After — never a 500, and never with the database's address.

Two outages, both deterministic: the connection's server refuses connections (a port bound but
not listening), and the server ends the connection under us (pg_terminate_backend, which waits
until the backend has gone).
"""

import json
import socket

import psycopg
import pytest
from django.db import IntegrityError, InterfaceError, OperationalError, connection

from core.outage import RETRY_AFTER_SECONDS, is_database_unavailable
from loyalty.models import PartnerAPIKey
from tests.api.conftest import ApiClient
from tests.cabinet.conftest import login_as


@pytest.fixture
def api(transactional_db, partner):
    _obj, key = PartnerAPIKey.objects.create_key(partner=partner, name="till")
    return ApiClient(key)


@pytest.fixture
def database_refuses_connections(transactional_db):
    """Point the connection at a port where nothing listens: every connect is refused."""
    settings_dict = connection.settings_dict
    saved = settings_dict["HOST"], settings_dict["PORT"]
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        connection.close()
        settings_dict["HOST"], settings_dict["PORT"] = closed.getsockname()
        try:
            yield closed.getsockname()
        finally:
            connection.close()
            settings_dict["HOST"], settings_dict["PORT"] = saved


@pytest.fixture
def terminate_connection(transactional_db):
    """Returns a function that makes the server end this test's connection, as a restart does."""

    def terminate():
        connection.ensure_connection()
        pid = connection.connection.info.backend_pid
        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        params.pop("prepare_threshold", None)
        with psycopg.connect(**params, autocommit=True) as other:
            # With a timeout, pg_terminate_backend waits until the backend has exited.
            ended = other.execute("SELECT pg_terminate_backend(%s, 5000)", [pid]).fetchone()[0]
        assert ended

    yield terminate
    connection.close()  # the next use reconnects


def assert_api_503(response):
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert body["code"] == "service_unavailable"
    assert body["retry_after"] == RETRY_AFTER_SECONDS
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["fields"] == {}


def test_the_api_answers_503_with_retry_after_while_the_database_refuses_connections(
    api, member, database_refuses_connections
):
    assert_api_503(api.get(f"/api/v1/members/{member.pk}"))
    assert_api_503(api.post("/api/v1/purchases/quote", {"member_id": member.pk, "amount": "10"}))


def test_the_api_answers_503_when_the_server_ends_the_connection(api, member, terminate_connection):
    assert api.get(f"/api/v1/members/{member.pk}").status_code == 200
    terminate_connection()
    assert_api_503(api.get(f"/api/v1/members/{member.pk}"))


def test_the_api_answers_again_once_the_database_is_back(api, member, terminate_connection):
    terminate_connection()
    assert_api_503(api.get(f"/api/v1/members/{member.pk}"))
    connection.close()  # what Django does at the end of a request with an unusable connection
    assert api.get(f"/api/v1/members/{member.pk}").status_code == 200


def test_a_cabinet_page_answers_a_503_page_while_the_database_is_away(
    client, member, terminate_connection
):
    login_as(client, member)
    assert client.get("/history/").status_code == 200
    terminate_connection()
    response = client.get("/history/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "Temporarily unavailable" in response.content.decode()


def test_the_login_page_answers_503_in_russian_while_the_database_refuses_connections(
    client, database_refuses_connections
):
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "Временно недоступно" in response.content.decode()


def test_healthz_says_only_that_the_database_is_unavailable(client, database_refuses_connections):
    host, port = database_refuses_connections
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response.json() == {"status": "error", "database": "unavailable"}
    assert host not in response.content.decode() and str(port) not in response.content.decode()


def _wrapped(django_error, cause):
    try:
        raise django_error("wrapped") from cause
    except django_error as exc:
        return exc


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (_wrapped(OperationalError, psycopg.OperationalError("connection refused")), True),
        (_wrapped(OperationalError, psycopg.errors.AdminShutdown()), True),
        (_wrapped(OperationalError, psycopg.errors.CannotConnectNow()), True),
        (_wrapped(OperationalError, psycopg.errors.TooManyConnections()), True),
        (_wrapped(OperationalError, psycopg.errors.ConnectionFailure()), True),
        (InterfaceError("connection already closed"), True),
        # Errors of a statement are bugs or contention, not an outage: they stay 500s.
        (_wrapped(OperationalError, psycopg.errors.DeadlockDetected()), False),
        (_wrapped(OperationalError, psycopg.errors.QueryCanceled()), False),
        (_wrapped(IntegrityError, psycopg.errors.UniqueViolation()), False),
        (RuntimeError("not a database error"), False),
    ],
    ids=repr,
)
def test_only_errors_of_reaching_the_database_count_as_an_outage(error, unavailable):
    assert is_database_unavailable(error) is unavailable


def test_an_integrity_error_in_the_api_is_still_a_500(client, member, monkeypatch, db, partner):
    _obj, key = PartnerAPIKey.objects.create_key(partner=partner, name="till")
    api = ApiClient(key)

    def duplicate(*args, **kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr("api.views.member_summary", duplicate)
    api.client.raise_request_exception = False
    response = api.get(f"/api/v1/members/{member.pk}")
    assert response.status_code == 500
    assert response.json()["code"] == "server_error"
    assert "retried" not in response.json()["detail"]
