"""Writes about members: joining, profile changes, consents, closure requests."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.cards import random_card_number, random_referral_code
from customers.errors import (
    ConsentRequired,
    EmailTaken,
    InvalidInput,
    InvalidReferralCode,
    MemberExists,
)
from customers.models import TIME_ZONES, Consent, DataRequest, LoginCode, Member
from customers.phones import normalize_phone

CONSENT_TEXT_VERSION = "2026-11"
MAX_AGE_YEARS = 120
# What a member ticks or presses for each consent (the cabinet's forms show these same words).
CONSENT_TEXTS = {
    Consent.Kind.PERSONAL_DATA: _(
        "I agree to the processing of my personal data (required to join)"
    ),
    Consent.Kind.MARKETING_SMS: _("Send me offers by SMS"),
    Consent.Kind.MARKETING_EMAIL: _("Send me offers by e-mail"),
    Consent.Kind.PUSH: _("Send me push notifications"),
}


def consent_text(kind: str, *, preamble: str = "") -> str:
    """The words a member agrees to for one kind of consent, in the current language: the
    program's own text shown above the tick box (if any), then the tick box's label."""
    label = str(CONSENT_TEXTS.get(kind, ""))
    return "\n\n".join(part for part in (preamble.strip(), label) if part)


def validate_birth_date(birth_date: dt.date | None, *, today: dt.date) -> None:
    """A birth date may not be in the future nor more than 120 years ago."""
    if birth_date is None:
        return
    if birth_date > today:
        raise InvalidInput(
            _("The birth date is in the future."),
            fields={"birth_date": [str(_("The birth date is in the future."))]},
        )
    if birth_date.year < today.year - MAX_AGE_YEARS:
        raise InvalidInput(
            _("The birth date is too far in the past."),
            fields={"birth_date": [str(_("The birth date is too far in the past."))]},
        )


def normalize_email(email: str | None) -> str:
    return (email or "").strip().lower()


def _unique_value(factory, field: str) -> str:
    for _attempt in range(20):
        value = factory()
        if not Member.objects.filter(**{field: value}).exists():
            return value
    raise RuntimeError(f"could not find a free {field}")


def register_member(
    *,
    phone: str,
    consents: dict[str, bool],
    now: dt.datetime,
    channel: str = Member.Channel.ADMIN,
    source: str | None = None,
    email: str | None = None,
    first_name: str = "",
    last_name: str = "",
    birth_date: dt.date | None = None,
    referral_code: str | None = None,
    text_version: str = CONSENT_TEXT_VERSION,
    consent_texts: dict[str, str] | None = None,
) -> Member:
    """Register a new member with their consents, atomically (the points account is opened by
    loyalty.services.enroll_member, which calls this: every join goes through that one).

    Joining requires consent to personal data processing; one phone number (in any notation) is
    one member. Each consent keeps the exact text agreed to (`consent_texts`, by kind; else the
    standard wording).
    """
    e164 = normalize_phone(phone)
    if not consents.get(Consent.Kind.PERSONAL_DATA):
        raise ConsentRequired(fields={"consents": [str(ConsentRequired.default_detail)]})
    validate_birth_date(birth_date, today=timezone.localdate(now))
    email = normalize_email(email)

    existing = Member.objects.filter(phone=e164).values_list("id", flat=True).first()
    if existing:
        raise MemberExists(id=existing)
    if email and Member.objects.filter(email__iexact=email).exists():
        raise EmailTaken(fields={"email": [str(EmailTaken.default_detail)]})
    referrer = None
    if referral_code:
        referrer = Member.objects.filter(referral_code=referral_code.strip().upper()).first()
        if referrer is None:
            raise InvalidReferralCode(
                fields={"referral_code": [str(InvalidReferralCode.default_detail)]}
            )

    try:
        with transaction.atomic():
            member = Member.objects.create(
                phone=e164,
                email=email,
                first_name=first_name.strip(),
                last_name=last_name.strip(),
                birth_date=birth_date,
                card_number=_unique_value(random_card_number, "card_number"),
                referral_code=_unique_value(random_referral_code, "referral_code"),
                referred_by=referrer,
                channel=channel,
            )
            Consent.objects.bulk_create(
                Consent(
                    member=member,
                    kind=kind,
                    given_at=now,
                    source=source or channel,
                    text_version=text_version,
                    text=(consent_texts or {}).get(kind) or consent_text(kind),
                )
                for kind, given in consents.items()
                if given and kind in Consent.Kind.values
            )
    except IntegrityError as exc:
        # A concurrent join with the same phone won the race.
        existing = Member.objects.filter(phone=e164).values_list("id", flat=True).first()
        if existing:
            raise MemberExists(id=existing) from exc
        raise
    return member


def update_profile(
    *,
    member: Member,
    now: dt.datetime,
    email: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    birth_date: dt.date | None = None,
    time_zone: str | None = None,
) -> Member:
    """Change a member's own profile fields; e-mail stays unique across members; the time zone
    (for quiet hours) is one of TIME_ZONES.

    The day a member's status becomes closed is kept (`closed_at`): erasure after closure
    counts from it.
    """
    if member.status == Member.Status.CLOSED:
        member.closed_at = member.closed_at or now
    else:
        member.closed_at = None
    if birth_date is not None:
        validate_birth_date(birth_date, today=timezone.localdate(now))
        member.birth_date = birth_date
    if email is not None:
        email = normalize_email(email)
        if email and Member.objects.filter(email__iexact=email).exclude(pk=member.pk).exists():
            raise EmailTaken(fields={"email": [str(EmailTaken.default_detail)]})
        member.email = email
    if first_name is not None:
        member.first_name = first_name.strip()
    if last_name is not None:
        member.last_name = last_name.strip()
    if time_zone is not None:
        if time_zone not in dict(TIME_ZONES):
            raise InvalidInput(fields={"time_zone": [str(_("Choose a time zone from the list."))]})
        member.time_zone = time_zone
    member.save()
    return member


def set_consent(
    *,
    member: Member,
    kind: str,
    given: bool,
    now: dt.datetime,
    source: str,
    text_version: str = CONSENT_TEXT_VERSION,
    text: str | None = None,
) -> None:
    """Give or withdraw one consent; history is kept as rows, each grant with the exact text
    agreed to (`text`, else the standard wording) and each withdrawal with where it was made.

    Withdrawing the personal-data consent files a request to close the account.
    """
    if kind not in Consent.Kind.values:
        raise InvalidInput(fields={"kind": [str(_("Unknown consent kind."))]})
    with transaction.atomic():
        live = Consent.objects.select_for_update().filter(
            member=member, kind=kind, withdrawn_at__isnull=True
        )
        if given:
            if not live.exists():
                Consent.objects.create(
                    member=member,
                    kind=kind,
                    given_at=now,
                    source=source,
                    text_version=text_version,
                    text=text or consent_text(kind),
                )
            return
        live.update(withdrawn_at=now, withdrawn_source=source)
        if kind == Consent.Kind.PERSONAL_DATA and member.closure_requested_at is None:
            member.closure_requested_at = now
            member.save(update_fields=["closure_requested_at", "updated_at"])


# --- Personal data requests (152-FZ) ------------------------------------------------------------

ERASURE_SOURCE = "erasure"


def _letters(number: int) -> str:
    """`number` written in the letters a-z: as unique as the id, with no digit in it for a
    phone or card number search to match."""
    out = ""
    while True:
        number, rest = divmod(number, 26)
        out = chr(ord("a") + rest) + out
        if number == 0:
            return out


def record_data_request(
    *, member: Member, kind: str, source: str, now: dt.datetime, staff=None
) -> DataRequest:
    """Log that a member's request about their personal data was carried out (who, when)."""
    return DataRequest.objects.create(
        member=member, kind=kind, source=source, staff=staff, created_at=now
    )


