"""Proof that the member is at the till before their points are spent.

When the program requires it (`Program.redeem_confirmation`), a purchase that redeems points
needs one of:

- a one-time code sent to the member's phone by SMS (the cabinet's login codes: 6 digits kept
  only as an HMAC, 5 minutes, 5 wrong tries, at most 3 per member per 15 minutes; customers.otp),
  bound to the member, never valid for a login;
- the live QR code of the cabinet's card: the card number followed by an 8-digit code that
  changes every QR_WINDOW (an HMAC of the member and the time window, RFC 4226 truncation), so
  a photo of it stops working within two windows. The printed card number and barcode still
  find the member and earn points, but never prove presence;
- a desk pass: the cashier desk checked a live QR code at the lookup and carries the proof
  through the check for PASS_MAX_AGE (signed, bound to the member).

`check_presence` is the one place the rule is checked; `record_purchase` calls it.
"""

import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from customers import otp
from customers.errors import MemberBlocked, MemberNotFound, SMSUnavailable
from customers.models import LoginCode, Member
from customers.sms import SMSError, send_sms
from loyalty.errors import ConfirmationInvalid, ConfirmationRequired
from loyalty.models import Program
from loyalty.store.codes import use_latest_code

QR_WINDOW = dt.timedelta(seconds=30)
QR_CODE_DIGITS = 8
CARD_DIGITS = 13
QR_TOKEN = re.compile(rf"(\d{{{CARD_DIGITS}}})(\d{{{QR_CODE_DIGITS}}})")
PASS_SALT = "loyalty.presence.pass"
PASS_MAX_AGE = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class Confirmation:
    """What the till offers as proof: a code the member read out, a scanned QR token, or a
    desk pass. Empty values count as not given."""

    code: str = ""
    qr: str = ""
    desk_pass: str = ""

    def __bool__(self) -> bool:
        return bool(self.code or self.qr or self.desk_pass)


