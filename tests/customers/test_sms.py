"""The SMS gateway adapter (SMSC.ru's HTTP API) against a real local HTTP server: timeouts and
5xx answers are retried with backoff, the gateway's errors are told apart as temporary or
permanent."""

import json
import socket
from urllib.parse import parse_qs

import pytest
from django.urls import reverse

from customers.sms import HttpSMSBackend, SMSPermanentError, SMSTemporaryError
from tests.http_stub import HANG, StubServer

PATH = "/sys/send.php"
OK = (200, json.dumps({"id": 42, "cnt": 1}).encode())


def error(code: int) -> tuple[int, bytes]:
    return (200, json.dumps({"error": "описание", "error_code": code}).encode())


@pytest.fixture
def gateway(settings):
    stub = StubServer().start()
    settings.SMS_GATEWAY_URL = stub.url(PATH)
    settings.SMS_GATEWAY_LOGIN = "shop"
    settings.SMS_GATEWAY_PASSWORD = "secret"
    settings.SMS_GATEWAY_API_KEY = ""
    settings.SMS_GATEWAY_SENDER = "Kopilka"
    settings.SMS_GATEWAY_CONNECT_TIMEOUT = 2
    settings.SMS_GATEWAY_READ_TIMEOUT = 0.3
    settings.SMS_GATEWAY_RETRIES = 2
    settings.SMS_GATEWAY_BACKOFF = 0
    yield stub
    stub.stop()


def sent_form(request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.body.decode()).items()}


def test_an_sms_is_posted_with_the_credentials_the_number_and_the_text_in_utf8(gateway):
    gateway.script(PATH, OK)
    assert HttpSMSBackend().send("+79161234567", "Ваш код: 123456") == "42"
    (request,) = gateway.hits(PATH)
    assert sent_form(request) == {
        "login": "shop",
        "psw": "secret",
        "phones": "+79161234567",
        "mes": "Ваш код: 123456",
        "fmt": "3",
        "charset": "utf-8",
        "sender": "Kopilka",
    }


def test_an_api_key_replaces_login_and_password(gateway, settings):
    settings.SMS_GATEWAY_API_KEY = "k-123"
    HttpSMSBackend().send("+79161234567", "Привет")
    form = sent_form(gateway.hits(PATH)[0])
    assert form["apikey"] == "k-123" and "login" not in form and "psw" not in form


def test_a_5xx_answer_is_retried_and_the_next_answer_counts(gateway):
    gateway.script(PATH, (502, b"Bad Gateway"), OK)
    assert HttpSMSBackend().send("+79161234567", "Привет") == "42"
    assert len(gateway.hits(PATH)) == 2


def test_a_gateway_that_keeps_failing_is_a_temporary_failure_after_the_retries(gateway):
    gateway.script(PATH, (503, b""), (503, b""), (503, b""), OK)
    with pytest.raises(SMSTemporaryError, match="HTTP 503"):
        HttpSMSBackend().send("+79161234567", "Привет")
    assert len(gateway.hits(PATH)) == 3  # the first try and SMS_GATEWAY_RETRIES more


def test_a_gateway_that_does_not_answer_in_time_is_retried(gateway):
    gateway.script(PATH, HANG, OK)
    assert HttpSMSBackend().send("+79161234567", "Привет") == "42"
    assert len(gateway.hits(PATH)) == 2


def test_a_gateway_that_never_answers_in_time_is_a_temporary_failure(gateway):
    gateway.script(PATH, HANG, HANG, HANG)
    with pytest.raises(SMSTemporaryError, match="unreachable"):
        HttpSMSBackend().send("+79161234567", "Привет")
    assert len(gateway.hits(PATH)) == 3


def test_a_refused_connection_is_a_temporary_failure(settings, gateway):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(SMSTemporaryError, match="unreachable"):
        HttpSMSBackend(url=f"http://127.0.0.1:{port}/sys/send.php").send("+79161234567", "x")


@pytest.mark.parametrize("code", [1, 6, 7, 8])
def test_errors_about_the_message_itself_are_permanent(gateway, code):
    gateway.script(PATH, error(code))
    with pytest.raises(SMSPermanentError, match=f"error {code}"):
        HttpSMSBackend().send("+79161234567", "Привет")


@pytest.mark.parametrize("code", [2, 3, 4, 9])
def test_errors_about_the_account_or_the_moment_are_temporary(gateway, code):
    gateway.script(PATH, error(code))
    with pytest.raises(SMSTemporaryError, match=f"error {code}"):
        HttpSMSBackend().send("+79161234567", "Привет")


def test_a_retried_request_refused_as_a_duplicate_was_sent_by_the_first_attempt(gateway):
    gateway.script(PATH, HANG, error(9))
    HttpSMSBackend().send("+79161234567", "Привет")  # no error: the first request got through
    assert len(gateway.hits(PATH)) == 2


def test_missing_credentials_are_a_temporary_failure_and_nothing_is_sent(gateway, settings):
    settings.SMS_GATEWAY_LOGIN = ""
    with pytest.raises(SMSTemporaryError, match="credentials"):
        HttpSMSBackend().send("+79161234567", "Привет")
    assert gateway.requests == []


def test_an_answer_that_is_not_json_is_a_temporary_failure(gateway):
    gateway.script(PATH, (200, b"<html>maintenance</html>"))
    with pytest.raises(SMSTemporaryError, match="not JSON"):
        HttpSMSBackend().send("+79161234567", "Привет")


@pytest.mark.django_db
def test_a_gateway_outage_at_login_shows_a_clear_error_not_a_500(gateway, settings, client, member):
    settings.SMS_BACKEND = "customers.sms.HttpSMSBackend"
    gateway.script(PATH, (503, b""), (503, b""), (503, b""))
    response = client.post(
        reverse("cabinet:login"), {"target": member.phone}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "We could not send the code just now" in response.content.decode()
