"""Event bonuses: welcome on joining (from every page a member joins through), first purchase,
profile completed, birthdays and years of membership — each once, moving time."""

import datetime as dt
import logging
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from campaigns import engine, events, tasks
from campaigns.checkout import record_purchase
from campaigns.models import Award, Campaign
from customers.models import Member
from desk.access import CASHIER_GROUP
from loyalty.models import Account, LedgerEntry, PartnerAPIKey
from tests.api.conftest import ApiClient
from tests.cabinet.conftest import login_as
from tests.cabinet.helpers import code_from_outbox
from tests.factories import UserFactory, make_campaign, make_member

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")
Kind = Campaign.Kind


@pytest.fixture
def api(partner):
    _obj, key = PartnerAPIKey.objects.create_key(partner=partner, name="till")
    return ApiClient(key)


@pytest.fixture
def desk(client, store):
    cashier = UserFactory(username="kassa1", is_staff=False, store=store)
    cashier.groups.add(Group.objects.get_or_create(name=CASHIER_GROUP)[0])
    client.force_login(cashier)
    return client


@pytest.fixture
def outbox(settings, tmp_path):
    settings.OUTBOX_DIR = tmp_path / "outbox"
    settings.EMAIL_FILE_PATH = settings.OUTBOX_DIR
    settings.SMS_BACKEND = "customers.sms.FileSMSBackend"
    return settings.OUTBOX_DIR


def at(year, month, day, hour=10):
    return dt.datetime(year, month, day, hour, tzinfo=MSK)


def event_campaign(kind, value=100, **fields):
    return make_campaign(kind=kind, effect=Campaign.Effect.FIXED, value=value, **fields)


def balance(member) -> int:
    account = Account.objects.get(member=member)
    return account.available + account.pending


def awarded(member) -> int:
    """Points given to the member by campaigns (a year's points may have expired since)."""
    return sum(Award.objects.filter(member=member).values_list("points", flat=True))


def given(results):
    return [(r.member_id, r.occasion, r.reason, r.points) for r in results]


def joined_on(member, moment):
    Member.objects.filter(pk=member.pk).update(created_at=moment)
    member.refresh_from_db()
    return member


# --- welcome ------------------------------------------------------------------------------------
def test_joining_gives_every_open_welcome_bonus_once_as_its_own_bonus_entry(now):
    welcome = event_campaign(Kind.WELCOME, 100, name="Welcome")
    event_campaign(Kind.WELCOME, 50, state=Campaign.State.PAUSED)
    event_campaign(Kind.WELCOME, 70, ends_at=now - dt.timedelta(days=1))
    member = make_member(now=now)

    first = events.member_joined(member, now=now)
    again = events.member_joined(member, now=now + dt.timedelta(minutes=5))

    assert given(first) == [(member.pk, "welcome", "given", 100)]
    assert given(again) == [(member.pk, "welcome", "already", 0)]
    assert balance(member) == 100
    award = Award.objects.get(member=member)
    assert (award.campaign, award.occasion, award.points) == (welcome, "welcome", 100)
    entry = LedgerEntry.objects.get(pk=award.entry_id)
    assert (entry.kind, entry.points, entry.reason) == (LedgerEntry.Kind.BONUS, 100, "Welcome")


def test_a_held_out_member_gets_a_record_of_the_welcome_bonus_and_no_points(now):
    welcome = event_campaign(Kind.WELCOME, 100, holdout_percent=50)
    members = [make_member(now=now) for _ in range(12)]
    out = next(m for m in members if engine.in_holdout(m.pk, welcome))
    inside = next(m for m in members if not engine.in_holdout(m.pk, welcome))

    assert given(events.member_joined(out, now=now)) == [(out.pk, "welcome", "held_out", 0)]
    assert given(events.member_joined(inside, now=now)) == [(inside.pk, "welcome", "given", 100)]
    assert Award.objects.get(member=out).held_out
    assert balance(out) == 0
    assert given(events.member_joined(out, now=now)) == [(out.pk, "welcome", "already", 0)]


