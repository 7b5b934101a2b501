"""Channels: each backend delivers a message (outbox files, e-mail headers, web push to a local
push service) and tells a failure worth retrying from one that is final."""

import base64
import email
import json
import os
import smtplib
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import resolve

from campaigns import channels
from campaigns.channels import PermanentFailure, TemporaryFailure
from campaigns.models import Message, PushSubscription, Trigger
from campaigns.push import new_vapid_keys
from campaigns.unsubscribe import read_token, unsubscribe_url
from customers.models import Member
from tests.factories import make_member
from tests.http_stub import HANG, StubServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def outbox(settings, tmp_path):
    settings.OUTBOX_DIR = tmp_path / "outbox"
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = settings.OUTBOX_DIR
    settings.SMS_BACKEND = "customers.sms.FileSMSBackend"
    settings.PUSH_BACKEND = "campaigns.push.FilePushBackend"
    settings.SITE_URL = "https://loyalty.example.com"
    return settings.OUTBOX_DIR


@pytest.fixture
def trigger(db):
    return Trigger.objects.create(
        code="expiry-3",
        name="Points expire in 3 days",
        kind=Trigger.Kind.EXPIRY,
        topic=Trigger.Topic.EXPIRY,
        channels=["push", "email", "sms"],
    )


def make_message(member, trigger, now, *, channel, address=None, **fields):
    return Message.objects.create(
        member=member,
        trigger=trigger,
        occasion=f"2026-01-18:{channel}",
        topic=trigger.topic,
        channel=channel,
        status=Message.Status.QUEUED,
        address=channels.address_of(channel, member) if address is None else address,
        subject=fields.pop("subject", "Через 3 дня сгорят 250 баллов"),
        body=fields.pop("body", "Анна, 250 баллов сгорят 18 января — успейте использовать."),
        created_at=now,
        **fields,
    )


def browser_keys() -> tuple[str, str]:
    """A browser's subscription keys: a P-256 public key and a 16-byte secret, base64url."""
    public = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    return b64(public), b64(os.urandom(16))


def subscribe_browser(member, now, endpoint) -> PushSubscription:
    p256dh, auth = browser_keys()
    return PushSubscription.objects.create(
        member=member, endpoint=endpoint, p256dh=p256dh, auth=auth, created_at=now
    )


# --- Who can be reached -------------------------------------------------------------------------


def test_members_are_reachable_by_the_channels_they_have_an_address_for(
    now, django_assert_num_queries
):
    both = make_member(now=now, email="anna@example.com")
    phone_only = make_member(now=now)
    pushed = make_member(now=now)
    subscribe_browser(pushed, now, "https://fcm.googleapis.com/fcm/send/abc")
    ids = [both.pk, phone_only.pk, pushed.pk]
    with django_assert_num_queries(2):  # one for e-mail and SMS, one for push
        reachable = channels.reachable_channels(ids, ["push", "email", "sms"])
    assert reachable == {
        both.pk: {"email", "sms"},
        phone_only.pk: {"sms"},
        pushed.pk: {"sms", "push"},
    }
    with django_assert_num_queries(1):
        assert channels.reachable_channels(ids, ["push"])[pushed.pk] == {"push"}


def test_the_address_of_a_channel_is_the_email_the_phone_or_the_push_services(now):
    member = make_member(now=now, email="anna@example.com")
    assert channels.address_of("email", member) == "anna@example.com"
    assert channels.address_of("sms", member) == member.phone
    assert channels.address_of("push", member) == ""
    subscribe_browser(member, now, "https://fcm.googleapis.com/fcm/send/abc")
    subscribe_browser(member, now, "https://updates.push.services.mozilla.com/wpush/v2/x")
    assert channels.address_of("push", member) == (
        "fcm.googleapis.com, updates.push.services.mozilla.com"
    )


# --- E-mail -------------------------------------------------------------------------------------


def test_an_email_carries_text_html_and_a_one_click_unsubscribe(outbox, now, trigger, client):
    member = make_member(now=now, email="anna@example.com")
    message = make_message(
        member, trigger, now, channel="email", html="<p>Анна, <b>250</b> баллов сгорят</p>"
    )
    channels.send(message, now=now)

    (path,) = outbox.glob("*.log")
    mail = email.message_from_bytes(path.read_bytes())
    assert mail["To"] == "anna@example.com"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = unsubscribe_url(member.pk, "email", "expiry")
    assert mail["List-Unsubscribe"].strip() == f"<{link}>"  # a long header is folded
    assert link.startswith("https://loyalty.example.com/unsubscribe/")
    parts = {part.get_content_type(): part for part in mail.walk()}
    assert "250 баллов сгорят 18 января" in parts["text/plain"].get_payload(decode=True).decode()
    assert "<b>250</b>" in parts["text/html"].get_payload(decode=True).decode()
    # The link in the header opens this member's unsubscribe page for this topic and channel.
    match = resolve(urlsplit(link).path)
    assert match.url_name == "unsubscribe"
    subscription = read_token(match.kwargs["token"])
    assert (subscription.member, subscription.channel, subscription.topic) == (
        member,
        "email",
        "expiry",
    )


