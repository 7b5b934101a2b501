"""Referral: the referee's bonus on joining, the referrer's after the referee's first purchase,
and the anti-fraud rules — no self-referral, no second life for a returning member, an active
referrer only, a cap per referrer (under concurrency too)."""

import threading

import pytest
from django.db import connection

from campaigns import engine, events
from campaigns.checkout import record_purchase
from campaigns.events import Refusal, canonical_email
from campaigns.models import Award, Campaign
from customers.models import Member
from customers.services import erase_member, update_profile
from loyalty.models import PartnerAPIKey
from tests.api.conftest import ApiClient
from tests.factories import make_campaign, make_member

Kind = Campaign.Kind


@pytest.fixture
def api(partner):
    _obj, key = PartnerAPIKey.objects.create_key(partner=partner, name="till")
    return ApiClient(key)


def referral_campaign(value=100, referrer_points=300, max_per_referrer=None, **fields):
    params = {"referrer_points": referrer_points}
    if max_per_referrer is not None:
        params["max_per_referrer"] = max_per_referrer
    return make_campaign(
        kind=Kind.REFERRAL, effect=Campaign.Effect.FIXED, value=value, params=params, **fields
    )


def join(now, referrer=None, **fields):
    """Enrol a member (with the referrer's code) and run the joining event, as the pages do."""
    if referrer is not None:
        fields["referral_code"] = referrer.referral_code
    member = make_member(now=now, **fields)
    return member, events.member_joined(member, now=now)


def first_purchase(member, partner, now, capture, n=1):
    with capture(execute=True):
        return record_purchase(
            member_id=member.pk,
            partner=partner,
            now=now,
            amount="1000",
            external_id=f"r-{member.pk}-{n}",
        )


def awards_of(member):
    return list(
        Award.objects.filter(member=member)
        .order_by("id")
        .values_list("occasion", "points", "held_out")
    )


@pytest.mark.django_db
def test_the_referee_gets_the_bonus_on_joining_and_the_referrer_after_the_first_purchase(
    partner, now, django_capture_on_commit_callbacks
):
    referral_campaign()
    referrer, _ = join(now)
    referee, results = join(now, referrer)
    assert [(r.member_id, r.occasion, r.reason, r.points) for r in results] == [
        (referee.pk, "referee", "given", 100)
    ]
    assert awards_of(referrer) == []  # nothing before the referee buys

    with django_capture_on_commit_callbacks() as callbacks:
        record_purchase(
            member_id=referee.pk, partner=partner, now=now, amount="1000", external_id="first"
        )
    assert awards_of(referrer) == []  # ...and nothing before that purchase commits
    for callback in callbacks:
        callback()
    assert awards_of(referrer) == [(f"referee:{referee.pk}", 300, False)]

    first_purchase(referee, partner, now, django_capture_on_commit_callbacks, n=2)
    assert awards_of(referrer) == [(f"referee:{referee.pk}", 300, False)]  # the first one only


@pytest.mark.django_db
def test_a_referral_code_given_to_the_api_rewards_the_referee(
    api, now, django_capture_on_commit_callbacks
):
    referral_campaign()
    referrer = make_member(now=now)
    body = {
        "phone": "8 912 555-07-07",
        "consents": {"personal_data": True},
        "referral_code": referrer.referral_code.lower(),
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/members", body)
    assert response.status_code == 201
    assert awards_of(Member.objects.get(pk=response.json()["id"])) == [("referee", 100, False)]


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Ivan.Petrov@gmail.com", "ivanpetrov+bonus@googlemail.com"),
        ("ivan-petrov@yandex.ru", "Ivan.Petrov@ya.ru"),
        ("anna@example.com", "anna+2@Example.com"),
    ],
)
def test_addresses_that_reach_the_same_mailbox_are_the_same_person(one, other):
    assert canonical_email(one) == canonical_email(other)


def test_different_mailboxes_stay_different():
    assert canonical_email("ivan.petrov@example.com") != canonical_email("ivanpetrov@example.com")
    assert canonical_email("") == ""


@pytest.mark.django_db
def test_a_referee_with_the_referrers_own_mailbox_gives_nothing_to_either(
    partner, now, django_capture_on_commit_callbacks
):
    referral_campaign()
    referrer, _ = join(now, email="ivan.petrov@gmail.com")
    referee, results = join(now, referrer, email="IvanPetrov+friend@gmail.com")
    assert [r.reason for r in results] == [Refusal.SELF_REFERRAL]
    first_purchase(referee, partner, now, django_capture_on_commit_callbacks)
    assert awards_of(referee) == awards_of(referrer) == []


@pytest.mark.django_db
def test_a_referee_with_an_e_mail_the_referrer_had_before_gives_nothing(now):
    referral_campaign()
    referrer, _ = join(now, email="old@example.com")
    update_profile(member=referrer, now=now, email="new@example.com")
    events.profile_saved(referrer, now=now)
    referee, results = join(now, referrer, email="old@example.com")
    assert [r.reason for r in results] == [Refusal.SELF_REFERRAL]
    assert awards_of(referee) == []


