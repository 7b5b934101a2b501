"""Who may call the API, and that every failure answers JSON {"code", "detail", "fields"}."""

import datetime as dt
from contextlib import contextmanager

import pytest
from django.test import override_settings
from django.utils import timezone

from loyalty.models import PartnerAPIKey
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["fields"], dict)
    return body


def test_a_request_without_a_key_is_401_with_the_scheme_to_use(anonymous, member):
    response = anonymous.get(f"/api/v1/members/{member.pk}")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Api-Key"


@pytest.mark.parametrize(
    "header",
    ["Api-Key nonsense", "Api-Key abc.def", "Bearer whatever", "Api-Key ", "Api-Key a\tb.c"],
)
def test_a_malformed_or_unknown_key_is_401(member, header):
    client = ApiClient(None)
    response = client.get(f"/api/v1/members/{member.pk}", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["code"] in {"authentication_failed", "not_authenticated"}


def test_a_bare_key_without_its_scheme_says_the_prefix_is_missing(api_key, member):
    """Pasting the key alone into the docs' Authorize box must not read "credentials were not
    provided": the answer names the missing "Api-Key " prefix."""
    client = ApiClient(None)
    response = client.get(
        f"/api/v1/members/{member.pk}", HTTP_AUTHORIZATION=api_key, HTTP_ACCEPT_LANGUAGE="en"
    )
    body = assert_error(response, 401, "authentication_failed")
    assert "“Api-Key ” prefix is missing" in body["detail"]
    response = client.get(
        f"/api/v1/members/{member.pk}", HTTP_AUTHORIZATION=api_key, HTTP_ACCEPT_LANGUAGE="ru"
    )
    assert "Api-Key" in response.json()["detail"] and "префикс" in response.json()["detail"]


def test_a_key_with_a_wrong_secret_is_401(api_key, member):
    prefix, _secret = api_key.split(".")
    client = ApiClient(f"{prefix}.{'x' * 32}")
    assert_error(client.get(f"/api/v1/members/{member.pk}"), 401, "authentication_failed")


def test_a_revoked_key_is_401(api, api_key, member):
    assert api.get(f"/api/v1/members/{member.pk}").status_code == 200
    PartnerAPIKey.objects.filter(prefix=api_key.split(".")[0]).update(revoked=True)
    assert_error(api.get(f"/api/v1/members/{member.pk}"), 401, "authentication_failed")


def test_an_expired_key_is_401(api, api_key, member):
    PartnerAPIKey.objects.filter(prefix=api_key.split(".")[0]).update(
        expiry_date=timezone.now() - dt.timedelta(minutes=1)
    )
    assert_error(api.get(f"/api/v1/members/{member.pk}"), 401, "authentication_failed")


def test_a_key_of_a_deactivated_partner_is_401(api, partner, member):
    partner.is_active = False
    partner.save()
    assert_error(api.get(f"/api/v1/members/{member.pk}"), 401, "authentication_failed")


def test_authentication_costs_one_query(api, member, django_assert_num_queries):
    # The key (with its partner) in one query, then the ledger's own two: member check, page.
    with django_assert_num_queries(3):
        response = api.get(f"/api/v1/members/{member.pk}/ledger", {"limit": 1})
    assert response.status_code == 200


def test_an_unknown_path_is_a_json_404(api):
    assert_error(api.get("/api/v1/nothing-here"), 404, "not_found")
    assert_error(api.post("/api/v1/members/"), 404, "not_found")  # no trailing slashes


def test_an_unknown_path_is_written_like_every_other_error(api):
    # Compact UTF-8, as DRF renders the rest: Russian text, not \u escapes.
    body = api.get("/api/v1/nothing-here", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert body == '{"code":"not_found","detail":"Такого эндпоинта нет.","fields":{}}'


def test_a_wrong_method_is_a_json_405(api):
    assert_error(api.generic("DELETE", "/api/v1/purchases"), 405, "method_not_allowed")


def test_a_body_that_is_not_json_is_a_json_400(api):
    response = api.client.post(
        "/api/v1/purchases/quote",
        "{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {api.key}",
    )
    assert_error(response, 400, "parse_error")


def test_an_unexpected_failure_is_a_json_500(api, member, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr("api.views.member_summary", boom)
    api.client.raise_request_exception = False
    body = assert_error(api.get(f"/api/v1/members/{member.pk}"), 500, "server_error")
    assert "fire" not in body["detail"]


def test_requests_over_the_rate_are_429_with_retry_after(api, member):
    rest = {
        "DEFAULT_THROTTLE_RATES": {"partner_key": "3/min"},
    }
    from django.conf import settings

    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, **rest}):
        statuses = [api.get(f"/api/v1/members/{member.pk}").status_code for _ in range(4)]
        response = api.get(f"/api/v1/members/{member.pk}")
    assert statuses == [200, 200, 200, 429]
    body = assert_error(response, 429, "throttled")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert body["retry_after"] == int(response["Retry-After"])


def test_the_rate_is_counted_per_key(api, other_partner_api, member):
    from django.conf import settings

    rest = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"partner_key": "1/min"}}
    with override_settings(REST_FRAMEWORK=rest):
        assert api.get(f"/api/v1/members/{member.pk}").status_code == 200
        assert api.get(f"/api/v1/members/{member.pk}").status_code == 429
        assert other_partner_api.get(f"/api/v1/members/{member.pk}").status_code == 200