def test_a_welcome_budget_gives_to_the_first_members_only(now):
    event_campaign(Kind.WELCOME, 100, budget_points=200)
    results = [events.member_joined(make_member(now=now), now=now)[0] for _ in range(3)]
    assert [r.reason for r in results] == ["given", "given", "budget"]
    assert Campaign.objects.get().spent_points == 200


def test_joining_through_the_api_gives_the_welcome_bonus_after_the_enrolment_commits(
    api, django_capture_on_commit_callbacks
):
    event_campaign(Kind.WELCOME, 100)
    body = {"phone": "8 912 555-01-02", "consents": {"personal_data": True}}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api.post("/api/v1/members", body)
    assert response.status_code == 201
    assert len(callbacks) == 1
    assert balance(Member.objects.get(pk=response.json()["id"])) == 100


def test_a_failing_welcome_bonus_is_logged_and_never_fails_the_enrolment(
    api, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    event_campaign(Kind.WELCOME, 100)

    def broken(*args, **kwargs):
        raise RuntimeError("ledger down")

    monkeypatch.setattr(events, "grant", broken)
    body = {"phone": "8 912 555-01-03", "consents": {"personal_data": True}}
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/members", body)
    assert response.status_code == 201
    assert Member.objects.filter(pk=response.json()["id"]).exists()
    assert "event bonus failed" in caplog.text
    assert not Award.objects.exists()


def test_joining_at_the_desk_gives_the_welcome_bonus(desk, django_capture_on_commit_callbacks):
    event_campaign(Kind.WELCOME, 100)
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post("/desk/enroll/", {"phone": "8 999 000-11-22", "consent": "on"})
    assert response.status_code in (200, 302)
    assert balance(Member.objects.get(phone="+79990001122")) == 100


def test_joining_in_the_cabinet_gives_the_welcome_bonus(
    client, outbox, django_capture_on_commit_callbacks
):
    event_campaign(Kind.WELCOME, 100)
    client.post(reverse("cabinet:join"), {"phone": "8 916 111-22-33", "personal_data": "on"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("cabinet:code"), {"code": code_from_outbox(outbox, "+79161112233")})
    assert balance(Member.objects.get(phone="+79161112233")) == 100


# --- first purchase (a purchase kind, checked by the engine) -------------------------------------
def test_the_first_purchase_bonus_goes_only_to_a_members_very_first_purchase(partner, now):
    member = make_member(now=now)
    bought_before = make_member(now=now)
    record_purchase(
        member_id=bought_before.pk, partner=partner, now=now, amount="500", external_id="old-1"
    )
    event_campaign(Kind.FIRST_PURCHASE, 300, name="First purchase")

    first = record_purchase(
        member_id=member.pk, partner=partner, now=now, amount="1000", external_id="p-1"
    )
    second = record_purchase(
        member_id=member.pk, partner=partner, now=now, amount="1000", external_id="p-2"
    )
    later = record_purchase(
        member_id=bought_before.pk, partner=partner, now=now, amount="1000", external_id="old-2"
    )

    assert (first.purchase.bonus_points, second.purchase.bonus_points) == (300, 0)
    assert later.purchase.bonus_points == 0  # bought before the campaign existed
    assert Award.objects.filter(points=300).count() == 1


# --- profile completed ---------------------------------------------------------------------------
def test_a_completed_profile_gives_its_bonus_once_when_every_field_is_filled(now):
    event_campaign(Kind.PROFILE, 200)
    member = make_member(now=now, first_name="Анна")

    assert events.profile_saved(member, now=now) == []  # last name, e-mail, birthday missing
    member.last_name, member.email, member.birth_date = "Кузнецова", "a@example.com", None
    assert events.profile_saved(member, now=now) == []
    member.birth_date = dt.date(1990, 5, 17)
    member.save()
    assert given(events.profile_saved(member, now=now)) == [(member.pk, "profile", "given", 200)]
    assert given(events.profile_saved(member, now=now)) == [(member.pk, "profile", "already", 0)]
    assert balance(member) == 200


def test_a_profile_campaign_may_ask_only_for_the_fields_the_marketer_picked(now):
    event_campaign(Kind.PROFILE, 50, params={"fields": ["email"]})
    member = make_member(now=now)
    assert events.profile_saved(member, now=now) == []
    member.email = "anna@example.com"
    assert [r.reason for r in events.profile_saved(member, now=now)] == ["given"]


def test_saving_the_profile_in_the_cabinet_gives_the_profile_bonus(
    client, now, django_capture_on_commit_callbacks
):
    event_campaign(Kind.PROFILE, 200)
    member = make_member(now=now)
    login_as(client, member)
    data = {
        "first_name": "Анна",
        "last_name": "Кузнецова",
        "email": "anna@example.com",
        "birth_date": "1990-05-17",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("cabinet:profile"), data)
    assert response.status_code == 302
    assert balance(member) == 200


# --- birthdays -----------------------------------------------------------------------------------
def birthday_campaign(before=0, after=0, value=100, **fields):
    return event_campaign(
        Kind.BIRTHDAY, value, params={"days_before": before, "days_after": after}, **fields
    )


def test_a_birthday_bonus_is_given_inside_the_window_once_a_year(now):
    birthday_campaign(before=3, after=2)
    member = make_member(now=now, birth_date=dt.date(1990, 6, 10))

    assert events.birthday_bonuses(now=at(2026, 6, 6)) == []  # four days before: too early
    assert given(events.birthday_bonuses(now=at(2026, 6, 7))) == [
        (member.pk, "birthday:2026", "given", 100)
    ]
    for day in (8, 10, 12):
        assert [r.reason for r in events.birthday_bonuses(now=at(2026, 6, day))] == ["already"]
    assert events.birthday_bonuses(now=at(2026, 6, 13)) == []  # three days after: over
    assert given(events.birthday_bonuses(now=at(2027, 6, 9))) == [
        (member.pk, "birthday:2027", "given", 100)
    ]
    assert awarded(member) == 200


def test_a_birthday_missed_by_a_stopped_job_is_caught_up_within_the_window_only(now):
    birthday_campaign(after=5)
    late = make_member(now=now, birth_date=dt.date(1985, 3, 2))
    too_late = make_member(now=now, birth_date=dt.date(1985, 2, 20))
    # The job did not run from 1 to 6 March.
    results = events.birthday_bonuses(now=at(2026, 3, 7))
    assert given(results) == [(late.pk, "birthday:2026", "given", 100)]
    assert balance(too_late) == 0


def test_a_new_year_birthday_counts_for_the_year_it_falls_in_across_the_year_end(now):
    birthday_campaign(before=3, after=3)
    december = make_member(now=now, birth_date=dt.date(1990, 12, 31))
    january = make_member(now=now, birth_date=dt.date(1991, 1, 1))

    results = events.birthday_bonuses(now=at(2026, 12, 29))
    assert sorted(given(results)) == sorted(
        [
            (december.pk, "birthday:2026", "given", 100),
            (january.pk, "birthday:2027", "given", 100),
        ]
    )
    results = events.birthday_bonuses(now=at(2027, 1, 2))
    assert sorted(r.reason for r in results) == ["already", "already"]
    assert balance(december) == balance(january) == 100


def test_the_month_end_window_reaches_into_the_next_month(now):
    birthday_campaign(before=2)
    member = make_member(now=now, birth_date=dt.date(1990, 5, 1))
    assert given(events.birthday_bonuses(now=at(2026, 4, 29))) == [
        (member.pk, "birthday:2026", "given", 100)
    ]


def test_a_29_february_birthday_is_kept_on_28_february_in_common_years(now):
    birthday_campaign()
    leapling = make_member(now=now, birth_date=dt.date(2000, 2, 29))
    assert events.birthday_bonuses(now=at(2027, 2, 27)) == []
    assert given(events.birthday_bonuses(now=at(2027, 2, 28))) == [
        (leapling.pk, "birthday:2027", "given", 100)
    ]
    assert [r.reason for r in events.birthday_bonuses(now=at(2027, 3, 1))] == []
    assert events.birthday_bonuses(now=at(2028, 2, 28)) == []  # a leap year: on the 29th
    assert given(events.birthday_bonuses(now=at(2028, 2, 29))) == [
        (leapling.pk, "birthday:2028", "given", 100)
    ]


def test_the_birthday_follows_the_program_time_zone(now):
    birthday_campaign()
    member = make_member(now=now, birth_date=dt.date(1990, 7, 1))
    late_evening_utc = dt.datetime(2026, 6, 30, 21, 30, tzinfo=dt.UTC)  # 00:30 on 1 July, Moscow
    assert [r.reason for r in events.birthday_bonuses(now=late_evening_utc)] == ["given"]
    assert balance(member) == 100


def test_blocked_members_and_held_out_members_get_no_birthday_points(now):
    campaign = birthday_campaign(holdout_percent=50)
    members = [make_member(now=now, birth_date=dt.date(1990, 8, 8)) for _ in range(12)]
    blocked = members.pop()
    Member.objects.filter(pk=blocked.pk).update(status=Member.Status.BLOCKED)

    results = {r.member_id: r.reason for r in events.birthday_bonuses(now=at(2026, 8, 8))}

    assert blocked.pk not in results
    for member in members:
        expected = "held_out" if engine.in_holdout(member.pk, campaign) else "given"
        assert results[member.pk] == expected
    assert "held_out" in results.values() and "given" in results.values()
    assert Award.objects.filter(held_out=True, points=0).count() == list(results.values()).count(
        "held_out"
    )


def test_the_birthday_job_reads_candidates_in_batches_and_not_everyone(
    now, django_assert_max_num_queries
):
    birthday_campaign()
    for day in range(1, 11):
        make_member(now=now, birth_date=dt.date(1990, 9, day))
    celebrating = [make_member(now=now, birth_date=dt.date(1980, 9, 15)) for _ in range(5)]

    results = events.birthday_bonuses(now=at(2026, 9, 15), batch=2)

    assert sorted(r.member_id for r in results) == sorted(m.pk for m in celebrating)
    with django_assert_max_num_queries(8):  # 3 batches of 2 + the end, each with its awards read
        results = events.birthday_bonuses(now=at(2026, 9, 15), batch=2)
    assert {r.reason for r in results} == {"already"}


def test_a_dry_run_lists_who_is_due_and_gives_nothing(now):
    birthday_campaign()
    member = make_member(now=now, birth_date=dt.date(1990, 10, 10))
    results = events.birthday_bonuses(now=at(2026, 10, 10), dry_run=True)
    assert given(results) == [(member.pk, "birthday:2026", "due", 0)]
    assert not Award.objects.exists()


# --- years of membership -------------------------------------------------------------------------
def anniversary_campaign(every=1, value=500, **fields):
    return event_campaign(Kind.ANNIVERSARY, value, params={"every_years": every}, **fields)


def test_each_year_of_membership_gives_its_bonus_once_on_the_anniversary(now):
    anniversary_campaign()
    member = joined_on(make_member(now=now), at(2024, 4, 10, 15))

    assert events.anniversary_bonuses(now=at(2025, 4, 9)) == []
    assert given(events.anniversary_bonuses(now=at(2025, 4, 10))) == [
        (member.pk, "anniversary:1", "given", 500)
    ]
    assert [r.reason for r in events.anniversary_bonuses(now=at(2025, 4, 11))] == ["already"]
    assert given(events.anniversary_bonuses(now=at(2026, 4, 12))) == [
        (member.pk, "anniversary:2", "given", 500)
    ]
    assert awarded(member) == 1000


def test_after_downtime_only_the_current_year_is_given_and_only_shortly_after_it(now):
    anniversary_campaign()
    member = joined_on(make_member(now=now), at(2020, 4, 10))
    # The job (or the campaign) starts on 14 April 2026: the 6th year, four days late.
    assert given(events.anniversary_bonuses(now=at(2026, 4, 14))) == [
        (member.pk, "anniversary:6", "given", 500)
    ]
    other = joined_on(make_member(now=now), at(2020, 3, 1))
    assert events.anniversary_bonuses(now=at(2026, 4, 14)) and balance(other) == 0
    late = events.ANNIVERSARY_CATCH_UP_DAYS + 1
    assert events.anniversary_bonuses(now=at(2027, 4, 10) + dt.timedelta(days=late)) == []


def test_every_second_year_skips_the_odd_years(now):
    anniversary_campaign(every=2)
    member = joined_on(make_member(now=now), at(2023, 11, 30))
    assert events.anniversary_bonuses(now=at(2024, 11, 30)) == []
    assert given(events.anniversary_bonuses(now=at(2025, 11, 30))) == [
        (member.pk, "anniversary:2", "given", 500)
    ]
    assert events.anniversary_bonuses(now=at(2026, 11, 30)) == []


def test_the_anniversary_is_the_day_of_joining_in_the_program_time_zone(now):
    anniversary_campaign()
    # 22:30 UTC on 9 May is 01:30 on 10 May in Moscow: the member joined on 10 May.
    member = joined_on(make_member(now=now), dt.datetime(2024, 5, 9, 22, 30, tzinfo=dt.UTC))
    assert events.anniversary_bonuses(now=at(2025, 5, 9)) == []
    assert [r.member_id for r in events.anniversary_bonuses(now=at(2025, 5, 10))] == [member.pk]


def test_a_member_who_joined_on_29_february_has_the_anniversary_on_28_february(now):
    anniversary_campaign()
    member = joined_on(make_member(now=now), at(2024, 2, 29))
    assert events.anniversary_bonuses(now=at(2025, 2, 27)) == []
    assert given(events.anniversary_bonuses(now=at(2025, 2, 28))) == [
        (member.pk, "anniversary:1", "given", 500)
    ]
    assert [r.reason for r in events.anniversary_bonuses(now=at(2025, 3, 1))] == ["already"]


# --- the beat jobs and the command ---------------------------------------------------------------
def test_the_beat_jobs_give_what_is_due_at_the_moment_they_run(now):
    birthday_campaign()
    anniversary_campaign()
    birthday = make_member(now=now, birth_date=dt.date(1990, 6, 10))
    joined_on(birthday, at(2025, 6, 10))
    with time_machine.travel(at(2026, 6, 10, 9), tick=False):
        line = tasks.give_birthday_bonuses()
        assert "given 1" in line and "100 points" in line
        assert "given 1" in tasks.give_anniversary_bonuses()
        assert "already 1" in tasks.give_birthday_bonuses()
    assert balance(birthday) == 600


def test_the_command_prints_what_it_gave_and_skipped_and_why(now):
    birthday_campaign(code="bday", holdout_percent=50)
    members = [make_member(now=now, birth_date=dt.date(1990, 6, 10)) for _ in range(8)]
    out = StringIO()
    call_command("give_event_bonuses", "--now", "2026-06-10T10:00", "--dry-run", stdout=out)
    assert "(dry run)" in out.getvalue() and "birthday: due 8" in out.getvalue()
    assert not Award.objects.exists()

    out = StringIO()
    call_command("give_event_bonuses", "--now", "2026-06-10T10:00", stdout=out)
    text = out.getvalue()
    assert f"campaign 'bday', member {members[0].pk}, birthday:2026:" in text
    assert "held_out" in text and "given" in text and "100 points" in text
    assert "anniversary: none due" in text


def test_the_command_refuses_a_moment_that_is_not_iso():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not an ISO"):
        call_command("give_event_bonuses", "--now", "tomorrow", stdout=StringIO())
