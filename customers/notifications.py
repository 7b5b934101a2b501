"""What a member wants to be told, and about which days: notification choices and important dates.

Choices are one row per (channel, kind); a missing row means the default, which is what the
member's marketing consent for that channel says: on with a live consent, off without one. A
marketing message goes through a channel only when both hold: the channel's consent is live and
the member did not switch the kind off there (`allowed`, the one place of that rule).
Important dates (a child's birthday, an anniversary) are greeting occasions for triggers.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from customers.errors import InvalidInput
from customers.models import Consent, ImportantDate, Member, NotificationPreference

MAX_IMPORTANT_DATES = 10

# The marketing consent each channel needs.
CHANNEL_CONSENT = {
    NotificationPreference.Channel.EMAIL: Consent.Kind.MARKETING_EMAIL,
    NotificationPreference.Channel.SMS: Consent.Kind.MARKETING_SMS,
    NotificationPreference.Channel.PUSH: Consent.Kind.PUSH,
}


def consented_channels(member_ids: Iterable[int]) -> dict[int, set[str]]:
    """The channels each member gave a live marketing consent for (one query)."""
    by_kind = {kind: channel for channel, kind in CHANNEL_CONSENT.items()}
    result: dict[int, set[str]] = defaultdict(set)
    rows = Consent.objects.filter(
        member_id__in=list(member_ids), kind__in=list(by_kind), withdrawn_at__isnull=True
    ).values_list("member_id", "kind")
    for member_id, kind in rows:
        result[member_id].add(str(by_kind[kind]))
    return result


def allowed(
    member_ids: Iterable[int],
    kind: str,
    channels: Sequence[str],
    *,
    consented: dict[int, set[str]] | None = None,
) -> dict[int, list[str]]:
    """For each member, the given channels (in the given order) a marketing message of `kind`
    may use: the channel's consent is live and the member did not switch `kind` off there.
    A member switching a kind ON without consent does not open the channel. Two queries (one
    when the caller already read `consented_channels`)."""
    member_ids = list(member_ids)
    if consented is None:
        consented = consented_channels(member_ids)
    switched = {
        (member_id, channel): enabled
        for member_id, channel, enabled in NotificationPreference.objects.filter(
            member_id__in=member_ids, kind=kind, channel__in=list(channels)
        ).values_list("member_id", "channel", "enabled")
    }
    return {
        member_id: [
            channel
            for channel in channels
            if channel in consented.get(member_id, ()) and switched.get((member_id, channel), True)
        ]
        for member_id in member_ids
    }


def notification_choices(member: Member) -> dict[tuple[str, str], bool]:
    """Every (channel, kind) with its current choice; where the member chose nothing, the
    channel's marketing consent decides (on with consent, off without)."""
    stored = {
        (channel, kind): enabled
        for channel, kind, enabled in member.notification_preferences.values_list(
            "channel", "kind", "enabled"
        )
    }
    consented = consented_channels([member.pk]).get(member.pk, set())
    return {
        (channel, kind): stored.get((channel, kind), channel in consented)
        for channel in NotificationPreference.Channel.values
        for kind in NotificationPreference.Kind.values
    }


def set_notification_choices(*, member: Member, choices: dict[tuple[str, str], bool]) -> None:
    """Store the member's choices for the given (channel, kind) pairs, in one statement."""
    rows = []
    for (channel, kind), enabled in choices.items():
        if (
            channel not in NotificationPreference.Channel.values
            or kind not in NotificationPreference.Kind.values
        ):
            raise InvalidInput(fields={"choices": [_("Unknown channel or kind.")]})
        rows.append(
            NotificationPreference(member=member, channel=channel, kind=kind, enabled=enabled)
        )
    NotificationPreference.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["member", "channel", "kind"],
        update_fields=["enabled"],
    )


def add_important_date(
    *, member: Member, label: str, date: dt.date, yearly: bool = True
) -> ImportantDate:
    """Remember a date the member cares about (at most ten per member)."""
    label = (label or "").strip()
    if not label:
        message = _("Say what the date is.")
        raise InvalidInput(message, fields={"label": [message]})
    with transaction.atomic():
        Member.objects.select_for_update().filter(pk=member.pk).values_list("pk").first()
        if member.important_dates.count() >= MAX_IMPORTANT_DATES:
            message = _("You can keep at most %(n)d dates.") % {"n": MAX_IMPORTANT_DATES}
            raise InvalidInput(message, fields={"label": [message]})
        return ImportantDate.objects.create(
            member=member, label=label[:100], date=date, yearly=yearly
        )


def remove_important_date(*, member: Member, date_id: int) -> bool:
    """Forget one of the member's own dates; False if there was no such date of theirs."""
    deleted, _rows = ImportantDate.objects.filter(member=member, pk=date_id).delete()
    return bool(deleted)
