"""One-time login codes: hashed, short-lived, five tries, rate-limited per target and per IP."""

import datetime as dt
import re

import pytest
from django.core import mail

from customers import otp
from customers.models import LoginCode
from tests.race import race

PHONE = "+79161234567"
pytestmark = pytest.mark.django_db


def test_code_is_six_digits_and_stored_only_as_a_hash(now):
    code = otp.issue_code(target=PHONE, ip="10.0.0.1", now=now)
    assert re.fullmatch(r"\d{6}", code)
    row = LoginCode.objects.get()
    assert code not in row.code_hash
    assert row.code_hash == otp.hash_code(PHONE, code)
    assert row.code_hash != otp.hash_code("+79990000000", code)  # bound to its target
    assert row.expires_at == now + dt.timedelta(minutes=5)


def test_the_right_code_logs_in_once(now):
    code = otp.issue_code(target=PHONE, ip=None, now=now)
    otp.verify_code(target=PHONE, code=code, now=now + dt.timedelta(minutes=1))
    with pytest.raises(otp.CodeExpired):
        otp.verify_code(target=PHONE, code=code, now=now + dt.timedelta(minutes=2))


def test_wrong_codes_lock_the_code_after_five_tries(now):
    code = otp.issue_code(target=PHONE, ip=None, now=now)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for left in (4, 3, 2, 1):
        with pytest.raises(otp.CodeInvalid) as err:
            otp.verify_code(target=PHONE, code=wrong, now=now)
        assert err.value.extra["attempts_left"] == left
    with pytest.raises(otp.CodeLocked):
        otp.verify_code(target=PHONE, code=wrong, now=now)
    # Locked: even the right code is refused now.
    with pytest.raises(otp.CodeLocked):
        otp.verify_code(target=PHONE, code=code, now=now)
    assert LoginCode.objects.get().attempts == 5


def test_an_expired_code_fails(now):
    code = otp.issue_code(target=PHONE, ip=None, now=now)
    with pytest.raises(otp.CodeExpired):
        otp.verify_code(target=PHONE, code=code, now=now + dt.timedelta(minutes=5))


def test_only_the_latest_code_counts(now):
    first = otp.issue_code(target=PHONE, ip=None, now=now)
    second = otp.issue_code(target=PHONE, ip=None, now=now + dt.timedelta(seconds=30))
    if first != second:
        with pytest.raises(otp.CodeInvalid):
            otp.verify_code(target=PHONE, code=first, now=now + dt.timedelta(minutes=1))
    otp.verify_code(target=PHONE, code=second, now=now + dt.timedelta(minutes=1))


def test_sending_is_limited_per_phone(now):
    for i in range(3):
        otp.issue_code(target=PHONE, ip=f"10.0.0.{i}", now=now + dt.timedelta(minutes=i))
    with pytest.raises(otp.CodeRateLimited) as err:
        otp.issue_code(target=PHONE, ip="10.0.1.1", now=now + dt.timedelta(minutes=3))
    assert err.value.extra["retry_after"] == 12 * 60  # the first send leaves the window
    otp.issue_code(target=PHONE, ip="10.0.1.1", now=now + dt.timedelta(minutes=15, seconds=1))


def test_sending_is_limited_per_ip_across_phones(now):
    for i in range(10):
        otp.issue_code(target=f"+7916000000{i}", ip="10.9.9.9", now=now)
    with pytest.raises(otp.CodeRateLimited):
        otp.issue_code(target="+79160000099", ip="10.9.9.9", now=now)
    otp.issue_code(target="+79160000099", ip="10.9.9.8", now=now)  # another IP is fine


def test_targets_are_normalized():
    assert otp.normalize_target("8 (916) 123-45-67") == PHONE
    assert otp.normalize_target(" Anna@Example.COM ") == "anna@example.com"
    with pytest.raises(otp.InvalidInput):
        otp.normalize_target("not a phone")


def test_a_code_to_a_phone_goes_out_as_an_sms_file(outbox, now):
    otp.send_login_code(target=PHONE, ip=None, now=now)
    (path,) = outbox.glob("sms-*.txt")
    text = path.read_text(encoding="utf-8")
    assert text.startswith(f"To: {PHONE}\n")
    code = re.search(r"\b(\d{6})\b", text).group(1)
    otp.verify_code(target=PHONE, code=code, now=now)


def test_a_code_to_an_email_goes_out_by_email(now):
    otp.send_login_code(target="anna@example.com", ip=None, now=now)
    (message,) = mail.outbox
    assert message.to == ["anna@example.com"]
    code = re.search(r"\b(\d{6})\b", message.body).group(1)
    otp.verify_code(target="anna@example.com", code=code, now=now)


@pytest.mark.django_db(transaction=True)
def test_ten_requests_at_once_for_one_phone_get_exactly_three_codes(now):
    outcomes = race(
        *[lambda i=i: otp.issue_code(target=PHONE, ip=f"10.0.0.{i}", now=now) for i in range(10)]
    )
    issued = [o for o in outcomes if isinstance(o, str)]
    refused = [o for o in outcomes if isinstance(o, otp.CodeRateLimited)]
    assert (len(issued), len(refused)) == (3, 7), outcomes
    assert LoginCode.objects.filter(target=PHONE).count() == 3


@pytest.mark.django_db(transaction=True)
def test_twelve_requests_at_once_from_one_ip_get_exactly_ten_codes(now):
    outcomes = race(
        *[
            lambda i=i: otp.issue_code(target=f"+791600000{i:02d}", ip="10.9.9.9", now=now)
            for i in range(12)
        ]
    )
    assert sum(isinstance(o, str) for o in outcomes) == 10, outcomes
    assert LoginCode.objects.count() == 10


def test_a_request_refused_for_its_phone_does_not_count_against_the_ip(now):
    for _ in range(3):
        otp.issue_code(target=PHONE, ip="10.9.9.9", now=now)
    for _ in range(5):
        with pytest.raises(otp.CodeRateLimited):
            otp.issue_code(target=PHONE, ip="10.9.9.9", now=now)
    for i in range(7):  # 10 per hour from this IP: 3 used, 7 left
        otp.issue_code(target=f"+7916000000{i}", ip="10.9.9.9", now=now)
    with pytest.raises(otp.CodeRateLimited):
        otp.issue_code(target="+79160000099", ip="10.9.9.9", now=now)


def test_the_daily_purge_deletes_the_counters_of_old_sends_too(now):
    from customers.models import RateCounter

    otp.issue_code(target=PHONE, ip="10.0.0.1", now=now - dt.timedelta(days=2))
    otp.issue_code(target="+79160000001", ip="10.0.0.2", now=now)
    assert otp.delete_old_codes(now=now) == 1
    assert RateCounter.objects.filter(key__contains=PHONE).count() == 0
    assert RateCounter.objects.filter(key__contains="+79160000001").count() == 1
