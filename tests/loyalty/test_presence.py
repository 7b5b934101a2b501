"""Proof that the member is at the till before their points are spent (issue #15, finding 2)."""

import datetime as dt

import pytest

from customers import otp
from customers.models import LoginCode
from loyalty.errors import ConfirmationInvalid, ConfirmationRequired, PurchaseExists
from loyalty.models import Program, Purchase
from loyalty.services.presence import (
    QR_WINDOW,
    Confirmation,
    card_number_of_qr,
    desk_pass,
    is_live_qr,
    qr_token,
    send_redeem_code,
)
from tests.cabinet.helpers import code_from_outbox
from tests.loyalty.helpers import account, buy, give, set_program

pytestmark = pytest.mark.django_db


@pytest.fixture
def strict(db):
    """The program as a new install has it: proof required to spend points."""
    return set_program(redeem_confirmation=Program.RedeemConfirmation.REQUIRED)


@pytest.fixture
def outbox(settings, tmp_path):
    settings.OUTBOX_DIR = tmp_path / "outbox"
    settings.SMS_BACKEND = "customers.sms.FileSMSBackend"
    return settings.OUTBOX_DIR


@pytest.fixture
def holder(member, now):
    give(member, 500, now)
    return member


def sent_code(member, now, outbox) -> str:
    send_redeem_code(member_id=member.pk, now=now)
    return code_from_outbox(outbox, member.phone)


def test_a_new_install_requires_proof_of_presence_and_keeps_partners_apart():
    program = Program()
    assert program.redeem_confirmation == Program.RedeemConfirmation.REQUIRED
    assert program.needs_redeem_confirmation
    assert program.shares_members is False


def test_spending_points_without_proof_is_refused(strict, holder, partner, now):
    with pytest.raises(ConfirmationRequired) as refused:
        buy(holder, partner, now, "1000.00", redeem=100)
    assert refused.value.code == "confirmation_required"
    assert account(holder).available == 500
    assert not Purchase.objects.exists()


def test_earning_alone_needs_no_proof(strict, holder, partner, now):
    result = buy(holder, partner, now, "1000.00")
    assert result.purchase.earned_points > 0


def test_with_the_program_setting_off_a_phone_number_is_enough(holder, partner, now):
    set_program(redeem_confirmation=Program.RedeemConfirmation.OFF)
    assert buy(holder, partner, now, "1000.00", redeem=100).purchase.redeemed_points == 100


def test_the_code_sent_to_the_member_lets_the_till_spend_points(
    strict, holder, partner, now, outbox
):
    code = sent_code(holder, now, outbox)
    result = buy(holder, partner, now, "1000.00", redeem=100, confirmation=Confirmation(code=code))
    assert result.purchase.redeemed_points == 100
    assert account(holder).available == 500 - 100 + result.purchase.earned_points


def test_a_code_is_used_once(strict, holder, partner, now, outbox):
    code = sent_code(holder, now, outbox)
    buy(holder, partner, now, "1000.00", redeem=100, confirmation=Confirmation(code=code))
    with pytest.raises(ConfirmationInvalid) as refused:
        buy(holder, partner, now, "1000.00", redeem=100, confirmation=Confirmation(code=code))
    assert refused.value.extra["reason"] == "expired"
    assert Purchase.objects.count() == 1


def test_a_refused_purchase_leaves_the_code_usable(strict, holder, partner, now, outbox):
    buy(holder, partner, now, "10.00", external_id="CHK-1")
    code = sent_code(holder, now, outbox)
    with pytest.raises(PurchaseExists):  # refused at the write, after the code was taken
        buy(
            holder,
            partner,
            now,
            "1000.00",
            redeem=90,
            external_id="CHK-1",
            confirmation=Confirmation(code=code),
        )
    result = buy(holder, partner, now, "1000.00", redeem=90, confirmation=Confirmation(code=code))
    assert result.purchase.redeemed_points == 90


def test_wrong_codes_are_counted_although_the_purchase_rolls_back(
    strict, holder, partner, now, outbox
):
    code = sent_code(holder, now, outbox)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for left in (4, 3, 2, 1):
        with pytest.raises(ConfirmationInvalid) as refused:
            buy(holder, partner, now, "1000.00", redeem=10, confirmation=Confirmation(code=wrong))
        assert refused.value.extra == {"reason": "wrong", "attempts_left": left}
    with pytest.raises(ConfirmationInvalid) as refused:
        buy(holder, partner, now, "1000.00", redeem=10, confirmation=Confirmation(code=wrong))
    assert refused.value.extra["reason"] == "locked"
    # Locked: even the right code no longer works; a new one must be sent.
    with pytest.raises(ConfirmationInvalid):
        buy(holder, partner, now, "1000.00", redeem=10, confirmation=Confirmation(code=code))
    assert account(holder).available == 500


