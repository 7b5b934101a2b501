"""Enrolling a customer on the spot when the lookup finds nobody."""

import pytest

from customers.models import Consent, Member
from desk.models import DeskActivity
from loyalty.models import Account, Program
from loyalty.services.program import clear_cache

pytestmark = pytest.mark.django_db


def test_a_customer_with_consent_is_enrolled_and_opened(desk, cashier):
    response = desk.post("/desk/enroll/", {"phone": "8 999 000-11-22", "consent": "on"})
    assert response.status_code == 302
    member = Member.objects.get(phone="+79990001122")
    assert member.channel == "desk"
    assert Account.objects.filter(pk=member.pk).exists()
    consent = Consent.objects.get(member=member)
    assert (consent.kind, consent.source) == ("personal_data", "desk")
    activity = DeskActivity.objects.get(action="enroll")
    assert (activity.member, activity.user, activity.query) == (member, cashier, "+7 *** ***-11-22")
    assert desk.get(response["Location"]).status_code == 200


def test_without_consent_nobody_is_enrolled(desk):
    response = desk.post("/desk/enroll/", {"phone": "+79990001122"})
    assert response.status_code == 422
    assert "Consent to personal data processing is required" in response.content.decode()
    assert not Member.objects.exists()


def test_an_invalid_phone_is_a_form_error(desk):
    response = desk.post("/desk/enroll/", {"phone": "12345", "consent": "on"})
    assert response.status_code == 422
    assert "This is not a valid phone number." in response.content.decode()
    assert not Member.objects.exists()


def test_a_phone_already_enrolled_is_refused(desk, rich_member):
    response = desk.post("/desk/enroll/", {"phone": "+7 912 345-67-89", "consent": "on"})
    assert response.status_code == 422
    assert "A member with this phone number already exists." in response.content.decode()
    assert Member.objects.count() == 1


def test_enrolments_count_against_the_lookup_limit(desk):
    Program.objects.filter(pk=1).update(desk_lookups_per_minute=1)
    clear_cache()
    assert desk.post("/desk/", {"q": "+79990001122"}).status_code == 200
    response = desk.post("/desk/enroll/", {"phone": "+79990001122", "consent": "on"})
    assert response.status_code == 429
    assert not Member.objects.exists()
