"""Demo data for `seed_demo`: triggers switched on (some with a holdout group) and a week of
their messages, made by running the triggers day by day as beat would and delivering into the
outbox files, so the back-office's log, figures and conversion show something."""

import datetime as dt

from django.utils import timezone

from campaigns import messaging
from campaigns.models import Message, Trigger

# code → holdout percent: the default triggers the demo switches on.
DEMO_TRIGGERS = {
    "expiry": 20,
    "earned": 10,
    "welcome": 0,
    "first-purchase": 0,
    "tier-up": 0,
    "inactivity-60": 20,
    "birthday": 0,
    "important-date": 0,
}
DAYS = 7


def seed_messages(*, now: dt.datetime) -> dict[str, int]:
    """Once (nothing is done while any message exists): switch the demo triggers on and run
    them every day at 11:00 over the last week, delivering what is due. Returns the
    messages by status."""
    if Message.objects.exists():
        return {}
    for trigger in Trigger.objects.filter(code__in=DEMO_TRIGGERS):
        trigger.enabled = True
        trigger.holdout_percent = DEMO_TRIGGERS[trigger.code]
        trigger.save(update_fields=["enabled", "holdout_percent", "updated_at"])
    for days_ago in range(DAYS, -1, -1):
        # At 11:00 local, when the daily triggers' beat jobs run (outside quiet hours).
        day = timezone.localtime(now).date() - dt.timedelta(days=days_ago)
        moment = min(now, timezone.make_aware(dt.datetime.combine(day, dt.time(11, 0))))
        messaging.run_due(now=moment, enqueue=False)
        for message_id in messaging.due_message_ids(now=moment):
            messaging.deliver(message_id, now=moment)
    return {
        status: Message.objects.filter(status=status).count() for status in Message.Status.values
    }
