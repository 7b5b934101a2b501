"""What the finders share: the program's time zone, how far back a run looks, chunks."""

import datetime as dt
import itertools
from collections.abc import Iterable, Iterator

from campaigns.models import Trigger
from customers.models import Member
from loyalty.services.program import get_program, program_zone

CHUNK = 2000
# Events recorded this long before the previous run are looked at again: a transaction that
# began before the run and committed after it is not missed (its key makes it once).
RUN_OVERLAP = dt.timedelta(minutes=10)
ACTIVE = Member.Status.ACTIVE


def local_zone():
    """The program's time zone: days, birthdays and keys are counted in it."""
    return program_zone(get_program())


def day_start(day: dt.date, zone) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def max_delay(params: dict) -> dt.timedelta:
    """How late an occasion may still be found (the `max_delay_days` parameter)."""
    return dt.timedelta(days=params["max_delay_days"])


def events_since(trigger: Trigger, params: dict, now: dt.datetime) -> dt.datetime:
    """Events recorded from this moment on are looked at: since the previous run (less the
    overlap), never longer ago than `max_delay_days`."""
    oldest = now - max_delay(params)
    if trigger.last_run_at is None:
        return oldest
    return max(oldest, min(trigger.last_run_at, now) - RUN_OVERLAP)


def chunks(rows: Iterable, size: int = CHUNK) -> Iterator[list]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk
