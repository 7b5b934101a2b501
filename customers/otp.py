"""One-time login codes for the cabinet: issue, deliver and verify.

A code is 6 digits, stored only as an HMAC-SHA256 (keyed with SECRET_KEY, bound to its phone or
e-mail), lives 5 minutes and allows 5 wrong tries; then it is locked and a new one must be asked
for. Sending is rate-limited per phone/e-mail and per IP with the shared counters of
customers/ratelimit.py: a code is issued only after both counters took the request, atomically,
so concurrent requests in any number of processes never get more codes than the limit.
"""

import datetime as dt
import hashlib
import hmac
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers import ratelimit
from customers.errors import DomainError, InvalidInput, InvalidPhone
from customers.models import LoginCode, Member
from customers.phones import normalize_phone
from customers.sms import send_sms

CODE_DIGITS = 6
CODE_LIFETIME = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 5
# (how many codes, in what window): overridable in settings for a load test or a demo.
SENDS_PER_TARGET = (3, dt.timedelta(minutes=15))
SENDS_PER_IP = (10, dt.timedelta(hours=1))


class CodeRateLimited(DomainError):
    code = "otp_rate_limited"
    default_detail = gettext_lazy("Too many codes were requested. Please try again later.")


class CodeInvalid(DomainError):
    code = "otp_invalid"
    default_detail = gettext_lazy("The code is wrong.")


class CodeExpired(DomainError):
    code = "otp_expired"
    default_detail = gettext_lazy("The code has expired or was already used. Ask for a new one.")


class CodeLocked(DomainError):
    code = "otp_locked"
    default_detail = gettext_lazy("Too many wrong tries. Ask for a new code.")


def normalize_target(raw: str) -> str:
    """A phone in E.164 or a lower-case e-mail; InvalidInput (field `target`) otherwise."""
    text = (raw or "").strip()
    if "@" in text:
        try:
            validate_email(text)
        except ValidationError as exc:
            message = _("Enter a valid phone number or e-mail.")
            raise InvalidInput(message, fields={"target": [message]}) from exc
        return text.lower()
    try:
        return normalize_phone(text)
    except InvalidPhone as exc:
        message = _("Enter a valid phone number or e-mail.")
        raise InvalidInput(message, fields={"target": [message]}) from exc


def is_email(target: str) -> bool:
    return "@" in target


def hash_code(target: str, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{target}:{code}".encode(), hashlib.sha256).hexdigest()


def _limit(name: str, default: tuple[int, dt.timedelta]) -> tuple[int, dt.timedelta]:
    return getattr(settings, name, default)


def issue_code(*, target: str, ip: str | None, now: dt.datetime) -> str:
    """Create a code for a normalized `target` and return it in clear (to be sent, never kept).

    Refused with CodeRateLimited when the IP or the target asked for too many codes in their
    window; a request the target's limit refuses does not count against the IP.
    """
    ip_count, ip_window = _limit("OTP_SENDS_PER_IP", SENDS_PER_IP)
    count, window = _limit("OTP_SENDS_PER_TARGET", SENDS_PER_TARGET)
    ip_key = f"otp:ip:{ip}"
    if ip:
        hit = ratelimit.take(ip_key, limit=ip_count, period=ip_window, now=now)
        if not hit:
            raise CodeRateLimited(retry_after=hit.retry_after)
    hit = ratelimit.take(f"otp:target:{target}", limit=count, period=window, now=now)
    if not hit:
        if ip:
            ratelimit.give_back(ip_key, period=ip_window, now=now)
        raise CodeRateLimited(retry_after=hit.retry_after)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    LoginCode.objects.create(
        target=target,
        code_hash=hash_code(target, code),
        ip=ip or None,
        created_at=now,
        expires_at=now + CODE_LIFETIME,
    )
    return code


def member_for_target(target: str) -> Member | None:
    """The member (not closed) a normalized phone or e-mail belongs to, if any."""
    members = Member.objects.exclude(status=Member.Status.CLOSED)
    if is_email(target):
        return members.filter(email__iexact=target).first()
    return members.filter(phone=target).first()


def send_login_code(*, target: str, ip: str | None, now: dt.datetime) -> None:
    """Issue a code and deliver it: an SMS to a phone, an e-mail to an address."""
    code = issue_code(target=target, ip=ip, now=now)
    minutes = int(CODE_LIFETIME.total_seconds() // 60)
    text = _("Your Kopilka code: %(code)s. It is valid for %(minutes)s minutes.") % {
        "code": code,
        "minutes": minutes,
    }
    if is_email(target):
        send_mail(_("Your Kopilka login code"), text, None, [target])
    else:
        send_sms(target, text)


def request_login_code(*, target: str, ip: str | None, now: dt.datetime) -> None:
    """Answer a login request alike whether or not `target` is a member's, so that the login
    page tells nobody who is in the program: the same limits count it first (CodeRateLimited),
    then a member's phone or e-mail gets a code; any other gets none, but a code is still
    issued and kept (never sent), so that entering codes afterwards answers the same too."""
    if member_for_target(target) is not None:
        send_login_code(target=target, ip=ip, now=now)
    else:
        issue_code(target=target, ip=ip, now=now)


def verify_code(*, target: str, code: str, now: dt.datetime) -> None:
    """Accept the latest code sent to `target` once; count wrong tries and lock after five.

    Raises CodeExpired (none, used or too old), CodeLocked or CodeInvalid (with `attempts_left`).
    """
    entered = (code or "").strip()
    with transaction.atomic():
        row = (
            LoginCode.objects.select_for_update()
            .filter(target=target)
            .order_by("-created_at", "-id")
            .first()
        )
        if row is None or row.used_at is not None or row.expires_at <= now:
            error = CodeExpired()
        elif row.attempts >= MAX_ATTEMPTS:
            error = CodeLocked()
        elif hmac.compare_digest(row.code_hash, hash_code(target, entered)):
            row.used_at = now
            row.save(update_fields=["used_at"])
            return
        else:
            # The wrong try is saved before the error leaves the transaction.
            row.attempts += 1
            row.save(update_fields=["attempts"])
            left = MAX_ATTEMPTS - row.attempts
            error = CodeInvalid(attempts_left=left) if left else CodeLocked()
    raise error


def delete_old_codes(*, now: dt.datetime, keep: dt.timedelta = dt.timedelta(days=1)) -> int:
    """Delete login codes older than `keep`, and with them the rate-limit counters whose window
    began before then (the limits look back an hour at most); return how many codes went."""
    ratelimit.delete_old_counters(now=now, older_than=keep)
    deleted, _by_model = LoginCode.objects.filter(created_at__lt=now - keep).delete()
    return deleted
