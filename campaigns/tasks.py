"""Beat jobs of the event bonuses (schedules: campaigns/migrations): thin wrappers over
campaigns/events.py, safe to run twice (each occasion is given once) and catching up after a
missed day within each campaign's window."""

import datetime as dt
import logging
from collections import Counter

from celery import shared_task
from django.utils import timezone

from campaigns import events

logger = logging.getLogger(__name__)


def summary(job: str, now: dt.datetime, results: list[events.Given]) -> str:
    """One line: the job, its `now`, how many members per outcome and the points given."""
    counts = Counter(row.reason for row in results)
    points = sum(row.points for row in results)
    done = ", ".join(f"{reason} {count}" for reason, count in sorted(counts.items())) or "none due"
    line = (
        f"{job} as of {timezone.localtime(now).isoformat(timespec='seconds')}: "
        f"{done}; {points} points"
    )
    logger.info(line)
    return line


@shared_task(name="campaigns.tasks.give_birthday_bonuses")
def give_birthday_bonuses() -> str:
    now = timezone.now()
    return summary("give_birthday_bonuses", now, events.birthday_bonuses(now=now))


@shared_task(name="campaigns.tasks.give_anniversary_bonuses")
def give_anniversary_bonuses() -> str:
    now = timezone.now()
    return summary("give_anniversary_bonuses", now, events.anniversary_bonuses(now=now))
