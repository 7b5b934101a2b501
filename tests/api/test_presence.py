"""Spending points through the API needs proof that the member is at the till (issue #15)."""

import pytest

from loyalty.models import Account, Program, Purchase
from loyalty.services.presence import QR_WINDOW, qr_token
from tests.api.test_auth_and_errors import assert_error
from tests.cabinet.helpers import code_from_outbox
from tests.loyalty.helpers import set_program

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def strict(db):
    return set_program(redeem_confirmation=Program.RedeemConfirmation.REQUIRED)


@pytest.fixture
def outbox(settings, tmp_path):
    settings.OUTBOX_DIR = tmp_path / "outbox"
    settings.SMS_BACKEND = "customers.sms.FileSMSBackend"
    return settings.OUTBOX_DIR


def buy(api, member, key="key-1", **body):
    payload = {"external_id": "CHK-1", "member_id": member.pk, "amount": "1000.00", **body}
    return api.post("/api/v1/purchases", payload, idempotency_key=key)


def balance(member) -> int:
    return Account.objects.get(pk=member.pk).available


def send_code(api, member, **headers):
    return api.post(f"/api/v1/members/{member.pk}/confirmation-code", **headers)


def live_qr(member, now) -> str:
    return qr_token(member_id=member.pk, card_number=member.card_number, now=now)


def test_redeeming_without_confirmation_is_refused(api, rich_member):
    body = assert_error(buy(api, rich_member, redeem_points=100), 422, "confirmation_required")
    assert "code" in body["detail"]
    assert balance(rich_member) == 1000
    assert not Purchase.objects.exists()


def test_earning_alone_needs_no_confirmation_and_no_extra_statement(
    api, rich_member, django_assert_num_queries
):
    # As with proof off (tests/api/test_purchases.py): key, take the key and lock, write,
    # 2 savepoints.
    with django_assert_num_queries(5):
        response = buy(api, rich_member)
    assert response.status_code == 201, response.content


def test_the_code_sent_to_the_member_confirms_the_redemption(api, rich_member, outbox):
    sent = send_code(api, rich_member)
    assert sent.status_code == 202
    assert sent.json() == {"sent": True, "expires_in": 300}
    code = code_from_outbox(outbox, rich_member.phone)
    response = buy(api, rich_member, redeem_points=100, confirmation={"code": code})
    assert response.status_code == 201, response.content
    assert response.json()["redeemed_points"] == 100


def test_a_code_confirms_one_purchase_only(api, rich_member, outbox):
    send_code(api, rich_member)
    code = code_from_outbox(outbox, rich_member.phone)
    assert buy(api, rich_member, redeem_points=100, confirmation={"code": code}).status_code == 201
    again = buy(
        api,
        rich_member,
        key="key-2",
        external_id="CHK-2",
        redeem_points=100,
        confirmation={"code": code},
    )
    assert assert_error(again, 422, "confirmation_invalid")["reason"] == "expired"
    assert balance(rich_member) == 1000 - 100 + 18


def test_a_replay_of_a_confirmed_purchase_is_answered_again(api, rich_member, outbox):
    send_code(api, rich_member)
    body = {
        "redeem_points": 100,
        "confirmation": {"code": code_from_outbox(outbox, rich_member.phone)},
    }
    first = buy(api, rich_member, **body)
    replay = buy(api, rich_member, **body)
    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()


def test_a_wrong_code_says_how_many_tries_are_left(api, rich_member, outbox):
    send_code(api, rich_member)
    code = code_from_outbox(outbox, rich_member.phone)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    response = buy(api, rich_member, redeem_points=100, confirmation={"code": wrong})
    body = assert_error(response, 422, "confirmation_invalid")
    assert (body["reason"], body["attempts_left"]) == ("wrong", 4)


def test_the_live_qr_confirms_the_redemption(api, rich_member, now):
    response = buy(
        api, rich_member, redeem_points=100, confirmation={"qr": live_qr(rich_member, now)}
    )
    assert response.status_code == 201, response.content


def test_a_qr_two_windows_old_is_refused(api, rich_member, now):
    photo = live_qr(rich_member, now - 2 * QR_WINDOW - QR_WINDOW / 2)
    response = buy(api, rich_member, redeem_points=100, confirmation={"qr": photo})
    assert assert_error(response, 422, "confirmation_invalid")["reason"] == "qr_expired"
    assert balance(rich_member) == 1000


def test_codes_are_rate_limited_per_member(api, rich_member, outbox):
    for _ in range(3):
        assert send_code(api, rich_member).status_code == 202
    limited = assert_error(send_code(api, rich_member), 429, "otp_rate_limited")
    assert limited["retry_after"] > 0


def test_a_retried_code_request_with_its_key_sends_one_sms(api, rich_member, outbox):
    first = send_code(api, rich_member, idempotency_key="send-1")
    second = send_code(api, rich_member, idempotency_key="send-1")
    assert first.status_code == second.status_code == 202
    assert len(list(outbox.glob("sms-*.txt"))) == 1


def test_a_code_for_an_unknown_member_is_404(api, db):
    response = api.post("/api/v1/members/999999/confirmation-code")
    assert_error(response, 404, "member_not_found")


def test_a_lookup_by_the_live_qr_finds_the_member(api, member, now):
    response = api.get("/api/v1/members/lookup", {"qr": live_qr(member, now)})
    assert response.status_code == 200
    assert response.json()["id"] == member.pk


def test_a_lookup_by_an_old_qr_is_refused(api, member, now):
    response = api.get("/api/v1/members/lookup", {"qr": live_qr(member, now - 3 * QR_WINDOW)})
    assert assert_error(response, 422, "confirmation_invalid")["reason"] == "qr_expired"


def test_proof_by_qr_costs_no_statement_and_by_code_one(
    api, rich_member, now, outbox, django_assert_num_queries
):
    # As test_purchases.py pins without proof: key, take the key and lock, write, 2 savepoints.
    qr = {"qr": live_qr(rich_member, now)}
    with django_assert_num_queries(5):
        by_qr = buy(api, rich_member, redeem_points=100, confirmation=qr)
    assert by_qr.status_code == 201
    send_code(api, rich_member)
    code = {"code": code_from_outbox(outbox, rich_member.phone)}
    with django_assert_num_queries(6):  # + marking the code used, in the purchase's transaction
        by_code = buy(
            api, rich_member, key="key-2", external_id="CHK-2", redeem_points=100, confirmation=code
        )
    assert by_code.status_code == 201
