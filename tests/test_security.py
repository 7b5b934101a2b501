"""Deployment hardening: no start on a public key, a clean `check --deploy` with the production
settings, a Content-Security-Policy, and no cached copies of personal data."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.http import HttpResponse
from django.test import RequestFactory

from config.security import no_store
from desk.access import CASHIER_GROUP
from loyalty.models import PartnerAPIKey
from tests.api.conftest import ApiClient
from tests.cabinet.conftest import login_as
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[1]
STRONG_KEY = "k7Qm2vX9pL4sT8wZ1cN6bR3yH5jD0fG-aE_uI7oP2qW9eS4tY6"

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": STRONG_KEY,
    "ALLOWED_HOSTS": "loyalty.example.com",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "SESSION_COOKIE_SECURE": "true",
    "CSRF_COOKIE_SECURE": "true",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    # The test run's own settings stay out (the async escape hatch is for the test suite only).
    own = ("SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")
    base = {k: v for k, v in os.environ.items() if k not in own}
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env={**base, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- SECRET_KEY --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [None, "", "insecure-dev-only-change-me-in-production", "short-key"],
    ids=["unset", "empty", "public-default", "short"],
)
def test_the_server_refuses_to_start_outside_debug_without_a_real_secret_key(key):
    env = {"DEBUG": "false"} if key is None else {"DEBUG": "false", "SECRET_KEY": key}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY must be set" in result.stderr


def test_the_demo_runs_in_debug_on_the_development_key():
    result = run_manage("check", env={"DEBUG": "true"})
    assert result.returncode == 0, result.stderr


# --- check --deploy ----------------------------------------------------------------------------


@pytest.mark.slow
def test_check_deploy_is_clean_with_the_documented_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_readme_and_env_example_list_every_production_setting():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    for name in PRODUCTION:
        assert f"{name}=" in readme, name
        assert re.search(rf"^{name}=", example, re.MULTILINE), name


# --- Content-Security-Policy -------------------------------------------------------------------


def csp_directives(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


def test_pages_send_a_content_security_policy_without_unsafe_inline(client, db):
    response = client.get("/login/")
    assert response.status_code == 200
    policy = csp_directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["frame-ancestors"] == ["'none'"]
    for directive in ("script-src", "style-src"):
        assert "'self'" in policy[directive]
        assert "'unsafe-inline'" not in policy[directive]


def test_no_page_of_the_cabinet_has_an_inline_style_or_script_without_the_nonce(client, member):
    login_as(client, member)
    html = client.get("/").content.decode()
    assert "<svg" in html  # the card's QR code and barcode are inline SVG ...
    assert "style=" not in html  # ... drawn with presentation attributes, not style attributes
    assert "<progress" in html
    assert not re.search(r"<(script|style)(?![^>]*\b(src|nonce)=)[^>]*>", html)


def test_the_api_docs_page_runs_its_inline_script_with_the_nonce(db):
    response = ApiClient(None).get("/api/docs/")  # through the API's own middleware chain
    assert response.status_code == 200
    assert csp_directives(response)["default-src"] == ["'self'"]
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    html = response.content.decode()
    assert f'<script nonce="{nonce}">' in html
    assert f'<style nonce="{nonce}">' in html


def test_api_json_answers_get_a_policy_that_allows_nothing(partner, member):
    _obj, key = PartnerAPIKey.objects.create_key(partner=partner, name="till")
    answer = ApiClient(key).get("/api/v1/members/lookup", {"card": member.card_number})
    assert answer.status_code == 200
    assert csp_directives(answer) == {"default-src": ["'none'"], "frame-ancestors": ["'none'"]}


def test_admin_lists_without_action_bars_style_their_table_with_the_nonce(
    admin_client, monkeypatch
):
    from django.contrib import admin

    from customers.models import Member

    monkeypatch.setattr(admin.site._registry[Member], "actions_on_top", False)
    response = admin_client.get("/admin/customers/member/")
    assert response.status_code == 200
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    assert f'<style nonce="{nonce}">' in response.content.decode()


# --- Cache-Control: no-store -------------------------------------------------------------------


def assert_no_store(response):
    cache_control = {p.strip() for p in response.headers.get("Cache-Control", "").split(",")}
    assert {"no-store", "private"} <= cache_control, response.headers.get("Cache-Control")


def test_cabinet_pages_are_never_stored_by_a_cache(client, member):
    login_as(client, member)
    for path in ("/", "/history/", "/profile/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_no_store(response)


def test_desk_pages_are_never_stored_by_a_cache(client, store):
    cashier = UserFactory(username="kassa-ns", is_staff=False, store=store)
    cashier.groups.add(Group.objects.get_or_create(name=CASHIER_GROUP)[0])
    client.force_login(cashier)
    response = client.get("/desk/")
    assert response.status_code == 200
    assert_no_store(response)


def test_admin_pages_are_never_stored_by_a_cache(admin_client):
    response = admin_client.get("/admin/customers/member/")
    assert response.status_code == 200
    assert_no_store(response)


def test_api_answers_are_never_stored_by_a_cache(partner, member):
    _obj, key = PartnerAPIKey.objects.create_key(partner=partner, name="till")
    answer = ApiClient(key).get("/api/v1/members/lookup", {"card": member.card_number})
    assert answer.status_code == 200
    assert_no_store(answer)
    refused = ApiClient(None).get("/api/v1/members/lookup", {"card": member.card_number})
    assert refused.status_code == 401
    assert_no_store(refused)


def test_static_files_and_the_health_check_keep_their_caching(client, db):
    assert "no-store" not in client.get("/healthz").headers.get("Cache-Control", "")
    cacheable = HttpResponse("body { }", content_type="text/css")
    cacheable["Cache-Control"] = "max-age=3600, public"
    middleware = no_store(lambda request: cacheable)
    response = middleware(RequestFactory().get("/static/cabinet/cabinet.css"))
    assert response["Cache-Control"] == "max-age=3600, public"