def test_the_schema_and_the_docs_are_public(anonymous):
    schema = anonymous.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/purchases/{id}/refunds" in schema.content
    docs = anonymous.get("/api/docs/")
    assert docs.status_code == 200
    # Swagger UI is served from our own static files (drf-spectacular-sidecar), not a CDN.
    assert b"/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in docs.content
    assert b"cdn.jsdelivr" not in docs.content


@pytest.mark.parametrize(
    ("accept", "language", "detail"),
    [("en", "en", "The API key is not valid."), ("ru-RU,ru;q=0.9", "ru", None), ("", "ru", None)],
)
def test_messages_follow_accept_language_russian_by_default(member, accept, language, detail):
    client = ApiClient("abc.def")
    client.client = type(client.client)(HTTP_ACCEPT_LANGUAGE=accept)
    from tests.api.conftest import APIClientHandler

    client.client.handler = APIClientHandler(enforce_csrf_checks=False)
    response = client.get(f"/api/v1/members/{member.pk}")
    body = assert_error(response, 401, "authentication_failed")
    assert response["Content-Language"] == language
    assert "Accept-Language" in response["Vary"]
    if detail is not None:
        assert body["detail"] == detail
    else:
        assert body["detail"] != "The API key is not valid."
        assert any("а" <= ch <= "я" for ch in body["detail"].lower())


# --- limits shared by every server process -------------------------------------------------


@pytest.fixture
def workers(monkeypatch):
    """`with workers("a"):` serves the requests inside as server process "a" would: with its
    own memory (its cache, what it spent of the rate, the IPs it refuses), sharing only the
    database with the other processes."""
    from api import auth

    memories = {}

    @contextmanager
    def worker(name: str):
        if name not in memories:
            memories[name] = (auth.SharedAllowance(), auth.FailedKeys())
        allowance, failed = memories[name]
        monkeypatch.setattr(auth, "shared_allowance", allowance, raising=False)
        monkeypatch.setattr(auth, "failed_keys", failed, raising=False)
        backend = "django.core.cache.backends.locmem.LocMemCache"
        with override_settings(CACHES={"default": {"BACKEND": backend, "LOCATION": name}}):
            yield

    return worker


def with_rates(**rates):
    from django.conf import settings

    merged = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates}
    return override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": merged}
    )


def test_the_rate_holds_across_two_workers(api, member, workers):
    statuses = []
    with with_rates(partner_key="3/min"):
        for i in range(6):
            with workers("a" if i % 2 == 0 else "b"):
                statuses.append(api.get(f"/api/v1/members/{member.pk}").status_code)
    assert statuses == [200, 200, 200, 429, 429, 429]


def test_two_processes_together_stay_within_limit_plus_workers_plus_one_chunks():
    from api.auth import SharedAllowance

    limit, chunk = 1000, SharedAllowance.chunk(1000)
    processes = [SharedAllowance(), SharedAllowance()]
    allowed = 0
    for i in range(3000):
        wait = processes[i % 2].allow("api-throttle:1", limit=limit, seconds=60)
        allowed += wait is None
    assert chunk == 10
    assert limit <= allowed <= limit + 3 * chunk


def test_a_process_reports_the_rate_once_per_chunk_of_requests(django_assert_num_queries):
    from api.auth import SharedAllowance

    process = SharedAllowance()
    with django_assert_num_queries(0):
        for _ in range(SharedAllowance.chunk(6000) - 1):
            assert process.allow("api-throttle:1", limit=6000, seconds=60) is None


def test_wrong_keys_from_one_ip_get_429_after_twenty_a_minute(api, member, workers):
    stranger = ApiClient("abcdefgh." + "x" * 32)
    path = f"/api/v1/members/{member.pk}"
    with workers("a"):
        statuses = [stranger.get(path).status_code for _ in range(20)]
        response = stranger.get(path)
    assert statuses == [401] * 20
    body = assert_error(response, 429, "throttled")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert body["retry_after"] == int(response["Retry-After"])
    with workers("b"):  # another process refuses the IP after its first failure
        assert stranger.get(path).status_code == 429
        assert ApiClient("nonsense").get(path).status_code == 429  # malformed keys too
        # A partner calling from another address is not held up.
        assert api.get(path, REMOTE_ADDR="198.51.100.7").status_code == 200


def test_a_well_formed_known_key_costs_no_query_for_the_wrong_key_limit(
    api, member, django_assert_num_queries
):
    ApiClient("abcdefgh." + "x" * 32).get(f"/api/v1/members/{member.pk}")  # one failure
    with django_assert_num_queries(3):  # the key, then the ledger's two
        response = api.get(f"/api/v1/members/{member.pk}/ledger", {"limit": 1})
    assert response.status_code == 200
