"""The Content-Security-Policy in a real browser: the cabinet, the desk, the admin and the API
docs are served with it and run without a single violation (no inline code left unblessed)."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from playwright.sync_api import expect

from desk.access import CASHIER_GROUP, member_ref
from tests.cabinet.conftest import login_as
from tests.factories import StoreFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def session_cookie(client: Client, base_url: str) -> dict:
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}


def test_cabinet_desk_admin_and_api_docs_run_under_the_policy_without_violations(
    live_server, page, member, partner
):
    page.set_default_timeout(15_000)
    violations = []
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text
            and violations.append(f"{page.url}: {message.text}")
        ),
    )

    def visit(path: str):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        policy = response.headers.get("content-security-policy", "")
        assert "default-src 'self'" in policy, path
        page.wait_for_load_state("load")

    member_client = login_as(Client(), member)
    page.context.add_cookies([session_cookie(member_client, live_server.url)])
    for path in ("/", "/profile/", "/history/"):
        visit(path)
    expect(page.locator(".card-barcode")).to_have_count(0)  # the profile has no card ...
    visit("/")
    expect(page.locator(".card-barcode")).to_be_visible()  # ... home has, drawn under the CSP
    expect(page.locator("progress.progress")).to_be_visible()

    page.context.clear_cookies()
    admin = UserFactory(
        username="boss", is_superuser=True, store=StoreFactory(partner=partner, name="Тверская")
    )
    admin.groups.add(Group.objects.get_or_create(name=CASHIER_GROUP)[0])
    staff_client = Client()
    staff_client.force_login(admin)
    page.context.add_cookies([session_cookie(staff_client, live_server.url)])
    visit("/desk/")
    visit(f"/desk/m/{member_ref(member.pk, admin)}/")
    expect(page.locator("#id_total")).to_be_visible()
    for path in ("/admin/", "/admin/customers/member/", f"/admin/customers/member/{member.pk}/"):
        visit(path)

    visit("/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_be_visible()

    assert violations == []
