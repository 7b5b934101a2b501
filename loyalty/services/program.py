"""The program's rules and tiers, read once and kept for a few seconds per process.

Hot paths (quote, purchase, lookup) must not read the settings row on every request; a save
in admin clears this process's copy at once and the other processes' within CACHE_SECONDS.
"""

import datetime as dt
import threading
import time
from zoneinfo import ZoneInfo

from loyalty.models import Program, Tier
from loyalty.money import add_months

CACHE_SECONDS = 5.0

_lock = threading.Lock()
_cache: dict[str, tuple[float, object]] = {}


def _cached(name: str, load):
    now = time.monotonic()
    hit = _cache.get(name)
    if hit and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    value = load()
    with _lock:
        _cache[name] = (now, value)
    return value


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def get_program() -> Program:
    """The program settings (created with the defaults on first use)."""
    return _cached("program", lambda: Program.objects.get_or_create(pk=1)[0])


def get_tiers() -> list[Tier]:
    """Active tiers, lowest qualifying spend first."""
    return _cached("tiers", lambda: list(Tier.objects.filter(is_active=True).order_by("min_spend")))


def get_tier(tier_id: int) -> Tier:
    for tier in get_tiers():
        if tier.pk == tier_id:
            return tier
    return Tier.objects.get(pk=tier_id)


def program_zone(program: Program) -> ZoneInfo:
    return ZoneInfo(program.time_zone)


def end_of_day(program: Program, day: dt.date) -> dt.datetime:
    """The moment `day` ends in the program's time zone (points expire then)."""
    return dt.datetime.combine(
        day + dt.timedelta(days=1), dt.time.min, tzinfo=program_zone(program)
    )


def lot_expiry(program: Program, accrued_at: dt.datetime) -> dt.datetime:
    """Points live `points_lifetime_months` from accrual, to the end of that day (program zone)."""
    zone = program_zone(program)
    last_day = add_months(accrued_at.astimezone(zone).date(), program.points_lifetime_months)
    return end_of_day(program, last_day)


def lot_available_at(program: Program, accrued_at: dt.datetime) -> dt.datetime:
    return accrued_at + dt.timedelta(days=program.activation_delay_days)
