"""Joining the program: one member per phone, unique e-mail, consent to join, a plausible birth
date — and nothing saved when any of it fails."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from customers.errors import ConsentRequired, EmailTaken, InvalidInput, MemberExists
from customers.models import Consent, Member
from customers.selectors import live_consents, member_by_phone
from customers.services import enroll_member, set_consent, update_profile
from loyalty.models import Account, LedgerEntry
from tests.factories import make_member


def _nothing_saved():
    return not (Member.objects.exists() or Consent.objects.exists() or Account.objects.exists())


def test_enrolment_opens_an_account_at_the_entry_tier_with_the_consents_given(db, now):
    member = enroll_member(
        phone="8 (912) 345-67-89",
        consents={"personal_data": True, "marketing_sms": True, "marketing_email": False},
        channel=Member.Channel.DESK,
        now=now,
    )
    assert member.phone == "+79123456789"
    assert member.account.tier.min_spend == 0
    assert member.account.available == 0
    assert live_consents(member) == {"personal_data", "marketing_sms"}
    consent = member.consents.get(kind="personal_data")
    assert (consent.given_at, consent.source) == (now, "desk")
    assert consent.text_version
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize("second", ["+7 912 345 67 89", "89123456789", "+79123456789"])
def test_a_phone_already_enrolled_in_any_notation_is_refused(db, now, second):
    first = make_member(phone="8 (912) 345-67-89", now=now)
    with pytest.raises(MemberExists) as exc:
        make_member(phone=second, now=now)
    assert exc.value.code == "member_exists"
    assert exc.value.extra["id"] == first.pk
    assert Member.objects.count() == 1
    assert member_by_phone(second) == first


def test_email_is_unique_whatever_its_case(db, now):
    make_member(email="Anna.K@Example.ru", now=now)
    with pytest.raises(EmailTaken):
        make_member(email="anna.k@example.RU", now=now)
    assert Member.objects.count() == 1
    assert Member.objects.get().email == "anna.k@example.ru"


def test_a_profile_cannot_take_another_members_email(db, now):
    make_member(email="anna@example.ru", now=now)
    other = make_member(now=now)
    with pytest.raises(EmailTaken):
        update_profile(member=other, email="ANNA@example.ru", now=now)
    other.refresh_from_db()
    assert other.email == ""


def test_the_database_also_refuses_an_email_differing_only_in_case(db, now):
    a = make_member(email="anna@example.ru", now=now)
    b = make_member(now=now)
    b.email = "Anna@Example.RU"
    with pytest.raises(IntegrityError), transaction.atomic():
        b.save(update_fields=["email"])
    assert a.email == "anna@example.ru"


@pytest.mark.parametrize(
    "consents", [{}, {"personal_data": False}, {"marketing_email": True, "marketing_sms": True}]
)
def test_joining_without_personal_data_consent_is_refused_and_nothing_saved(db, now, consents):
    with pytest.raises(ConsentRequired) as exc:
        enroll_member(phone="+79123456789", consents=consents, now=now)
    assert exc.value.code == "consent_required"
    assert "consents" in exc.value.fields
    assert _nothing_saved()


def test_giving_and_withdrawing_a_consent_keeps_its_history(member, now):
    later, latest = now + dt.timedelta(days=10), now + dt.timedelta(days=20)
    set_consent(member=member, kind="marketing_sms", given=True, now=now, source="cabinet")
    set_consent(member=member, kind="marketing_sms", given=False, now=later, source="cabinet")
    assert "marketing_sms" not in live_consents(member)
    set_consent(member=member, kind="marketing_sms", given=True, now=latest, source="desk")
    rows = list(member.consents.filter(kind="marketing_sms").order_by("given_at"))
    assert [(r.given_at, r.withdrawn_at, r.source) for r in rows] == [
        (now, later, "cabinet"),
        (latest, None, "desk"),
    ]
    assert "marketing_sms" in live_consents(member)


def test_giving_a_live_consent_again_adds_no_row(member, now):
    set_consent(member=member, kind="push", given=True, now=now, source="cabinet")
    set_consent(member=member, kind="push", given=True, now=now, source="cabinet")
    assert member.consents.filter(kind="push").count() == 1


def test_withdrawing_personal_data_consent_files_a_closure_request(member, now):
    later = now + dt.timedelta(days=3)
    set_consent(member=member, kind="personal_data", given=False, now=later, source="cabinet")
    member.refresh_from_db()
    assert member.closure_requested_at == later
    assert member.consents.get(kind="personal_data").withdrawn_at == later


def test_an_unknown_consent_kind_is_refused(member, now):
    with pytest.raises(InvalidInput):
        set_consent(member=member, kind="telepathy", given=True, now=now, source="cabinet")


@pytest.mark.parametrize(
    "birth_date", [dt.date(2026, 1, 16), dt.date(2030, 5, 1), dt.date(1890, 1, 1)]
)
def test_an_impossible_birth_date_is_refused_and_nothing_saved(db, now, birth_date):
    with pytest.raises(InvalidInput) as exc:
        make_member(birth_date=birth_date, now=now)
    assert "birth_date" in exc.value.fields
    assert _nothing_saved()


def test_a_birth_date_today_or_long_ago_is_accepted(db, now):
    assert make_member(birth_date=now.date(), now=now).birth_date == now.date()
    assert make_member(birth_date=dt.date(1930, 2, 1), now=now).birth_date.year == 1930
