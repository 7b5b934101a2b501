"""At the desk, spending points needs the customer's code or their live QR (issue #15)."""

import pytest
from django.utils import timezone

from loyalty.models import Account, Program, Purchase
from loyalty.services.presence import QR_WINDOW, qr_token
from tests.cabinet.helpers import code_from_outbox
from tests.desk.test_check import check
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


def available(member) -> int:
    return Account.objects.get(pk=member.pk).available


def test_the_member_page_offers_to_send_a_code(desk, rich_member, member_url):
    page = desk.get(member_url(rich_member)).content.decode()
    assert 'id="send-code"' in page and 'name="confirmation_code"' in page


def test_redeeming_with_only_a_phone_number_is_refused_with_a_form_error(
    desk, rich_member, member_url
):
    response = desk.post(
        member_url(rich_member, "check/"), check(total="1000", redeem_points="100")
    )
    assert response.status_code == 422
    errors = response.context["form"].errors["confirmation_code"]
    assert "proof that the member is here" in errors[0]
    assert not Purchase.objects.exists()
    assert available(rich_member) == 5000


def test_the_error_is_in_russian_for_a_russian_desk(desk, rich_member, member_url):
    desk.defaults["HTTP_ACCEPT_LANGUAGE"] = "ru"
    response = desk.post(
        member_url(rich_member, "check/"), check(total="1000", redeem_points="100")
    )
    assert "Для списания баллов" in response.context["form"].errors["confirmation_code"][0]


def test_earning_without_redeeming_needs_no_code(desk, rich_member, member_url):
    response = desk.post(member_url(rich_member, "check/"), check(total="1000"))
    assert response.status_code == 302
    assert Purchase.objects.get().earned_points == 20


def test_the_code_the_customer_reads_out_lets_the_cashier_redeem(
    desk, rich_member, member_url, outbox
):
    sent = desk.post(member_url(rich_member, "code/"))
    assert sent.status_code == 200 and sent.json()["ok"] is True
    code = code_from_outbox(outbox, rich_member.phone)
    data = check(total="1000", redeem_points="100", confirmation_code=code)
    response = desk.post(member_url(rich_member, "check/"), data)
    assert response.status_code == 302, response.context["form"].errors
    assert Purchase.objects.get().redeemed_points == 100


def test_a_wrong_code_is_a_form_error(desk, rich_member, member_url, outbox):
    desk.post(member_url(rich_member, "code/"))
    code = code_from_outbox(outbox, rich_member.phone)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    data = check(total="1000", redeem_points="100", confirmation_code=wrong)
    response = desk.post(member_url(rich_member, "check/"), data)
    assert response.status_code == 422
    assert response.context["form"].errors["confirmation_code"] == ["The code is wrong."]


def test_too_many_codes_are_refused_with_a_message(desk, rich_member, member_url, outbox):
    for _ in range(3):
        desk.post(member_url(rich_member, "code/"))
    refused = desk.post(member_url(rich_member, "code/"))
    assert refused.status_code == 429
    assert refused.json()["ok"] is False and "Try again in" in refused.json()["message"]


def test_a_lookup_by_the_live_qr_lets_the_cashier_redeem_without_a_code(
    desk, rich_member, member_url
):
    token = qr_token(
        member_id=rich_member.pk, card_number=rich_member.card_number, now=timezone.now()
    )
    found = desk.post("/desk/", {"q": token})
    assert found.status_code == 302
    page = desk.get(found["Location"]).content.decode()
    assert 'id="proof-qr"' in page and 'name="confirmation_code"' not in page
    response = desk.post(found["Location"] + "check/", check(total="1000", redeem_points="100"))
    assert response.status_code == 302
    assert Purchase.objects.get().redeemed_points == 100


def test_a_photo_of_an_old_qr_is_refused_at_the_lookup(desk, rich_member):
    old = timezone.now() - 2 * QR_WINDOW - QR_WINDOW / 2
    token = qr_token(member_id=rich_member.pk, card_number=rich_member.card_number, now=old)
    response = desk.post("/desk/", {"q": token})
    assert response.status_code == 422
    assert "expired" in response.context["form"].errors["q"][0]


def test_the_printed_card_number_finds_the_member_but_is_no_proof(desk, rich_member):
    found = desk.post("/desk/", {"q": rich_member.card_number})
    assert found.status_code == 302
    response = desk.post(found["Location"] + "check/", check(total="1000", redeem_points="100"))
    assert response.status_code == 422
    assert not Purchase.objects.exists()
