"""Joining the program: one member per phone, unique e-mail, consent to join, a plausible birth
date — and nothing saved when any of it fails."""

import datetime as dt
import re

import pytest
from django.db import IntegrityError, transaction

from customers.errors import ConsentRequired, EmailTaken, InvalidInput, MemberExists
from customers.models import Consent, Member
from customers.selectors import live_consents, member_by_phone
from customers.services import set_consent, update_profile
from loyalty.models import Account, LedgerEntry
from loyalty.services.enrolment import enroll_member
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


# --- Consent texts ----------------------------------------------------------------------------


def test_each_consent_keeps_the_exact_text_the_member_agreed_to(db, now):
    from customers.services import consent_text

    member = enroll_member(
        phone="+79123450001",
        consents={"personal_data": True, "marketing_sms": True},
        consent_texts={"personal_data": "Я согласен на обработку данных по правилам программы."},
        now=now,
    )
    texts = dict(member.consents.values_list("kind", "text"))
    assert texts["personal_data"] == "Я согласен на обработку данных по правилам программы."
    assert texts["marketing_sms"] == str(consent_text("marketing_sms"))

    set_consent(member=member, kind="marketing_email", given=True, now=now, source="cabinet")
    given = member.consents.get(kind="marketing_email")
    assert given.text == str(consent_text("marketing_email")) != ""

    set_consent(member=member, kind="marketing_sms", given=False, now=now, source="cabinet")
    assert member.consents.get(kind="marketing_sms").withdrawn_source == "cabinet"


def test_the_consent_text_puts_the_programs_own_words_above_the_tick_box_label(db):
    from customers.services import consent_text

    text = consent_text("personal_data", preamble="Оператор: ООО «Копилка».")
    assert text.startswith("Оператор: ООО «Копилка».\n\n")
    assert text.endswith(str(consent_text("personal_data")))


# --- Erasure (152-FZ) -------------------------------------------------------------------------


@pytest.fixture
def member_with_history(db, now, partner):
    """Anna with a purchase, a gift, an important date, a notification choice, a login code
    and marketing consents."""
    from customers.models import ImportantDate, LoginCode, NotificationPreference
    from tests.loyalty.helpers import buy, give

    member = enroll_member(
        phone="+79123456789",
        email="Anna@Example.com",
        first_name="Анна",
        last_name="Кузнецова",
        birth_date=dt.date(1990, 5, 17),
        consents={"personal_data": True, "marketing_sms": True, "marketing_email": True},
        now=now,
    )
    give(member, 500, now)
    buy(member, partner, now + dt.timedelta(hours=1), "1000", redeem=100)
    ImportantDate.objects.create(member=member, label="Дочь", date=dt.date(2015, 3, 1))
    NotificationPreference.objects.create(member=member, channel="sms", kind="offers")
    for target in ("+79123456789", "anna@example.com"):
        LoginCode.objects.create(target=target, code_hash="h", created_at=now, expires_at=now)
    return member


def _history(member):
    from loyalty.models import PointLot, Purchase

    return (
        list(LedgerEntry.objects.filter(account_id=member.pk).values_list("id", "points")),
        list(PointLot.objects.filter(account_id=member.pk).values_list("id", "remaining")),
        list(Purchase.objects.filter(member=member).values_list("id", "total", "discount")),
    )


def test_erasure_replaces_the_personal_fields_and_keeps_the_points_history(
    member_with_history, now
):
    from customers.models import DataRequest, LoginCode
    from customers.services import erase_member
    from tests.loyalty.helpers import assert_ledger_ok

    member = member_with_history
    history = _history(member)
    other = make_member(phone="+79120000077", first_name="Иван")
    later = now + dt.timedelta(days=1)

    erased = erase_member(member_id=member.pk, now=later, source="cabinet")

    erased.refresh_from_db()
    personal = (erased.phone, erased.email, erased.first_name, erased.last_name, erased.card_number)
    assert not any(value in "".join(map(str, personal)) for value in ("9123456789", "Анна"))
    assert erased.email == erased.first_name == erased.last_name == ""
    assert erased.birth_date is None
    assert not re.search(r"\d", erased.phone + erased.card_number)  # no desk search finds them
    assert erased.status == Member.Status.CLOSED and erased.erased_at == later
    assert not erased.important_dates.exists() and not erased.notification_preferences.exists()
    assert not LoginCode.objects.filter(target__in=["+79123456789", "anna@example.com"]).exists()
    consents = list(erased.consents.values_list("withdrawn_at", "withdrawn_source"))
    assert consents and all(row == (later, "erasure") for row in consents)
    assert not live_consents(erased)
    assert _history(erased) == history  # ledger, lots and purchases stay for the accounts
    assert_ledger_ok()
    assert DataRequest.objects.filter(member=erased, kind="erasure", source="cabinet").count() == 1

    other.refresh_from_db()
    assert other.first_name == "Иван" and other.phone == "+79120000077"


