"""Joining and logging in through the pages: codes, consents, sessions, CSRF."""

import re
from urllib.parse import quote_plus

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from cabinet.member_auth import SESSION_KEY
from customers.models import Consent, LoginCode, Member
from customers.phones import mask_phone
from tests.cabinet.helpers import code_from_outbox
from tests.factories import make_member

pytestmark = pytest.mark.django_db
PHONE = "+79161112233"


@pytest.fixture
def en_client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def join(client, **extra):
    data = {"phone": "8 916 111-22-33", "personal_data": "on", **extra}
    return client.post(reverse("cabinet:join"), data)


def test_joining_with_a_phone_sends_a_code_and_the_code_opens_home(en_client, outbox):
    response = join(en_client, first_name="Анна")
    assert response.status_code == 302 and response.url == reverse("cabinet:code")
    assert not Member.objects.exists()  # nobody is enrolled before the phone is proven

    code = code_from_outbox(outbox, PHONE)
    response = en_client.post(reverse("cabinet:code"), {"code": code}, follow=True)
    member = Member.objects.get(phone=PHONE)
    assert member.channel == Member.Channel.CABINET
    assert member.first_name == "Анна"
    assert response.redirect_chain[-1][0] == reverse("cabinet:home")
    assert member.card_number.encode() in response.content
    # Marketing consents are optional and unticked: only personal data was given.
    assert set(member.consents.values_list("kind", flat=True)) == {"personal_data"}


def test_joining_records_the_marketing_consents_ticked_and_the_referrer(en_client, outbox):
    friend = make_member()
    join(en_client, marketing_sms="on", referral_code=friend.referral_code.lower())
    en_client.post(reverse("cabinet:code"), {"code": code_from_outbox(outbox, PHONE)})
    member = Member.objects.get(phone=PHONE)
    assert member.referred_by == friend
    assert set(member.consents.values_list("kind", flat=True)) == {
        Consent.Kind.PERSONAL_DATA,
        Consent.Kind.MARKETING_SMS,
    }


def test_joining_without_the_personal_data_consent_is_refused(en_client, outbox):
    response = join(en_client, personal_data="")
    assert response.status_code == 200
    assert b"Consent to personal data processing is required" in response.content
    assert not LoginCode.objects.exists()


def test_a_wrong_referral_code_is_shown_on_the_join_form(en_client, outbox):
    join(en_client, referral_code="NOSUCH")
    response = en_client.post(reverse("cabinet:code"), {"code": code_from_outbox(outbox, PHONE)})
    assert response.status_code == 400
    assert b"No member has this referral code" in response.content
    assert not Member.objects.exists()


def _login_answers(client, phone: str) -> list[str]:
    """What the pages say to someone who logs in with `phone` and types a wrong code, with the
    phone itself (masked, or in the join link) and the CSRF token taken out."""
    answers = []
    response = client.post(reverse("cabinet:login"), {"target": phone}, follow=True)
    answers.append(response.content.decode())
    response = client.post(reverse("cabinet:code"), {"code": "000000"})
    answers.append(response.content.decode())
    variable = [re.escape(mask_phone(phone)), re.escape(quote_plus(phone)), r'value="[^"]{64}"']
    return [re.sub("|".join(variable), "", answer) for answer in answers]


def test_a_login_answers_alike_for_members_and_strangers(outbox, member, settings):
    stranger = "+79160000000"
    member_pages = _login_answers(Client(HTTP_ACCEPT_LANGUAGE="en"), member.phone)
    stranger_pages = _login_answers(Client(HTTP_ACCEPT_LANGUAGE="en"), stranger)
    assert member_pages == stranger_pages
    assert "is registered in the program, we sent a 6-digit code" in member_pages[0]
    assert f"{reverse('cabinet:join')}?phone=" in stranger_pages[0]  # the invitation to join
    assert "Tries left: 4" in stranger_pages[1]
    # Only the member got a code.
    code_from_outbox(outbox, member.phone)
    assert not [p for p in outbox.glob("sms-*.txt") if stranger in p.read_text()]


def test_strangers_phones_count_against_the_sending_limits_too(en_client, outbox):
    for _ in range(3):
        response = en_client.post(reverse("cabinet:login"), {"target": "+79160000000"})
        assert response.status_code == 302
    response = en_client.post(reverse("cabinet:login"), {"target": "+79160000000"})
    assert response.status_code == 200
    assert b"Too many codes were requested" in response.content


def test_the_login_page_answers_nobody_more_than_ten_times_an_hour_per_ip(en_client, outbox):
    for i in range(10):
        response = en_client.post(reverse("cabinet:login"), {"target": f"+7916000001{i}"})
        assert response.status_code == 302
    response = en_client.post(reverse("cabinet:login"), {"target": "+79160000020"})
    assert b"Too many codes were requested" in response.content


