"""Checks without a card through the partner API: recorded for analytics only, once per key and
once per check number of the partner."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from loyalty.models import GuestCheck, LedgerEntry, Purchase
from loyalty.services import record_purchase
from tests.api.test_auth_and_errors import assert_error
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/guest-checks"


def sell(api, key="gk-1", **body):
    payload = {"external_id": "0001-000124", "total": "1249.90", **body}
    return api.post(URL, payload, idempotency_key=key)


def test_a_check_without_a_card_is_recorded_201_and_moves_no_points(api, partner, store):
    response = sell(api, store_id=store.pk, channel="till", occurred_at="2026-01-15T12:05:00+03:00")

    assert response.status_code == 201, response.content
    body = response.json()
    check = GuestCheck.objects.get()
    assert body == {
        "id": check.pk,
        "external_id": "0001-000124",
        "store_id": store.pk,
        "occurred_at": "2026-01-15T12:05:00+03:00",
        "total": "1249.90",
        "channel": "till",
    }
    assert (check.partner_id, check.total, check.channel) == (
        partner.pk,
        Decimal("1249.90"),
        "till",
    )
    assert not LedgerEntry.objects.exists() and not Purchase.objects.exists()


def test_without_a_time_the_check_is_paid_now_through_the_api_channel(api):
    before = timezone.now()
    sell(api)
    check = GuestCheck.objects.get()
    assert check.channel == "api" and check.store_id is None
    assert before <= check.occurred_at <= timezone.now()


def test_a_check_needs_an_idempotency_key(api):
    assert_error(
        api.post(URL, {"external_id": "1", "total": "10.00"}), 400, "idempotency_key_required"
    )
    assert not GuestCheck.objects.exists()


def test_a_replay_with_the_same_key_answers_the_first_response_and_records_once(api):
    first = sell(api)
    again = sell(api)
    assert again.status_code == first.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert GuestCheck.objects.count() == 1


def test_the_same_key_with_another_body_is_422_idempotency_key_reused(api):
    sell(api, total="100.00")
    assert_error(sell(api, total="200.00"), 422, "idempotency_key_reused")
    assert GuestCheck.objects.get().total == Decimal("100.00")


def test_a_check_number_recorded_before_is_409_guest_check_exists(api):
    first = sell(api, key="gk-1")
    body = assert_error(sell(api, key="gk-2"), 409, "guest_check_exists")
    assert body["id"] == first.json()["id"]
    assert GuestCheck.objects.count() == 1


def test_the_same_check_number_at_another_partner_is_another_check(api, other_partner_api):
    assert sell(api).status_code == 201
    assert sell(other_partner_api).status_code == 201
    assert GuestCheck.objects.count() == 2


def test_a_check_number_of_a_members_purchase_is_409_purchase_exists(api, partner, member, now):
    purchase = record_purchase(
        member_id=member.pk, partner=partner, external_id="0001-000124", amount="500.00", now=now
    ).purchase
    body = assert_error(sell(api), 409, "purchase_exists")
    assert body["id"] == purchase.pk
    assert not GuestCheck.objects.exists()


@pytest.mark.parametrize(
    ("total", "code"),
    [
        ("0", "invalid_check"),
        ("0.00", "invalid_check"),
        ("-5.00", "invalid_check"),
        ("10.005", "invalid_input"),
        ("ten", "invalid_input"),
        (None, "invalid_input"),
    ],
)
def test_a_total_not_above_zero_with_two_decimals_is_400_on_the_total(api, total, code):
    body = assert_error(sell(api, total=total), 400, code)
    assert list(body["fields"]) == ["total"]
    assert not GuestCheck.objects.exists()


def test_a_missing_check_number_is_400_on_the_check_number(api):
    body = assert_error(sell(api, external_id="  "), 400, "invalid_input")
    assert "external_id" in body["fields"]


def test_a_check_paid_more_than_a_day_ahead_is_400(api):
    later = (timezone.now() + dt.timedelta(days=2)).isoformat()
    body = assert_error(sell(api, occurred_at=later), 400, "invalid_check")
    assert list(body["fields"]) == ["occurred_at"]


def test_an_unknown_store_is_400_on_the_store(api):
    body = assert_error(sell(api, store_id=999999), 400, "invalid_check")
    assert list(body["fields"]) == ["store_id"]


def test_a_store_of_another_partner_is_400_on_the_store(api):
    elsewhere = StoreFactory()
    body = assert_error(sell(api, store_id=elsewhere.pk), 400, "invalid_check")
    assert list(body["fields"]) == ["store_id"]
    assert not GuestCheck.objects.exists()


def test_the_schema_lists_the_endpoint_with_its_examples(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(out), skip_checks=True
    )
    text = out.read_text()
    assert "/api/v1/guest-checks:" in text
    assert "guest_checks_create" in text
    assert "0001-000124" in text
