"""The cabinet's notification choices (defaulting to the channel's consent), push subscription
in the browser, and the unsubscribe link that works without login."""

import base64
import json
import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client
from django.urls import reverse

from campaigns.models import PushSubscription
from campaigns.unsubscribe import unsubscribe_url
from customers.models import Consent, NotificationPreference
from customers.notifications import allowed
from customers.services import erase_member, set_consent
from tests.cabinet.conftest import login_as
from tests.factories import make_member

pytestmark = pytest.mark.django_db

TOPICS = NotificationPreference.Kind.values
CHANNELS = NotificationPreference.Channel.values


def give(member, kind, now):
    set_consent(member=member, kind=kind, given=True, now=now, source="test")


def live(member, kind) -> bool:
    return member.consents.filter(kind=kind, withdrawn_at__isnull=True).exists()


def checked(html: str, name: str) -> bool:
    start = html.index(f'name="{name}"')
    return " checked" in html[start : html.index(">", start)]


# --- Choices ------------------------------------------------------------------------------------


def test_choices_default_to_each_channels_consent(member_client, member, now):
    give(member, Consent.Kind.MARKETING_EMAIL, now)
    html = member_client.get(reverse("cabinet:notifications")).content.decode()
    assert all(checked(html, f"email__{topic}") for topic in TOPICS)
    assert not any(checked(html, f"{c}__{t}") for c in ("sms", "push") for t in TOPICS)
    assert "consent given" in html and "no consent" in html
    assert "Send me offers by SMS" in html  # what ticking an SMS box agrees to


def test_a_channel_without_consent_shows_off_whatever_was_chosen_before(member_client, member, now):
    NotificationPreference.objects.create(member=member, channel="sms", kind="expiry", enabled=True)
    html = member_client.get(reverse("cabinet:notifications")).content.decode()
    assert not checked(html, "sms__expiry")


def test_ticking_a_box_of_a_channel_without_consent_gives_that_consent(member_client, member):
    member_client.post(reverse("cabinet:notifications"), {"sms__expiry": "on"})
    grant = member.consents.get(kind=Consent.Kind.MARKETING_SMS)
    assert grant.withdrawn_at is None and grant.source == "cabinet"
    assert grant.text == "Send me offers by SMS"
    stored = {
        (p.channel, p.kind): p.enabled for p in NotificationPreference.objects.filter(member=member)
    }
    assert stored == {("sms", topic): topic == "expiry" for topic in TOPICS}
    # Channels left without consent keep no rows: consent given later turns their topics on.
    assert not live(member, Consent.Kind.MARKETING_EMAIL)
    assert allowed([member.pk], "expiry", ["email", "sms"]) == {member.pk: ["sms"]}
    assert allowed([member.pk], "offers", ["email", "sms"]) == {member.pk: []}


def test_switching_everything_off_keeps_the_consent_and_stops_the_channel(
    member_client, member, now
):
    give(member, Consent.Kind.MARKETING_EMAIL, now)
    response = member_client.post(reverse("cabinet:notifications"), {})
    assert response.status_code == 302
    assert live(member, Consent.Kind.MARKETING_EMAIL)
    assert not member.consents.filter(kind=Consent.Kind.MARKETING_SMS).exists()
    assert allowed([member.pk], "expiry", ["email"]) == {member.pk: []}


def test_the_profile_links_to_the_notification_page(member_client):
    html = member_client.get(reverse("cabinet:profile")).content.decode()
    assert reverse("cabinet:notifications") in html


def test_the_notification_page_needs_a_login(client):
    response = client.get(reverse("cabinet:notifications"))
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- Push subscription --------------------------------------------------------------------------


def browser_subscription(endpoint="https://fcm.googleapis.com/fcm/send/abc:123") -> dict:
    key = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    b64 = lambda data: base64.urlsafe_b64encode(data).rstrip(b"=").decode()  # noqa: E731
    return {
        "endpoint": endpoint,
        "expirationTime": None,
        "keys": {"p256dh": b64(key), "auth": b64(os.urandom(16))},
    }


def post_json(client, name, body, **extra):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(reverse(name), data, content_type="application/json", **extra)


@pytest.fixture
def csrf_client(member):
    """A logged-in browser whose requests are checked for the CSRF token, as in production."""
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    login_as(client, member)
    client.get(reverse("cabinet:notifications"))  # sets the CSRF cookie
    return client


