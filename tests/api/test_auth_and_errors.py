"""Who may call the API, and that every failure answers JSON {"code", "detail", "fields"}."""

import datetime as dt

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

    monkeypatch.setattr("loyalty.api.views.member_summary", boom)
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
