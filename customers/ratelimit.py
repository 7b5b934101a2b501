"""Rate limits that hold across server processes, and the client's IP they are counted by.

A limit is "at most `limit` hits of a key per window of `period`". The window of a key begins
with its first hit and ends `period` later; the next hit after that begins a new one. A hit is
taken (`take`) only while the window has room, in one atomic step, so N concurrent requests
never get more than `limit` between them, whichever process serves them.

Where the counts live is `RATELIMIT_STORE`:
- `database` (default): one `RateCounter` row per key, changed by a single conditional
  `UPDATE … SET count = count + n WHERE count < limit` (PostgreSQL re-checks the condition on
  the row a concurrent update left, so the limit is exact); a key's first hit inserts the row.
  A hit that fits costs one statement.
- `cache`: the Django cache, which must then be shared (Redis: `CACHE_URL=redis://…`); `INCRBY`
  on a key per window (windows there are aligned to the clock, not to the first hit).

We do not use django-ratelimit (it needs a shared cache with atomic increments — no database
store — and counts per view, not per key we choose) nor django-axes (it covers only the password
login, its own docs list the lockout races under concurrent requests, and it would add three
tables and an access log for one of the four limits here).

`client_ip` is the one place that says which address a request comes from: REMOTE_ADDR, or,
behind `TRUSTED_PROXY_COUNT` reverse proxies, the address the nearest of them saw.
"""

import contextlib
import datetime as dt
import hashlib
import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When

from customers.models import RateCounter

KEY_LENGTH = RateCounter._meta.get_field("key").max_length


# --- the client's address --------------------------------------------------------------------


