"""The channels a triggered message goes out by: e-mail, SMS and web push.

Each channel has a pluggable backend chosen by settings, as Django does for e-mail: EMAIL_BACKEND
(Django's mail backends), SMS_BACKEND (customers.sms) and PUSH_BACKEND (campaigns.push). The
outbox backends write files into OUTBOX_DIR for the demo and the tests.

`send` delivers one Message and tells how it failed: TemporaryFailure (the channel is down or
slow: try again later) or PermanentFailure (this message will never go: give up). Whether a
member may be sent marketing at all is not decided here (customers.notifications.allowed); here
is only whether a member can be reached.
"""

import datetime as dt
import smtplib
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone
from django.utils.module_loading import import_string

from campaigns.models import Message, PushSubscription
from campaigns.models.messaging import Channel
from campaigns.unsubscribe import unsubscribe_url
from customers import sms
from customers.models import Member


class DeliveryFailure(Exception):
    """A message could not be handed to its channel; the text says why (kept on the Message)."""

    code = "delivery_failed"


class TemporaryFailure(DeliveryFailure):
    """The channel is down, slow or refused for now: the same message may go later."""

    code = "delivery_temporary"


class PermanentFailure(DeliveryFailure):
    """This message can never go (no such address, refused content): give up."""

    code = "delivery_permanent"


# --- Who can be reached where -------------------------------------------------------------------


def address_of(channel: str, member: Member) -> str:
    """Where `member` gets messages of `channel`; "" when they cannot be reached there.
    For push it names the push services of the member's subscribed browsers (one query, or
    none with `prefetch_related("push_subscriptions")` on a chunk of members)."""
    if channel == Channel.EMAIL:
        return member.email or ""
    if channel == Channel.SMS:
        return member.phone or ""
    if channel == Channel.PUSH:
        return _push_address(s.endpoint for s in member.push_subscriptions.all())
    return ""


def reachable_channels(member_ids: Iterable[int], channels: Sequence[str]) -> dict[int, set[str]]:
    """For each member, which of `channels` can reach them: an e-mail address, a phone, a
    browser subscribed to push. One query for e-mail and SMS together, one for push."""
    member_ids = list(member_ids)
    result: dict[int, set[str]] = {member_id: set() for member_id in member_ids}
    if not member_ids:
        return result
    wanted = set(channels)
    if wanted & {Channel.EMAIL, Channel.SMS}:
        rows = Member.objects.filter(pk__in=member_ids).values_list("pk", "email", "phone")
        for member_id, email, phone in rows:
            if Channel.EMAIL in wanted and email:
                result[member_id].add(str(Channel.EMAIL))
            if Channel.SMS in wanted and phone:
                result[member_id].add(str(Channel.SMS))
    if Channel.PUSH in wanted:
        subscribed = (
            PushSubscription.objects.filter(member_id__in=member_ids)
            .values_list("member_id", flat=True)
            .distinct()
        )
        for member_id in subscribed:
            result[member_id].add(str(Channel.PUSH))
    return result


def _push_address(endpoints: Iterable[str]) -> str:
    hosts = sorted({urlsplit(endpoint).hostname or "" for endpoint in endpoints} - {""})
    return ", ".join(hosts)[:500]


# --- Sending ------------------------------------------------------------------------------------


def send(message: Message, *, now: dt.datetime | None = None) -> None:
    """Hand one message to its channel's backend. Raises TemporaryFailure or PermanentFailure."""
    now = now or timezone.now()
    if message.channel == Channel.EMAIL:
        _send_email(message)
    elif message.channel == Channel.SMS:
        _send_sms(message)
    elif message.channel == Channel.PUSH:
        push_backend().send(message, now=now)
    else:
        raise PermanentFailure(f"unknown channel {message.channel!r}")


def push_backend():
    return import_string(settings.PUSH_BACKEND)()


def email_for(message: Message) -> EmailMultiAlternatives:
    """The e-mail of a message: text and HTML, with a one-click unsubscribe (RFC 8058) that
    switches this topic off for e-mail."""
    if not message.address:
        raise PermanentFailure("no e-mail address")
    link = unsubscribe_url(message.member_id, Channel.EMAIL, message.topic)
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body,
        to=[message.address],
        headers={
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    if message.html:
        email.attach_alternative(message.html, "text/html")
    return email


def _send_email(message: Message) -> None:
    email = email_for(message)
    try:
        email.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _text in exc.recipients.values()]
        failure = PermanentFailure if codes and min(codes) >= 500 else TemporaryFailure
        raise failure(f"recipient refused: {codes}") from exc
    except smtplib.SMTPResponseException as exc:
        failure = PermanentFailure if exc.smtp_code >= 500 else TemporaryFailure
        raise failure(f"SMTP {exc.smtp_code}") from exc
    except (smtplib.SMTPException, OSError) as exc:  # refused connections, timeouts
        raise TemporaryFailure(f"mail server unreachable: {exc.__class__.__name__}") from exc


def _send_sms(message: Message) -> None:
    if not message.address:
        raise PermanentFailure("no phone number")
    try:
        sms.get_backend().send(message.address, message.body)
    except sms.SMSPermanentError as exc:
        raise PermanentFailure(str(exc)) from exc
    except sms.SMSError as exc:
        raise TemporaryFailure(str(exc)) from exc