def test_an_email_without_html_is_plain_text(outbox, now, trigger):
    member = make_member(now=now, email="anna@example.com")
    channels.send(make_message(member, trigger, now, channel="email"), now=now)
    (path,) = outbox.glob("*.log")
    mail = email.message_from_bytes(path.read_bytes())
    assert mail.get_content_type() == "text/plain"


class RefusingBackend(BaseEmailBackend):
    """A mail server that answers with the exception the test sets."""

    error: Exception = OSError("connection refused")

    def send_messages(self, messages):
        raise self.error


@pytest.mark.parametrize(
    ("error", "failure"),
    [
        (smtplib.SMTPRecipientsRefused({"a@x": (550, b"no such user")}), PermanentFailure),
        (smtplib.SMTPRecipientsRefused({"a@x": (450, b"mailbox busy")}), TemporaryFailure),
        (smtplib.SMTPDataError(554, b"spam"), PermanentFailure),
        (smtplib.SMTPDataError(421, b"try later"), TemporaryFailure),
        (smtplib.SMTPServerDisconnected("gone"), TemporaryFailure),
        (ConnectionRefusedError(111, "refused"), TemporaryFailure),
        (TimeoutError("timed out"), TemporaryFailure),
    ],
)
def test_mail_server_errors_are_final_for_5xx_and_worth_a_retry_otherwise(
    settings, now, trigger, error, failure
):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    RefusingBackend.error = error
    member = make_member(now=now, email="anna@example.com")
    with pytest.raises(failure):
        channels.send(make_message(member, trigger, now, channel="email"), now=now)


def test_a_message_without_an_address_is_a_permanent_failure(outbox, now, trigger):
    member = make_member(now=now)
    with pytest.raises(PermanentFailure, match="no e-mail"):
        channels.send(make_message(member, trigger, now, channel="email"), now=now)


# --- SMS ----------------------------------------------------------------------------------------


def test_an_sms_goes_to_the_outbox(outbox, now, trigger, member):
    channels.send(make_message(member, trigger, now, channel="sms"), now=now)
    (path,) = outbox.glob("sms-*.txt")
    assert path.read_text(encoding="utf-8").startswith(f"To: {member.phone}\n\nАнна, 250 баллов")


def test_sms_gateway_errors_become_temporary_or_permanent_failures(settings, now, trigger, member):
    stub = StubServer().start()
    try:
        settings.SMS_BACKEND = "customers.sms.HttpSMSBackend"
        settings.SMS_GATEWAY_URL = stub.url("/sys/send.php")
        settings.SMS_GATEWAY_LOGIN, settings.SMS_GATEWAY_PASSWORD = "shop", "secret"
        settings.SMS_GATEWAY_READ_TIMEOUT, settings.SMS_GATEWAY_RETRIES = 0.3, 0
        message = make_message(member, trigger, now, channel="sms")
        stub.script("/sys/send.php", (200, b'{"error": "bad phone", "error_code": 7}'))
        with pytest.raises(PermanentFailure, match="error 7"):
            channels.send(message, now=now)
        stub.script("/sys/send.php", HANG)
        with pytest.raises(TemporaryFailure, match="unreachable"):
            channels.send(message, now=now)
    finally:
        stub.stop()


# --- Push ---------------------------------------------------------------------------------------


def test_a_push_goes_to_the_outbox_for_every_browser_of_the_member(outbox, now, trigger, member):
    subscribe_browser(member, now, "https://fcm.googleapis.com/fcm/send/abc")
    message = make_message(
        member, trigger, now, channel="push", context={"cabinet_url": "https://x.example/"}
    )
    channels.send(message, now=now)
    (path,) = outbox.glob("push-*.json")
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record == {
        "member_id": member.pk,
        "to": ["https://fcm.googleapis.com/fcm/send/abc"],
        "title": "Через 3 дня сгорят 250 баллов",
        "body": "Анна, 250 баллов сгорят 18 января — успейте использовать.",
        "url": "https://x.example/",
        "tag": f"message-{message.pk}",
    }
    assert PushSubscription.objects.get().last_sent_at == now


