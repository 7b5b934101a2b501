"""Writes about members: joining, profile changes, consents, closure requests."""

import datetime as dt

from django.db import IntegrityError, transaction
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
from customers.models import Consent, Member
from customers.phones import normalize_phone

CONSENT_TEXT_VERSION = "2026-11"
MAX_AGE_YEARS = 120


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


def enroll_member(
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
) -> Member:
    """Enrol a new member with their consents and open their points account, atomically.

    Joining requires consent to personal data processing; one phone number (in any notation) is
    one member.
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

    from loyalty.services.accounts import open_account

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
                )
                for kind, given in consents.items()
                if given and kind in Consent.Kind.values
            )
            open_account(member=member, now=now)
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
) -> Member:
    """Change a member's own profile fields; e-mail stays unique across members."""
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
) -> None:
    """Give or withdraw one consent; history is kept as rows.

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
                )
            return
        live.update(withdrawn_at=now)
        if kind == Consent.Kind.PERSONAL_DATA and member.closure_requested_at is None:
            member.closure_requested_at = now
            member.save(update_fields=["closure_requested_at", "updated_at"])