def _valid_ip(text: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((text or "").strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The address a request came from, as the per-IP limits count it.

    With `TRUSTED_PROXY_COUNT = 0` it is REMOTE_ADDR and X-Forwarded-For is ignored (anyone can
    write it). With N trusted proxies in front, it is the Nth address from the right of
    X-Forwarded-For (each proxy appends the address it saw, so a forged left part is skipped);
    a header with fewer addresses did not come through the proxies, and REMOTE_ADDR stands.
    """
    remote = _valid_ip(request.META.get("REMOTE_ADDR"))
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [p for p in forwarded if p]
    if len(forwarded) < proxies:
        return remote
    return _valid_ip(forwarded[-proxies]) or remote


# --- the counters ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """What `take` decided: whether the hit fits, and when the key's window ends."""

    allowed: bool
    retry_after: int  # whole seconds until the window ends (0 when allowed)

    def __bool__(self) -> bool:
        return self.allowed


def _stored_key(key: str) -> str:
    if len(key) <= KEY_LENGTH:
        return key
    return key[: KEY_LENGTH - 65] + ":" + hashlib.sha256(key.encode()).hexdigest()


def _seconds_left(window_end: dt.datetime, now: dt.datetime) -> int:
    return max(1, int((window_end - now).total_seconds() + 0.999))


class DatabaseStore:
    """Counters in `RateCounter` rows (see the module's docstring)."""

    def take(self, key: str, *, limit: int, period: dt.timedelta, now: dt.datetime, cost=1) -> Hit:
        key = _stored_key(key)
        expired = Q(window_start__lte=now - period)
        rows = RateCounter.objects.filter(key=key)
        for _attempt in range(3):
            updated = rows.filter(expired | Q(count__lt=limit)).update(
                count=Case(When(expired, then=Value(cost)), default=F("count") + cost),
                window_start=Case(When(expired, then=Value(now)), default=F("window_start")),
            )
            if updated:
                return Hit(True, 0)
            row = rows.values_list("window_start", "count").first()
            if row is not None:
                start, count = row
                if start > now - period and count >= limit:
                    return Hit(False, _seconds_left(start + period, now))
                continue  # the row came (or its window ended) after the update looked: again
            if cost > limit:
                return Hit(False, _seconds_left(now + period, now))
            try:
                with transaction.atomic():
                    RateCounter.objects.create(key=key, window_start=now, count=cost)
            except IntegrityError:
                continue  # another process counted the first hit: take again
            return Hit(True, 0)
        return Hit(False, 1)  # unreachable in practice: three lost races in a row

    def give_back(self, key: str, *, period: dt.timedelta, now: dt.datetime, cost=1) -> None:
        RateCounter.objects.filter(
            key=_stored_key(key), window_start__gt=now - period, count__gte=cost
        ).update(count=F("count") - cost)

    def used(self, key: str, *, period: dt.timedelta, now: dt.datetime) -> int:
        count = (
            RateCounter.objects.filter(key=_stored_key(key), window_start__gt=now - period)
            .values_list("count", flat=True)
            .first()
        )
        return count or 0

    def reset(self, key: str, *, period: dt.timedelta, now: dt.datetime) -> None:
        RateCounter.objects.filter(key=_stored_key(key)).delete()

    def purge(self, *, now: dt.datetime, older_than: dt.timedelta) -> int:
        deleted, _by_model = RateCounter.objects.filter(window_start__lt=now - older_than).delete()
        return deleted


class CacheStore:
    """Counters in a shared Django cache (Redis): a key per clock-aligned window."""

    def __init__(self, alias: str = "default"):
        self.alias = alias

    def _window(self, key: str, period: dt.timedelta, now: dt.datetime) -> tuple[str, int, int]:
        seconds = max(1, int(period.total_seconds()))
        index = int(now.timestamp() // seconds)
        return f"ratelimit:{_stored_key(key)}:{seconds}:{index}", seconds, (index + 1) * seconds

    def take(self, key: str, *, limit: int, period: dt.timedelta, now: dt.datetime, cost=1) -> Hit:
        cache = caches[self.alias]
        cache_key, seconds, end = self._window(key, period, now)
        cache.add(cache_key, 0, timeout=seconds + 1)
        try:
            count = cache.incr(cache_key, cost)
        except ValueError:  # evicted between add and incr
            cache.set(cache_key, cost, timeout=seconds + 1)
            count = cost
        if count - cost < limit:
            return Hit(True, 0)
        with contextlib.suppress(ValueError):  # a refused hit does not count
            cache.decr(cache_key, cost)
        return Hit(False, max(1, int(end - now.timestamp() + 0.999)))

    def give_back(self, key: str, *, period: dt.timedelta, now: dt.datetime, cost=1) -> None:
        with contextlib.suppress(ValueError):  # the window ended meanwhile
            caches[self.alias].decr(self._window(key, period, now)[0], cost)

    def used(self, key: str, *, period: dt.timedelta, now: dt.datetime) -> int:
        return caches[self.alias].get(self._window(key, period, now)[0], 0)

    def reset(self, key: str, *, period: dt.timedelta, now: dt.datetime) -> None:
        caches[self.alias].delete(self._window(key, period, now)[0])

    def purge(self, *, now: dt.datetime, older_than: dt.timedelta) -> int:
        return 0  # cache keys expire by themselves


def store() -> DatabaseStore | CacheStore:
    """The store `RATELIMIT_STORE` names: `database` (default) or `cache`."""
    if settings.RATELIMIT_STORE == "cache":
        return CacheStore()
    return DatabaseStore()


def take(key: str, *, limit: int, period: dt.timedelta, now: dt.datetime, cost: int = 1) -> Hit:
    """Count `cost` hits of `key` if its window has room (fewer than `limit` so far)."""
    return store().take(key, limit=limit, period=period, now=now, cost=cost)


def give_back(key: str, *, period: dt.timedelta, now: dt.datetime, cost: int = 1) -> None:
    """Undo a hit taken in the current window (e.g. when a second limit refused the request)."""
    store().give_back(key, period=period, now=now, cost=cost)


def used(key: str, *, period: dt.timedelta, now: dt.datetime) -> int:
    """Hits of `key` in its current window."""
    return store().used(key, period=period, now=now)


def reset(key: str, *, period: dt.timedelta, now: dt.datetime) -> None:
    """Forget a key's hits (e.g. a successful login clears the user name's failures)."""
    store().reset(key, period=period, now=now)


def delete_old_counters(*, now: dt.datetime, older_than: dt.timedelta = dt.timedelta(days=1)):
    """Delete counters whose window began more than `older_than` ago (the longest limit
    window is an hour)."""
    return store().purge(now=now, older_than=older_than)