def test_a_code_expires_after_five_minutes(strict, holder, partner, now, outbox):
    code = sent_code(holder, now, outbox)
    later = now + otp.CODE_LIFETIME + dt.timedelta(seconds=1)
    with pytest.raises(ConfirmationInvalid) as refused:
        buy(holder, partner, later, "1000.00", redeem=10, confirmation=Confirmation(code=code))
    assert refused.value.extra["reason"] == "expired"


def test_a_spending_code_is_not_a_cabinet_login_code(strict, holder, now, outbox):
    code = sent_code(holder, now, outbox)
    with pytest.raises(otp.CodeExpired):  # no login code was sent to the phone
        otp.verify_code(target=holder.phone, code=code, now=now)


def test_sending_codes_is_limited_like_login_codes(holder, now, outbox):
    for _ in range(3):
        send_redeem_code(member_id=holder.pk, now=now)
    with pytest.raises(otp.CodeRateLimited):
        send_redeem_code(member_id=holder.pk, now=now)
    assert LoginCode.objects.filter(target=f"redeem:{holder.pk}").count() == 3


def test_the_live_qr_lets_the_till_spend_points(strict, holder, partner, now):
    token = qr_token(member_id=holder.pk, card_number=holder.card_number, now=now)
    assert card_number_of_qr(token) == holder.card_number
    result = buy(holder, partner, now, "1000.00", redeem=50, confirmation=Confirmation(qr=token))
    assert result.purchase.redeemed_points == 50


def test_the_qr_of_the_previous_window_is_still_accepted(strict, holder, partner, now):
    token = qr_token(member_id=holder.pk, card_number=holder.card_number, now=now - QR_WINDOW)
    result = buy(holder, partner, now, "1000.00", redeem=50, confirmation=Confirmation(qr=token))
    assert result.purchase.redeemed_points == 50


def test_a_photo_of_the_qr_expires_two_windows_later(strict, holder, partner, now):
    token = qr_token(member_id=holder.pk, card_number=holder.card_number, now=now)
    later = now + 2 * QR_WINDOW
    with pytest.raises(ConfirmationInvalid) as refused:
        buy(holder, partner, later, "1000.00", redeem=50, confirmation=Confirmation(qr=token))
    assert refused.value.extra["reason"] == "qr_expired"


def test_another_members_qr_or_the_printed_card_number_is_no_proof(
    strict, holder, partner, now, db
):
    from tests.factories import make_member

    other = make_member(now=now)
    theirs = qr_token(member_id=other.pk, card_number=other.card_number, now=now)
    assert not is_live_qr(member_id=holder.pk, token=theirs, now=now)
    for proof in (theirs, holder.card_number):
        with pytest.raises(ConfirmationInvalid):
            buy(holder, partner, now, "1000.00", redeem=50, confirmation=Confirmation(qr=proof))


def test_a_desk_pass_proves_presence_for_its_member_only(strict, holder, partner, now):
    from tests.factories import make_member

    other = make_member(now=now)
    with pytest.raises(ConfirmationInvalid):
        buy(
            holder,
            partner,
            now,
            "1000.00",
            redeem=50,
            confirmation=Confirmation(desk_pass=desk_pass(member_id=other.pk)),
        )
    result = buy(
        holder,
        partner,
        now,
        "1000.00",
        redeem=50,
        confirmation=Confirmation(desk_pass=desk_pass(member_id=holder.pk)),
    )
    assert result.purchase.redeemed_points == 50


def test_an_install_that_already_records_purchases_keeps_spending_open_on_upgrade(
    strict, member, partner, now
):
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "loyalty.migrations.0009_program_redeem_confirmation_shares_members"
    )
    migration.keep_running_installs_open(apps, None)
    assert Program.objects.get().needs_redeem_confirmation  # nothing sold yet: a new install
    buy(member, partner, now, "100.00")
    migration.keep_running_installs_open(apps, None)
    assert not Program.objects.get().needs_redeem_confirmation


class _GatewayDown:
    def send(self, phone, text):
        from customers.sms import SMSTemporaryError

        raise SMSTemporaryError("gateway down")


def test_a_gateway_outage_when_sending_the_spending_code_is_a_clear_error(member, now, settings):
    from customers.errors import SMSUnavailable

    settings.SMS_BACKEND = "tests.loyalty.test_presence._GatewayDown"
    with pytest.raises(SMSUnavailable) as caught:
        send_redeem_code(member_id=member.pk, now=now)
    assert caught.value.code == "sms_unavailable"
