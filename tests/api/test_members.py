"""Members through the partner API: enrol, look up, read, and the ledger."""

import datetime as dt

import pytest

from customers.models import Consent, Member
from loyalty.services import adjust_points, record_purchase
from tests.api.test_auth_and_errors import assert_error
from tests.factories import make_member

pytestmark = pytest.mark.django_db

MEMBER_KEYS = {
    "id",
    "card_number",
    "phone_masked",
    "status",
    "tier",
    "balance",
    "expiring",
    "next_tier",
}


def join(api, phone="8 (912) 555-01-02", **extra):
    body = {"phone": phone, "consents": {"personal_data": True, "marketing_sms": True}, **extra}
    return api.post("/api/v1/members", body)


def test_enrolling_returns_the_member_body_and_records_the_api_channel(api):
    response = join(api, first_name="Anna", email="anna@example.com")
    assert response.status_code == 201
    body = response.json()
    assert set(body) >= MEMBER_KEYS
    member = Member.objects.get(pk=body["id"])
    assert member.phone == "+79125550102"
    assert member.channel == Member.Channel.API
    assert body["phone_masked"] == "+7 *** ***-01-02"
    assert body["card_number"] == member.card_number
    assert body["status"] == "active"
    assert body["tier"] == {
        "code": "base",
        "name": "Base",
        "rate": "2.00",
        "rubles_per_point": "50.00",
    }
    assert body["balance"]["available"] == 0
    assert body["next_tier"] == {"code": "silver", "name": "Silver", "spend_needed": "10000.00"}
    kinds = set(member.consents.values_list("kind", flat=True))
    assert kinds == {Consent.Kind.PERSONAL_DATA, Consent.Kind.MARKETING_SMS}


def test_the_same_phone_in_another_notation_is_409_member_exists_with_its_id(api):
    first = join(api, phone="+7 912 555-01-02").json()
    body = assert_error(join(api, phone="89125550102"), 409, "member_exists")
    assert body["id"] == first["id"]


def test_joining_without_personal_data_consent_is_400(api):
    response = api.post(
        "/api/v1/members", {"phone": "+79125550102", "consents": {"personal_data": False}}
    )
    body = assert_error(response, 400, "consent_required")
    assert "consents" in body["fields"]
    assert not Member.objects.exists()


def test_an_invalid_phone_is_400(api):
    assert_error(join(api, phone="12345"), 400, "invalid_phone")


def test_an_unknown_referral_code_is_400(api):
    assert_error(join(api, referral_code="NOSUCH42"), 400, "invalid_referral_code")


def test_a_referral_code_links_the_new_member_to_the_referrer(api, member):
    body = join(api, referral_code=member.referral_code.lower()).json()
    assert Member.objects.get(pk=body["id"]).referred_by == member


def test_an_email_of_another_member_is_409(api):
    join(api, phone="+79125550102", email="a@example.com")
    assert_error(join(api, phone="+79125550103", email="A@example.com"), 409, "email_taken")


def test_missing_fields_are_400_with_field_messages(api):
    body = assert_error(api.post("/api/v1/members", {"consents": {}}), 400, "invalid_input")
    assert set(body["fields"]) == {"phone", "consents.personal_data"}


def test_members_are_shared_across_partners(api, other_partner_api):
    member_id = join(api).json()["id"]
    assert other_partner_api.get(f"/api/v1/members/{member_id}").json()["id"] == member_id


def test_lookup_by_phone_in_any_notation_and_by_card(api, member):
    digits = member.phone[2:]  # +7XXXXXXXXXX → the national number
    other_notation = f"8 ({digits[:3]}) {digits[3:6]}-{digits[6:8]}-{digits[8:]}"
    by_phone = api.get("/api/v1/members/lookup", {"phone": other_notation})
    assert by_phone.status_code == 200
    assert by_phone.json()["id"] == member.pk
    by_card = api.get("/api/v1/members/lookup", {"card": member.card_number})
    assert by_card.json()["id"] == member.pk


def test_lookup_of_nobody_is_404_member_not_found(api, member):
    assert_error(
        api.get("/api/v1/members/lookup", {"phone": "+79990000000"}), 404, "member_not_found"
    )
    assert_error(
        api.get("/api/v1/members/lookup", {"card": "2700000000000"}), 404, "member_not_found"
    )
    assert_error(
        api.get("/api/v1/members/lookup", {"phone": "not a phone"}), 404, "member_not_found"
    )


def test_lookup_needs_exactly_one_of_phone_and_card(api, member):
    assert_error(api.get("/api/v1/members/lookup"), 400, "invalid_input")
    both = {"phone": member.phone, "card": member.card_number}
    assert_error(api.get("/api/v1/members/lookup", both), 400, "invalid_input")


def test_an_unknown_member_is_404(api):
    assert_error(api.get("/api/v1/members/999999"), 404, "member_not_found")
    assert_error(api.get("/api/v1/members/999999/ledger"), 404, "member_not_found")


def test_the_member_shows_balance_expiring_points_and_progress_to_the_next_tier(
    api, member, partner, now
):
    adjust_points(member_id=member.pk, points=100, reason="gift", staff=None, now=now)
    record_purchase(
        member_id=member.pk, partner=partner, external_id="A1", amount="6000.00", now=now
    )
    body = api.get(f"/api/v1/members/{member.pk}").json()
    assert body["balance"] == {"available": 220, "pending": 0, "debt": 0, "next_activation": None}
    # Points live 6 months to the end of that day: 15 July is the last day to spend them.
    assert body["expiring"] == [{"date": "2026-07-15", "points": 220}]
    assert body["next_tier"]["spend_needed"] == "4000.00"


def test_the_ledger_is_newest_first_and_paginated(api, member, partner, now):
    for i in range(3):
        adjust_points(
            member_id=member.pk,
            points=10 + i,
            reason=f"gift {i}",
            staff=None,
            now=now + dt.timedelta(minutes=i),
        )
    page = api.get(f"/api/v1/members/{member.pk}/ledger", {"limit": 2}).json()
    assert [e["points"] for e in page["results"]] == [12, 11]
    entry = page["results"][0]
    assert set(entry) >= {"id", "kind", "points", "created_at", "purchase_id", "expires_at"}
    assert entry["kind"] == "adjust"
    assert entry["created_at"].endswith("+03:00")
    rest = api.client.get(page["next"], HTTP_AUTHORIZATION=f"Api-Key {api.key}").json()
    assert [e["points"] for e in rest["results"]] == [10]
    assert rest["next"] is None


@pytest.mark.parametrize("how", ["id", "phone", "card"])
def test_reading_a_member_costs_a_constant_number_of_queries(
    api, partner, now, how, django_assert_max_num_queries
):
    member = make_member(now=now)
    for i in range(5):
        record_purchase(
            member_id=member.pk,
            partner=partner,
            external_id=f"A{i}",
            amount="15000.00",
            now=now + dt.timedelta(days=i * 40),
        )
    path, params = {
        "id": (f"/api/v1/members/{member.pk}", None),
        "phone": ("/api/v1/members/lookup", {"phone": member.phone}),
        "card": ("/api/v1/members/lookup", {"card": member.card_number}),
    }[how]
    # The key, then the member with the account, balance, expiries and spend in one statement.
    with django_assert_max_num_queries(2):
        response = api.get(path, params)
    assert response.status_code == 200
