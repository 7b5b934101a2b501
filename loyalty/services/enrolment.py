"""Joining the program: a member is registered and their points account opened together."""

import datetime as dt

from django.db import transaction

from customers.models import Member
from customers.services import CONSENT_TEXT_VERSION, register_member
from loyalty.services.accounts import open_account


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
    consent_texts: dict[str, str] | None = None,
) -> Member:
    """Enrol a new member: register them with their consents (customers' joining rules) and
    open their points account at the entry tier, in one transaction — a member never exists
    without an account. Every way of joining (API, cabinet, desk, admin, import, demo) calls
    this."""
    with transaction.atomic():
        member = register_member(
            phone=phone,
            consents=consents,
            now=now,
            channel=channel,
            source=source,
            email=email,
            first_name=first_name,
            last_name=last_name,
            birth_date=birth_date,
            referral_code=referral_code,
            text_version=text_version,
            consent_texts=consent_texts,
        )
        open_account(member=member, now=now)
    return member