def test_a_push_to_a_member_without_a_browser_is_a_permanent_failure(outbox, now, trigger, member):
    with pytest.raises(PermanentFailure, match="no push subscription"):
        channels.send(make_message(member, trigger, now, channel="push", address="x"), now=now)
    assert list(outbox.glob("push-*.json")) == []


@pytest.fixture
def push_service(settings):
    """A local push service and the VAPID keys of the program."""
    stub = StubServer(default=(201, b"")).start()
    public, private = new_vapid_keys()
    settings.PUSH_BACKEND = "campaigns.push.WebPushBackend"
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = public, private
    settings.VAPID_SUBJECT = "mailto:push@kopilka.example"
    settings.PUSH_TIMEOUT, settings.PUSH_TTL = 0.5, 3600
    stub.public_key = public
    yield stub
    stub.stop()


def test_web_push_is_encrypted_and_signed_with_the_programs_vapid_key(
    push_service, now, trigger, member
):
    browser = subscribe_browser(member, now, push_service.url("/push/ok"))
    channels.send(make_message(member, trigger, now, channel="push"), now=now)
    (request,) = push_service.hits("/push/ok")
    assert request.headers["content-encoding"] == "aes128gcm"
    assert request.headers["ttl"] == "3600"
    assert request.headers["authorization"].startswith("vapid t=")
    assert f"k={push_service.public_key}" in request.headers["authorization"]
    assert "250 баллов".encode() not in request.body  # the text travels encrypted
    browser.refresh_from_db()
    assert browser.last_sent_at == now


@pytest.mark.parametrize("status", [404, 410])
def test_a_browser_the_push_service_says_is_gone_is_forgotten_and_the_push_fails_for_good(
    push_service, now, trigger, member, status
):
    subscribe_browser(member, now, push_service.url("/push/gone"))
    push_service.script("/push/gone", (status, b""))
    with pytest.raises(PermanentFailure, match="gone"):
        channels.send(make_message(member, trigger, now, channel="push"), now=now)
    assert not PushSubscription.objects.filter(member=member).exists()


def test_a_gone_browser_is_forgotten_while_the_others_get_the_push(
    push_service, now, trigger, member
):
    subscribe_browser(member, now, push_service.url("/push/gone"))
    kept = subscribe_browser(member, now, push_service.url("/push/ok"))
    push_service.script("/push/gone", (410, b""))
    channels.send(make_message(member, trigger, now, channel="push"), now=now)  # no error
    assert list(PushSubscription.objects.filter(member=member)) == [kept]


@pytest.mark.parametrize("answer", [(503, b""), (429, b""), HANG])
def test_a_push_service_that_is_down_or_slow_is_a_temporary_failure(
    push_service, now, trigger, member, answer
):
    subscribe_browser(member, now, push_service.url("/push/down"))
    push_service.script("/push/down", answer)
    with pytest.raises(TemporaryFailure):
        channels.send(make_message(member, trigger, now, channel="push"), now=now)
    assert PushSubscription.objects.filter(member=member).exists()  # kept for the retry


def test_an_unknown_channel_is_a_permanent_failure(now, trigger, member):
    with pytest.raises(PermanentFailure, match="unknown channel"):
        channels.send(make_message(member, trigger, now, channel="fax", address="x"), now=now)


def test_push_addresses_of_a_chunk_of_members_cost_one_query(now, django_assert_num_queries):
    members = [make_member(now=now) for _ in range(3)]
    for n, member in enumerate(members):
        subscribe_browser(member, now, f"https://fcm.googleapis.com/fcm/send/{n}")
    with django_assert_num_queries(2):  # the members, their subscriptions
        chunk = Member.objects.filter(pk__in=[m.pk for m in members]).prefetch_related(
            "push_subscriptions"
        )
        assert {channels.address_of("push", m) for m in chunk} == {"fcm.googleapis.com"}


def test_an_unsubscribe_link_is_short_enough_for_an_sms_and_names_every_topic_and_channel():
    from campaigns.unsubscribe import read_token, unsubscribe_token, unsubscribe_url
    from customers.models import NotificationPreference
    from tests.factories import make_member

    member = make_member()
    for channel in NotificationPreference.Channel.values:
        for topic in NotificationPreference.Kind.values:
            token = unsubscribe_token(member.pk, channel, topic)
            assert len(token) <= 30
            read = read_token(token)
            assert (read.member, read.channel, read.topic) == (member, channel, topic)
    assert len(unsubscribe_url(member.pk, "sms", "offers")) <= len("http://localhost:8000") + 45