def erase_member(*, member_id: int, now: dt.datetime, source: str, staff=None) -> Member:
    """Erase a member's personal data, on their request or after closure (152-FZ).

    Names, phone, e-mail, birth date and card number are replaced by placeholders that identify
    no one (and keep the unique constraints); important dates, notification choices and login
    codes are deleted; every live consent is withdrawn (marketing ends) with the source
    "erasure"; the account is closed, which ends its cabinet sessions and logins. Points, lots,
    the ledger, purchases and refunds stay for the accounts. Erasing twice changes nothing.
    """
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member_id)
        if member.erased_at is not None:
            return member
        targets = [target for target in (member.phone, normalize_email(member.email)) if target]
        LoginCode.objects.filter(target__in=targets).delete()
        member.important_dates.all().delete()
        member.notification_preferences.all().delete()
        member.consents.filter(withdrawn_at__isnull=True).update(
            withdrawn_at=now, withdrawn_source=ERASURE_SOURCE
        )
        tag = _letters(member.pk)
        member.phone = f"erased-{tag}"
        member.card_number = f"erased{tag}"
        member.email = ""
        member.first_name = ""
        member.last_name = ""
        member.birth_date = None
        member.status = Member.Status.CLOSED
        member.closed_at = member.closed_at or now
        member.closure_requested_at = member.closure_requested_at or now
        member.erased_at = now
        member.save()
        record_data_request(
            member=member, kind=DataRequest.Kind.ERASURE, source=source, now=now, staff=staff
        )
    return member


def erase_closed_members(*, now: dt.datetime, after_days: int, batch: int = 500) -> int:
    """Erase the members closed, or who asked to close their account (withdrew the personal-
    data consent), more than `after_days` days ago; at most `batch` per run, oldest first.
    Returns how many were erased. Safe to run twice: erased members are skipped."""
    cutoff = now - dt.timedelta(days=after_days)
    due = (
        Member.objects.filter(erased_at__isnull=True)
        .filter(Q(closed_at__lte=cutoff) | Q(closure_requested_at__lte=cutoff))
        .order_by("id")
        .values_list("id", flat=True)[:batch]
    )
    erased = 0
    for member_id in list(due):
        erase_member(member_id=member_id, now=now, source=DataRequest.Source.SCHEDULE)
        erased += 1
    return erased