@pytest.mark.django_db
def test_a_person_who_was_a_member_before_gets_no_welcome_nor_referral_when_joining_again(
    partner, now, django_capture_on_commit_callbacks
):
    referral_campaign()
    make_campaign(kind=Kind.WELCOME, effect=Campaign.Effect.FIXED, value=50)
    friend, _ = join(now)
    old, results = join(now, phone="+79125550909")
    assert [r.reason for r in results] == ["given"]  # the welcome bonus, the first time
    erase_member(member_id=old.pk, now=now, source="admin")  # closed, the phone is freed

    again, results = join(now, friend, phone="+79125550909")

    assert sorted(r.reason for r in results) == [Refusal.ALREADY_MEMBER] * 2
    first_purchase(again, partner, now, django_capture_on_commit_callbacks)
    assert awards_of(again) == []
    assert awards_of(friend) == [("welcome", 50, False)]


@pytest.mark.django_db
def test_a_blocked_referrer_rewards_no_one(partner, now, django_capture_on_commit_callbacks):
    referral_campaign()
    referrer, _ = join(now)
    Member.objects.filter(pk=referrer.pk).update(status=Member.Status.BLOCKED)
    referee, results = join(now, referrer)
    assert [r.reason for r in results] == [Refusal.REFERRER_INACTIVE]
    first_purchase(referee, partner, now, django_capture_on_commit_callbacks)
    assert awards_of(referee) == awards_of(referrer) == []


@pytest.mark.django_db
def test_a_referrer_blocked_before_the_referees_first_purchase_gets_nothing(
    partner, now, django_capture_on_commit_callbacks
):
    referral_campaign()
    referrer, _ = join(now)
    referee, _ = join(now, referrer)
    Member.objects.filter(pk=referrer.pk).update(status=Member.Status.BLOCKED)
    first_purchase(referee, partner, now, django_capture_on_commit_callbacks)
    assert awards_of(referee) == [("referee", 100, False)]
    assert awards_of(referrer) == []


@pytest.mark.django_db
def test_one_referrer_is_rewarded_for_at_most_max_per_referrer_referees(
    partner, now, django_capture_on_commit_callbacks
):
    referral_campaign(max_per_referrer=2)
    referrer, _ = join(now)
    referees = [join(now, referrer)[0] for _ in range(3)]
    for referee in referees:
        first_purchase(referee, partner, now, django_capture_on_commit_callbacks)
    assert [points for _occasion, points, _held in awards_of(referrer)] == [300, 300]
    for referee in referees:  # the referees themselves are not capped
        assert awards_of(referee) == [("referee", 100, False)]
    results = events.first_purchase_recorded(referees[2].pk, 0, now)
    assert [r.reason for r in results] == [Refusal.REFERRER_CAP]


@pytest.mark.django_db
def test_a_held_out_referrer_gets_a_record_and_no_points(
    partner, now, django_capture_on_commit_callbacks
):
    campaign = referral_campaign(holdout_percent=50)
    candidates = [make_member(now=now) for _ in range(12)]
    referrer = next(m for m in candidates if engine.in_holdout(m.pk, campaign))
    referee, _ = join(now, referrer)
    first_purchase(referee, partner, now, django_capture_on_commit_callbacks)
    assert awards_of(referrer) == [(f"referee:{referee.pk}", 0, True)]


@pytest.mark.django_db(transaction=True)
def test_two_referees_buying_at_once_never_pass_the_referrers_cap(partner, now):
    referral_campaign(max_per_referrer=1)
    referrer, _ = join(now)
    referees = [join(now, referrer)[0] for _ in range(2)]
    start = threading.Barrier(len(referees), timeout=30)
    reasons, errors = [], []

    def first_purchase_of(referee):
        try:
            start.wait()
            reasons.extend(r.reason for r in events.first_purchase_recorded(referee.pk, 0, now))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first_purchase_of, args=(r,)) for r in referees]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert sorted(reasons) == ["given", Refusal.REFERRER_CAP]
    assert Award.objects.filter(member=referrer, occasion__startswith="referee:").count() == 1


@pytest.mark.django_db
def test_a_referral_that_gives_the_referrer_nothing_spends_none_of_the_campaigns_uses(
    partner, now, django_capture_on_commit_callbacks
):
    campaign = make_campaign(
        kind=Kind.REFERRAL,
        effect=Campaign.Effect.FIXED,
        value=100,
        params={"referrer_points": 0},
        max_uses=5,
    )
    referrer, _ = join(now)
    referee, _ = join(now, referrer)
    first_purchase(referee, partner, now, django_capture_on_commit_callbacks)
    campaign.refresh_from_db()
    assert (campaign.uses, campaign.spent_points) == (1, 100)  # the referee's bonus only
    assert awards_of(referrer) == []