def test_the_push_button_stores_the_browsers_subscription(csrf_client, member, settings):
    settings.VAPID_PUBLIC_KEY = "BPublicKey"
    page = csrf_client.get(reverse("cabinet:notifications")).content.decode()
    assert 'data-vapid-key="BPublicKey"' in page
    assert "Turn on notifications in this browser" in page
    assert "Turning them on gives your consent: «Send me push notifications»." in page
    token = csrf_client.cookies["csrftoken"].value
    body = browser_subscription()
    response = post_json(
        csrf_client,
        "cabinet:push_subscribe",
        body,
        HTTP_X_CSRFTOKEN=token,
        HTTP_USER_AGENT="Firefox 140",
    )
    assert response.status_code == 201, response.content
    subscription = PushSubscription.objects.get()
    assert (subscription.member, subscription.endpoint) == (member, body["endpoint"])
    assert subscription.p256dh == body["keys"]["p256dh"]
    assert subscription.user_agent == "Firefox 140"
    # Turning push on asks for it: the push consent is given, so push messages may now come.
    grant = member.consents.get(kind=Consent.Kind.PUSH)
    assert grant.withdrawn_at is None and grant.source == "cabinet"
    assert allowed([member.pk], "expiry", ["push"]) == {member.pk: ["push"]}
    # The same browser again: still one subscription.
    post_json(csrf_client, "cabinet:push_subscribe", body, HTTP_X_CSRFTOKEN=token)
    assert PushSubscription.objects.count() == 1
    # And it is listed on the page with a way to remove it.
    page = csrf_client.get(reverse("cabinet:notifications")).content.decode()
    assert reverse("cabinet:push_remove", args=[subscription.pk]) in page


def test_a_push_subscription_without_the_csrf_token_is_refused(csrf_client):
    response = post_json(csrf_client, "cabinet:push_subscribe", browser_subscription())
    assert response.status_code == 403
    assert not PushSubscription.objects.exists()


def test_a_visitor_cannot_subscribe_push(client):
    response = post_json(client, "cabinet:push_subscribe", browser_subscription())
    assert response.status_code == 302
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ("{not json", "invalid_json", None),
        ("[1, 2]", "invalid_json", None),
        ({"endpoint": "https://fcm.googleapis.com/x"}, "invalid_subscription", "p256dh"),
        ({**browser_subscription("http://push.example.com/x")}, "invalid_subscription", "endpoint"),
        ({**browser_subscription("https://127.0.0.1/x")}, "invalid_subscription", "endpoint"),
        ({**browser_subscription("https://localhost/x")}, "invalid_subscription", "endpoint"),
        (
            {**browser_subscription(), "keys": {"p256dh": "AAAA", "auth": "AAAA"}},
            "invalid_subscription",
            "p256dh",
        ),
    ],
)
def test_a_bad_push_subscription_gets_a_clear_400(member_client, body, code, field):
    response = post_json(member_client, "cabinet:push_subscribe", body)
    assert response.status_code == 400
    answer = response.json()
    assert answer["code"] == code and answer["detail"]
    if field:
        assert field in answer["fields"]
    assert not PushSubscription.objects.exists()


def test_a_browser_that_switches_member_now_notifies_the_new_member(member_client, member, now):
    other = make_member(now=now)
    body = browser_subscription()
    PushSubscription.objects.create(
        member=other, endpoint=body["endpoint"], p256dh="x", auth="y", created_at=now
    )
    assert post_json(member_client, "cabinet:push_subscribe", body).status_code == 201
    assert PushSubscription.objects.get().member == member


def test_turning_push_off_forgets_only_this_members_browser(member_client, member, now):
    mine = browser_subscription()
    post_json(member_client, "cabinet:push_subscribe", mine)
    other = make_member(now=now)
    theirs = PushSubscription.objects.create(
        member=other,
        endpoint="https://fcm.googleapis.com/theirs",
        p256dh="x",
        auth="y",
        created_at=now,
    )
    response = post_json(member_client, "cabinet:push_unsubscribe", {"endpoint": mine["endpoint"]})
    assert response.json() == {"removed": True}
    response = post_json(member_client, "cabinet:push_unsubscribe", {"endpoint": theirs.endpoint})
    assert response.json() == {"removed": False}
    assert list(PushSubscription.objects.all()) == [theirs]
    assert post_json(member_client, "cabinet:push_unsubscribe", "{").status_code == 400
    response = member_client.post(reverse("cabinet:push_remove", args=[theirs.pk]))
    assert response.status_code == 404


