"""Partner API keys: created by command or in admin, shown once, stored hashed, revocable."""

import io

import pytest
from django.core.management import call_command

from loyalty.models import Partner, PartnerAPIKey
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db


def create_key(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_key", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_creates_the_partner_and_prints_a_working_key_alone_on_the_last_line(member):
    out, err = create_key("Demo shop")
    key = out.strip().splitlines()[-1]
    assert key == out.strip()
    assert "Demo shop" in err
    partner = Partner.objects.get(name="Demo shop")
    stored = PartnerAPIKey.objects.get(partner=partner)
    assert key not in (stored.hashed_key, stored.id)  # only the hash is kept
    assert ApiClient(key).get(f"/api/v1/members/{member.pk}").status_code == 200


def test_the_command_reuses_an_existing_partner(partner):
    create_key(partner.name)
    create_key(partner.name, "--name", "second till", "--expires-in-days", "30")
    assert Partner.objects.filter(name=partner.name).count() == 1
    keys = PartnerAPIKey.objects.filter(partner=partner)
    assert keys.count() == 2
    assert keys.get(name="second till").expiry_date is not None


def test_admin_shows_a_new_key_once_and_revokes_keys(admin_client, partner, member):
    response = admin_client.post(
        "/admin/loyalty/partnerapikey/add/",
        {"partner": partner.pk, "name": "web shop", "expiry_date_0": "", "expiry_date_1": ""},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    key = next(m for m in messages if "API key" in m).split(" is: ")[1].split(" ")[0]
    assert ApiClient(key).get(f"/api/v1/members/{member.pk}").status_code == 200

    api_key = PartnerAPIKey.objects.get(name="web shop")
    admin_client.post(
        "/admin/loyalty/partnerapikey/",
        {"action": "revoke", "_selected_action": [api_key.pk]},
    )
    api_key.refresh_from_db()
    assert api_key.revoked
    assert ApiClient(key).get(f"/api/v1/members/{member.pk}").status_code == 401
    listing = admin_client.get("/admin/loyalty/partnerapikey/")
    assert key not in listing.content.decode()