def test_joining_with_a_members_phone_sends_the_member_a_code_that_logs_in(en_client, outbox):
    member = make_member(phone=PHONE)
    response = join(en_client, first_name="Someone")
    assert response.status_code == 302 and response.url == reverse("cabinet:code")
    en_client.post(reverse("cabinet:code"), {"code": code_from_outbox(outbox, PHONE)})
    assert en_client.session[SESSION_KEY] == member.pk
    assert Member.objects.count() == 1


def test_logging_in_rotates_the_session_key(en_client, outbox, member):
    en_client.post(reverse("cabinet:login"), {"target": member.phone})
    key_before = en_client.session.session_key
    assert key_before
    en_client.post(reverse("cabinet:code"), {"code": code_from_outbox(outbox, member.phone)})
    session = en_client.session
    assert session.session_key != key_before
    assert session[SESSION_KEY] == member.pk


def test_login_by_email_sends_the_code_by_email(en_client, now):
    member = make_member(email="anna@example.com")
    en_client.post(reverse("cabinet:login"), {"target": "Anna@Example.com"})
    (message,) = mail.outbox
    code = message.body.split(": ")[1][:6]
    response = en_client.post(reverse("cabinet:code"), {"code": code})
    assert response.status_code == 302
    assert en_client.session[SESSION_KEY] == member.pk


def test_wrong_codes_show_tries_left_then_lock(en_client, outbox, member):
    en_client.post(reverse("cabinet:login"), {"target": member.phone})
    code = code_from_outbox(outbox, member.phone)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    response = en_client.post(reverse("cabinet:code"), {"code": wrong})
    assert b"Tries left: 4" in response.content
    for _ in range(4):
        response = en_client.post(reverse("cabinet:code"), {"code": wrong})
    assert b"Too many wrong tries" in response.content
    response = en_client.post(reverse("cabinet:code"), {"code": code})
    assert b"Too many wrong tries" in response.content
    assert SESSION_KEY not in en_client.session


def test_asking_for_codes_too_often_is_refused(en_client, outbox, member):
    for _ in range(3):
        assert en_client.post(reverse("cabinet:login"), {"target": member.phone}).status_code == 302
    response = en_client.post(reverse("cabinet:login"), {"target": member.phone})
    assert response.status_code == 200
    assert b"Too many codes were requested" in response.content
    assert LoginCode.objects.count() == 3


def test_csrf_is_enforced_on_the_cabinet_forms(outbox, member):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("cabinet:login"), {"target": member.phone})
    assert response.status_code == 403
    assert not LoginCode.objects.exists()

    client.get(reverse("cabinet:login"))
    token = client.cookies["csrftoken"].value
    response = client.post(
        reverse("cabinet:login"), {"target": member.phone, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    "name", ["card", "history", "offers", "profile", "statement"], ids=lambda n: n
)
def test_member_pages_send_visitors_to_the_login(client, name):
    response = client.get(reverse(f"cabinet:{name}"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("cabinet:login") + "?next=")


def test_before_joining_the_home_page_explains_the_program_from_its_settings(client):
    """The numbers come from the program and its tiers, so they follow every change."""
    from loyalty.models import Program, Tier
    from loyalty.services.program import clear_cache

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    html = client.get(reverse("cabinet:home")).content.decode()
    assert reverse("cabinet:join") in html and reverse("cabinet:login") in html
    assert "Up to 30\u00a0% of a check" in html and "1 point per 50 ₽" in html
    assert "under 10,000 ₽" in html and "from 30,000 ₽" in html
    Program.objects.filter(pk=1).update(max_redeem_percent=25)
    Tier.objects.filter(code="gold").update(rubles_per_point=20)
    clear_cache()
    html = client.get(reverse("cabinet:home")).content.decode()
    assert "Up to 25\u00a0% of a check" in html and "1 point per 20 ₽" in html


def test_logging_out_ends_the_session(member_client):
    assert member_client.get(reverse("cabinet:history")).status_code == 200
    member_client.post(reverse("cabinet:logout"))
    assert member_client.get(reverse("cabinet:history")).status_code == 302


def test_login_goes_back_to_the_page_asked_for_but_never_off_site(en_client, outbox, member):
    en_client.post(
        reverse("cabinet:login") + "?next=/history/",
        {"target": member.phone, "next": "/history/"},
    )
    response = en_client.post(
        reverse("cabinet:code"), {"code": code_from_outbox(outbox, member.phone)}
    )
    assert response.url == "/history/"
    en_client.post(reverse("cabinet:logout"))
    en_client.post(
        reverse("cabinet:login"), {"target": member.phone, "next": "https://evil.example/"}
    )
    response = en_client.post(
        reverse("cabinet:code"), {"code": code_from_outbox(outbox, member.phone)}
    )
    assert response.url == reverse("cabinet:home")
