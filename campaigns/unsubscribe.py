"""What a member switches off and on: the one-click unsubscribe link in every marketing message
and the choices the cabinet saves.

The link carries a signed token (member, channel, topic) and works without login, so that one
click (or a mail client's RFC 8058 one-click POST) switches that topic off for that channel.
From the page the member can also switch off all marketing on that channel, which withdraws the
channel's marketing consent through the consent service, or undo either. Every change is stored
as NotificationPreference rows or consent history, so the back-office sees what happened.
"""

import base64
import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import base36_to_int, int_to_base36

from customers.models import Member
from customers.notifications import (
    CHANNEL_CONSENT,
    consented_channels,
    set_notification_choices,
)
from customers.services import consent_text, set_consent

SALT = "campaigns.unsubscribe"
SOURCE = "unsubscribe"


@dataclass(frozen=True)
class Subscription:
    """Who a link is for and what it is about."""

    member: Member
    channel: str
    topic: str


class BadToken(Exception):
    """The link is damaged, forged, or for a member who is no longer there."""

    code = "bad_unsubscribe_token"


# Short codes keep the link short: an SMS in Cyrillic holds 70 characters.
_CHANNEL_CODES = {"email": "e", "sms": "s", "push": "p"}
_TOPIC_CODES = {"expiry": "x", "points": "p", "tier": "t", "offers": "o", "birthday": "b"}
_SIGNATURE_CHARS = 16  # 96 bits of HMAC-SHA256


def _signature(payload: str) -> str:
    digest = salted_hmac(SALT, payload, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).decode()[:_SIGNATURE_CHARS]


def unsubscribe_token(member_id: int, channel: str, topic: str) -> str:
    """`<member id in base 36>.<channel><topic>.<signature>`, about 25 characters (the
    signature's alphabet has no dot)."""
    payload = f"{int_to_base36(member_id)}.{_CHANNEL_CODES[channel]}{_TOPIC_CODES[topic]}"
    return f"{payload}.{_signature(payload)}"


def unsubscribe_url(member_id: int, channel: str, topic: str) -> str:
    """The absolute link that switches `topic` off for `channel` for this member, no login
    needed. It does not expire: an old letter's link still works."""
    return _link_prefix(settings.SITE_URL) + unsubscribe_token(member_id, channel, topic) + "/"


@lru_cache(maxsize=8)
def _link_prefix(site_url: str) -> str:
    """The link up to its token (a dispatch makes thousands: the URL is resolved once)."""
    return site_url + reverse("cabinet:unsubscribe", args=["-"]).removesuffix("-/")


def read_token(token: str) -> Subscription:
    """The member, channel and topic a token names; BadToken if it is not one of ours."""
    payload, _dot, signature = str(token).rpartition(".")
    if not payload or not constant_time_compare(signature, _signature(payload)):
        raise BadToken
    number, _dot, codes = payload.partition(".")
    channels = {code: name for name, code in _CHANNEL_CODES.items()}
    topics = {code: name for name, code in _TOPIC_CODES.items()}
    try:
        member_id = base36_to_int(number)
        channel, topic = channels[codes[0]], topics[codes[1:]]
    except (ValueError, KeyError, IndexError) as exc:
        raise BadToken from exc
    member = Member.objects.filter(pk=member_id, erased_at__isnull=True).first()
    if member is None:
        raise BadToken
    return Subscription(member=member, channel=channel, topic=topic)


def switch_off_topic(subscription: Subscription) -> None:
    """Stop messages about this topic on this channel (doing it twice changes nothing)."""
    set_notification_choices(
        member=subscription.member, choices={(subscription.channel, subscription.topic): False}
    )


def switch_off_channel(subscription: Subscription, *, now: dt.datetime) -> None:
    """Stop all marketing on this channel: the topic is off and the channel's marketing consent
    is withdrawn (stamped with where it was withdrawn)."""
    with transaction.atomic():
        switch_off_topic(subscription)
        set_consent(
            member=subscription.member,
            kind=CHANNEL_CONSENT[subscription.channel],
            given=False,
            now=now,
            source=SOURCE,
        )


def undo(subscription: Subscription, *, now: dt.datetime, consent_too: bool) -> None:
    """Take an unsubscribe back: the topic is on again and, when the member had switched off
    the whole channel here, the channel's marketing consent is given again."""
    with transaction.atomic():
        if consent_too:
            set_consent(
                member=subscription.member,
                kind=CHANNEL_CONSENT[subscription.channel],
                given=True,
                now=now,
                source=SOURCE,
            )
        set_notification_choices(
            member=subscription.member, choices={(subscription.channel, subscription.topic): True}
        )


def choose_notifications(
    *, member: Member, choices: dict[tuple[str, str], bool], now: dt.datetime, source: str
) -> set[str]:
    """Save the member's choices from the cabinet. Switching a topic on for a channel without
    marketing consent gives that consent (its standard wording, stamped with `source`); the
    choices of a channel left without consent are not stored, so that giving the consent later
    turns its topics on as the default says. Returns the channels whose consent was given."""
    consented = consented_channels([member.pk]).get(member.pk, set())
    given: set[str] = set()
    kept: dict[tuple[str, str], bool] = {}
    for (channel, topic), enabled in choices.items():
        if channel in consented:
            kept[(channel, topic)] = enabled
        elif enabled:
            given.add(channel)
    kept.update(
        {
            (channel, topic): enabled
            for (channel, topic), enabled in choices.items()
            if channel in given
        }
    )
    with transaction.atomic():
        for channel in sorted(given):
            kind = CHANNEL_CONSENT[channel]
            set_consent(
                member=member,
                kind=kind,
                given=True,
                now=now,
                source=source,
                text=consent_text(kind),
            )
        set_notification_choices(member=member, choices=kept)
    return given