# --- the cabinet card's live QR ------------------------------------------------------------------
def _window(now: dt.datetime) -> int:
    return int(now.timestamp() // QR_WINDOW.total_seconds())


def _qr_code(member_id: int, window: int) -> str:
    """An 8-digit code of the member and the window (HOTP's dynamic truncation, RFC 4226)."""
    key = hmac.new(
        settings.SECRET_KEY.encode(), f"card-qr:{member_id}".encode(), hashlib.sha256
    ).digest()
    digest = hmac.new(key, window.to_bytes(8, "big"), hashlib.sha256).digest()
    offset = digest[-1] & 0x0F
    value = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return f"{value % 10**QR_CODE_DIGITS:0{QR_CODE_DIGITS}d}"


def qr_token(*, member_id: int, card_number: str, now: dt.datetime) -> str:
    """What the cabinet's QR code carries at `now`: the card number, then the live code."""
    return f"{card_number}{_qr_code(member_id, _window(now))}"


def card_number_of_qr(token: str) -> str | None:
    """The card number a QR token starts with, or None when `token` is not one (a 21-digit
    scan); whether it is live is checked with the member (`is_live_qr`)."""
    match = QR_TOKEN.fullmatch((token or "").strip())
    return match.group(1) if match else None


def is_live_qr(*, member_id: int, token: str, now: dt.datetime) -> bool:
    """True when `token` is the member's QR of this window or the previous one."""
    match = QR_TOKEN.fullmatch((token or "").strip())
    if match is None:
        return False
    window = _window(now)
    return any(
        hmac.compare_digest(match.group(2), _qr_code(member_id, w)) for w in (window, window - 1)
    )


def desk_pass(*, member_id: int) -> str:
    """A signed note that a live QR of this member was checked now (valid PASS_MAX_AGE)."""
    return signing.dumps(member_id, salt=PASS_SALT)


def desk_pass_is_valid(*, member_id: int, value: str) -> bool:
    """Whether `value` is this member's desk pass and not older than PASS_MAX_AGE."""
    try:
        signed_id = signing.loads(value, salt=PASS_SALT, max_age=PASS_MAX_AGE)
    except signing.BadSignature:
        return False
    return signed_id == member_id


# --- the one-time code ---------------------------------------------------------------------------
def _code_target(member_id: int) -> str:
    # Its own target: a spending code is never a cabinet login code, nor the other way round.
    return f"redeem:{member_id}"


def send_redeem_code(*, member_id: int, now: dt.datetime) -> dt.timedelta:
    """Send the member a one-time code by SMS that lets a till spend their points.

    Limited like the cabinet's login codes (per member; the till's address is not counted, a
    shop's tills share one): too many → CodeRateLimited (`otp_rate_limited`, `retry_after`).
    Returns how long the code lives; a gateway that is down → SMSUnavailable.
    """
    member = Member.objects.only("id", "phone", "status", "language").filter(pk=member_id).first()
    if member is None:
        raise MemberNotFound()
    if not member.is_active:
        raise MemberBlocked()
    code = otp.issue_code(target=_code_target(member.pk), ip=None, now=now)
    minutes = int(otp.CODE_LIFETIME.total_seconds() // 60)
    with translation.override(member.language or None):  # the member's language, not the till's
        text = _(
            "Kopilka: code %(code)s to spend your points at the till. Valid for %(minutes)s "
            "minutes. Do not tell it to anyone over the phone."
        ) % {"code": code, "minutes": minutes}
    try:
        send_sms(member.phone, text)
    except SMSError as exc:
        raise SMSUnavailable() from exc
    return otp.CODE_LIFETIME


class WrongCode(ConfirmationInvalid):
    """Raised inside the purchase's transaction; `count_wrong_code` words it after rollback."""

    def __init__(self, member_id: int, code: str):
        super().__init__()
        self.member_id = member_id
        self.entered = code


def _use_code(member_id: int, code: str, now: dt.datetime) -> None:
    """Mark the member's latest code used if it is `code` and still live: one statement, which
    commits with the purchase (a refused purchase leaves the code usable)."""
    target = _code_target(member_id)
    used = use_latest_code(
        target=target,
        code_hash=otp.hash_code(target, code),
        max_attempts=otp.MAX_ATTEMPTS,
        now=now,
    )
    if not used:
        raise WrongCode(member_id, code)


def count_wrong_code(error: WrongCode, *, now: dt.datetime) -> ConfirmationInvalid:
    """After the purchase was rolled back: count the wrong try (it must outlive the rollback,
    or the 5 tries would be endless) and say why the code was refused."""
    target = _code_target(error.member_id)
    with transaction.atomic():
        row = (
            LoginCode.objects.select_for_update()
            .filter(target=target)
            .order_by("-created_at", "-id")
            .first()
        )
        if row is None or row.used_at is not None or row.expires_at <= now:
            return ConfirmationInvalid(
                _("The code has expired or was already used. Send a new one."), reason="expired"
            )
        if row.attempts >= otp.MAX_ATTEMPTS:
            return ConfirmationInvalid(_("Too many wrong tries. Send a new code."), reason="locked")
        row.attempts += 1
        row.save(update_fields=["attempts"])
    left = otp.MAX_ATTEMPTS - row.attempts
    if not left:
        return ConfirmationInvalid(_("Too many wrong tries. Send a new code."), reason="locked")
    return wrong_code(attempts_left=left)


def wrong_code(*, attempts_left: int) -> ConfirmationInvalid:
    """A wrong confirmation code that may still be tried `attempts_left` more times."""
    return ConfirmationInvalid(_("The code is wrong."), reason="wrong", attempts_left=attempts_left)


# --- the rule ------------------------------------------------------------------------------------
def check_presence(
    *,
    program: Program,
    member_id: int,
    redeem_points: int,
    confirmation: Confirmation | None,
    now: dt.datetime,
) -> None:
    """Spending points needs proof that the member is at the till when the program asks for
    it; earning never does. Runs inside the purchase's transaction: a code is used up only if
    the purchase commits. Raises ConfirmationRequired or ConfirmationInvalid (WrongCode for a
    code, to be worded by `count_wrong_code` after the rollback)."""
    if redeem_points <= 0 or not program.needs_redeem_confirmation:
        return
    if not confirmation:
        raise ConfirmationRequired()
    if confirmation.desk_pass and desk_pass_is_valid(
        member_id=member_id, value=confirmation.desk_pass
    ):
        return
    if confirmation.qr:
        if is_live_qr(member_id=member_id, token=confirmation.qr, now=now):
            return
        if not confirmation.code:
            raise ConfirmationInvalid(
                _("The QR code has expired: ask the member to open the card again."),
                reason="qr_expired",
            )
    if confirmation.code:
        _use_code(member_id, confirmation.code.strip(), now)
        return
    raise ConfirmationInvalid(
        _("The proof of presence has expired: scan the card's QR code or send a code."),
        reason="expired",
    )
