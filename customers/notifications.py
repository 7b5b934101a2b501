"""What a member wants to be told, and about which days: notification choices and important dates.

Choices are one row per (channel, kind); a missing row means the default, which is "on".
Important dates (a child's birthday, an anniversary) are greeting occasions for triggers.
"""

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from customers.errors import InvalidInput
from customers.models import ImportantDate, Member, NotificationPreference

MAX_IMPORTANT_DATES = 10


def notification_choices(member: Member) -> dict[tuple[str, str], bool]:
    """Every (channel, kind) with its current choice, defaults filled in."""
    stored = {
        (channel, kind): enabled
        for channel, kind, enabled in member.notification_preferences.values_list(
            "channel", "kind", "enabled"
        )
    }
    return {
        (channel, kind): stored.get((channel, kind), True)
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