def test_two_erased_members_keep_the_unique_phone_and_card_constraints(db, now):
    from customers.services import erase_member

    first, second = make_member(), make_member()
    a = erase_member(member_id=first.pk, now=now, source="admin")
    b = erase_member(member_id=second.pk, now=now, source="admin")
    assert a.phone != b.phone and a.card_number != b.card_number


def test_erasing_twice_changes_nothing(member_with_history, now):
    from customers.models import DataRequest
    from customers.services import erase_member

    first = erase_member(member_id=member_with_history.pk, now=now, source="cabinet")
    again = erase_member(
        member_id=member_with_history.pk, now=now + dt.timedelta(days=3), source="admin"
    )
    assert again.erased_at == first.erased_at == now
    assert (again.phone, again.card_number) == (first.phone, first.card_number)
    assert DataRequest.objects.filter(member_id=first.pk, kind="erasure").count() == 1


def test_an_erased_member_can_no_longer_log_in_and_the_phone_may_join_anew(
    member_with_history, now
):
    from customers.otp import member_for_target
    from customers.services import erase_member

    erase_member(member_id=member_with_history.pk, now=now, source="cabinet")
    assert member_for_target("+79123456789") is None
    assert member_for_target("anna@example.com") is None
    newcomer = enroll_member(phone="+79123456789", consents={"personal_data": True}, now=now)
    assert newcomer.pk != member_with_history.pk


def test_members_closed_more_than_the_retention_period_ago_are_erased_by_the_nightly_job(db, now):
    from customers.services import erase_closed_members

    closed_long_ago, closed_lately, withdrew_long_ago, active = (make_member() for _ in range(4))
    for member, days_ago in ((closed_long_ago, 31), (closed_lately, 5)):
        member.status = Member.Status.CLOSED
        update_profile(member=member, now=now - dt.timedelta(days=days_ago))
    set_consent(
        member=withdrew_long_ago,
        kind="personal_data",
        given=False,
        now=now - dt.timedelta(days=40),
        source="cabinet",
    )

    assert erase_closed_members(now=now, after_days=30) == 2
    assert erase_closed_members(now=now, after_days=30) == 0  # safe to run twice
    erased = set(Member.objects.filter(erased_at__isnull=False).values_list("pk", flat=True))
    assert erased == {closed_long_ago.pk, withdrew_long_ago.pk}
    assert Member.objects.get(pk=active.pk).status == Member.Status.ACTIVE


def test_reopening_a_closed_member_stops_the_erasure_clock(db, now):
    member = make_member()
    member.status = Member.Status.CLOSED
    update_profile(member=member, now=now)
    assert member.closed_at == now
    member.status = Member.Status.ACTIVE
    update_profile(member=member, now=now + dt.timedelta(days=1))
    assert member.closed_at is None


def test_the_erasure_command_and_beat_job_erase_members_closed_long_enough_ago(db, now, settings):
    import io

    from django.core.management import call_command

    from customers.tasks import erase_closed_members as nightly_job

    settings.ERASE_CLOSED_MEMBERS_AFTER_DAYS = 30
    old, recent = make_member(), make_member()
    for member, days_ago in ((old, 45), (recent, 10)):
        member.status = Member.Status.CLOSED
        update_profile(member=member, now=now - dt.timedelta(days=days_ago))
    out = io.StringIO()
    call_command("erase_closed_members", "--now", now.isoformat(), stdout=out)
    assert out.getvalue().strip() == "1 members erased"
    assert Member.objects.get(pk=old.pk).erased_at == now
    assert nightly_job() == "erase_closed_members: 1 members erased"  # `recent`, as of today