def test_the_service_worker_is_served_from_the_site_root(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    body = response.content.decode()
    assert "showNotification" in body and "openWindow" in body


# --- Unsubscribe without login ------------------------------------------------------------------


@pytest.fixture
def subscribed(member, now):
    """A member who gets offers by e-mail."""
    give(member, Consent.Kind.MARKETING_EMAIL, now)
    assert allowed([member.pk], "offers", ["email"]) == {member.pk: ["email"]}
    return member


def link_path(member, channel="email", topic="offers") -> str:
    return unsubscribe_url(member.pk, channel, topic).removeprefix("http://localhost:8000")


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "http://localhost:8000"


def test_one_click_on_the_link_switches_the_topic_off_without_login(client, subscribed):
    response = client.get(link_path(subscribed), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert "messages about “offers and campaigns” will no longer come by e-mail" in html
    assert allowed([subscribed.pk], "offers", ["email"]) == {subscribed.pk: []}
    assert allowed([subscribed.pk], "expiry", ["email"]) == {subscribed.pk: ["email"]}
    pref = NotificationPreference.objects.get(member=subscribed)
    assert (pref.channel, pref.kind, pref.enabled) == ("email", "offers", False)


def test_clicking_the_link_twice_changes_nothing_more(client, subscribed):
    client.get(link_path(subscribed))
    response = client.get(link_path(subscribed))
    assert response.status_code == 200
    assert NotificationPreference.objects.filter(member=subscribed).count() == 1
    assert live(subscribed, Consent.Kind.MARKETING_EMAIL)


def test_a_mail_clients_one_click_post_unsubscribes_without_a_csrf_token(subscribed):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        link_path(subscribed),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert allowed([subscribed.pk], "offers", ["email"]) == {subscribed.pk: []}


def test_switching_off_all_marketing_withdraws_the_channels_consent(client, subscribed):
    response = client.post(link_path(subscribed), {"action": "all"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "no offers or reminders will come by e-mail any more" in response.content.decode()
    grant = subscribed.consents.get(kind=Consent.Kind.MARKETING_EMAIL)
    assert grant.withdrawn_at is not None and grant.withdrawn_source == "unsubscribe"
    assert allowed([subscribed.pk], "expiry", ["email"]) == {subscribed.pk: []}


def test_undo_brings_the_topic_and_the_consent_back(client, subscribed):
    client.post(link_path(subscribed), {"action": "all"})
    client.post(link_path(subscribed), {"action": "undo_all"})
    assert live(subscribed, Consent.Kind.MARKETING_EMAIL)
    assert allowed([subscribed.pk], "offers", ["email"]) == {subscribed.pk: ["email"]}
    client.get(link_path(subscribed))
    client.post(link_path(subscribed), {"action": "undo"})
    assert allowed([subscribed.pk], "offers", ["email"]) == {subscribed.pk: ["email"]}


@pytest.mark.parametrize(
    "mangle",
    [
        lambda path: path.replace("/unsubscribe/", "/unsubscribe/x"),
        lambda path: path[:-5] + "AAAA/",
        lambda path: "/unsubscribe/%3Cscript%3E/",
        lambda path: "/unsubscribe/WzEsImVtYWlsIiwib2ZmZXJzIl0/",
    ],
)
def test_a_damaged_or_forged_link_shows_a_clear_page_and_changes_nothing(
    client, subscribed, mangle
):
    for method in (client.get, client.post):
        response = method(mangle(link_path(subscribed)), HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        assert "This unsubscribe link does not work" in response.content.decode()
    assert not NotificationPreference.objects.exists()


def test_a_link_signed_for_an_unknown_channel_or_a_gone_member_is_refused(client, subscribed, now):
    from django.utils.http import int_to_base36

    from campaigns.unsubscribe import _signature

    payload = f"{int_to_base36(subscribed.pk)}.zo"  # signed, but "z" is no channel
    assert client.get(f"/unsubscribe/{payload}.{_signature(payload)}/").status_code == 400
    path = link_path(subscribed)
    erase_member(member_id=subscribed.pk, now=now, source="cabinet")
    assert client.get(path).status_code == 400
    assert not NotificationPreference.objects.exists()


def test_the_unsubscribe_page_is_in_russian_by_default(client, subscribed):
    html = client.get(link_path(subscribed)).content.decode()
    assert 'lang="ru"' in html
    assert "Готово: сообщения на тему «предложения и акции» больше не будут приходить" in html


def test_the_notification_page_costs_the_same_few_queries_with_many_browsers(
    member_client, member, now, django_assert_num_queries
):
    for n in range(5):
        PushSubscription.objects.create(
            member=member,
            endpoint=f"https://fcm.googleapis.com/{n}",
            p256dh="x",
            auth="y",
            created_at=now,
        )
    member_client.get(reverse("cabinet:notifications"))  # warm the program cache
    # Session, member, consents (twice: the choices and the column headings), choices, browsers.
    with django_assert_num_queries(6):
        assert member_client.get(reverse("cabinet:notifications")).status_code == 200
