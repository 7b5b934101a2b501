"""Who is calling: a partner's API key (`Authorization: Api-Key <key>`), at most one query.

Keys are djangorestframework-api-key keys (SHA-512 of a high-entropy secret, compared in constant
time), so checking one costs a single indexed read by prefix and a hash; a process remembers the
keys it verified until the database says a key or partner changed (`verified_keys`).
Keys that still carry an old slow password hash (created by djangorestframework-api-key < 2.0)
are verified too but not upgraded here; make new keys instead.

Wrong or unknown keys are limited per client IP (`DEFAULT_THROTTLE_RATES["failed_key"]`,
20/min): past the limit the IP gets 429 before any key of it is looked up, in the process that
counted the last failure at once and in the others after one more failure each. A remembered
(valid) key is never held up by it and costs no query for it.
"""

import datetime as dt
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from api.verified_keys import verified_keys
from customers import ratelimit
from loyalty.models import Partner, PartnerAPIKey
from loyalty.store.partners import api_key_by_prefix

SCHEME = "Api-Key"


def _key_from_header(request) -> str | None:
    header = request.META.get(getattr(settings, "API_KEY_CUSTOM_HEADER", "HTTP_AUTHORIZATION"))
    if not header:
        return None
    scheme, _sep, key = header.strip().partition(" ")
    if scheme.lower() != SCHEME.lower():
        if not key and "." in scheme:
            # A bare key (as pasted into the docs' Authorize box): say what is missing.
            raise bare_key_refused()
        return None
    return key.strip() or None


@dataclass(frozen=True)
class PartnerKey:
    """The key a request came with (`request.auth`); `request.user` is its partner."""

    pk: int
    name: str
    prefix: str


def bare_key_refused() -> exceptions.AuthenticationFailed:
    """A key sent without its scheme (as pasted into the docs' Authorize box)."""
    return exceptions.AuthenticationFailed(
        _("Send the key as “Api-Key <key>”: the “Api-Key ” prefix is missing.")
    )


def invalid_key() -> exceptions.AuthenticationFailed:
    return exceptions.AuthenticationFailed(_("The API key is not valid."))


_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _rate(scope: str) -> tuple[int, int] | None:
    """(requests, seconds) of a DRF rate like "6000/min"; None when the scope has none."""
    rate = api_settings.DEFAULT_THROTTLE_RATES.get(scope)
    if not rate:
        return None
    count, _slash, period = rate.partition("/")
    return int(count), _PERIODS[period.strip()[0]]


class FailedKeys:
    """Wrong keys per client IP, counted in the shared store; the IPs refused lately are kept
    here too, so that refusing them costs no query."""

    scope = "failed_key"
    max_remembered = 10_000

    def __init__(self):
        self._lock = threading.Lock()
        self._blocked: dict[str, float] = {}  # ip -> time.time() when its refusal ends

    def check(self, ip: str | None) -> None:
        """Throttled when the IP is refused in this process now."""
        with self._lock:
            until = self._blocked.get(ip or "")
        if until is not None:
            wait = until - time.time()
            if wait > 0:
                raise exceptions.Throttled(wait=wait)

    def record(self, ip: str | None) -> None:
        """Count a wrong key; Throttled (and the IP refused here) once it is over the rate."""
        rate = _rate(self.scope)
        if rate is None:
            return
        limit, seconds = rate
        hit = ratelimit.take(
            f"api-failed-key:ip:{ip or ''}",
            limit=limit,
            period=dt.timedelta(seconds=seconds),
            now=timezone.now(),
        )
        if hit:
            return
        now = time.time()
        with self._lock:
            if len(self._blocked) >= self.max_remembered:
                self._blocked = {k: v for k, v in self._blocked.items() if v > now}
            self._blocked[ip or ""] = now + hit.retry_after
        raise exceptions.Throttled(wait=hit.retry_after)

    def clear(self) -> None:
        with self._lock:
            self._blocked.clear()


failed_keys = FailedKeys()


class PartnerAPIKeyAuthentication(BaseAuthentication):
    """`request.user` becomes the partner, `request.auth` the key."""

    def authenticate(self, request):
        key = _key_from_header(request)
        if key is None:
            return None
        prefix, dot, _secret = key.partition(".")
        if not dot or len(prefix) > 8 or len(key) > 200 or "\x00" in key:
            failed_keys.check(ratelimit.client_ip(request))
            raise invalid_key()
        row, token = verified_keys.get(prefix, key)
        if row is None:
            ip = ratelimit.client_ip(request)
            failed_keys.check(ip)
            row = api_key_by_prefix(prefix)
            if row is None or not PartnerAPIKey.objects.key_generator.verify(key, row[2]):
                failed_keys.record(ip)
                raise invalid_key()
            verified_keys.remember(prefix, key, row, token)
        key_id, name, _hashed, expiry_date, partner_id, partner_name, is_active = row
        if expiry_date is not None and expiry_date < timezone.now():
            raise exceptions.AuthenticationFailed(_("The API key has expired."))
        if not is_active:
            raise exceptions.AuthenticationFailed(_("The partner is not active."))
        partner = Partner(id=partner_id, name=partner_name, is_active=is_active)
        return partner, PartnerKey(pk=key_id, name=name, prefix=prefix)

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) when the key is missing.
        return SCHEME


class IsPartner(BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, PartnerKey)


class SharedAllowance:
    """This process's part of the partner keys' rate limits.

    Counting every request in the shared store would add a statement to every request. So a
    process spends first and reports later: it lets requests through on its own and adds them
    to the key's shared counter (customers/ratelimit.py) in one statement every `chunk` requests
    (1 % of the rate). When the counter says the window is used up, the process refuses the
    key until the window ends, without statements. The limit thus holds across processes up to
    what the processes spent but did not report yet: in any window at most
    limit + (workers + 1) × chunk requests get through (6000/min, 2 workers: < 6180).
    """

    def __init__(self):
        self._lock = threading.Lock()
        # key -> [requests not reported yet, time.time() of the first of them, refused until]
        self._keys: dict[str, list[float]] = {}

    @staticmethod
    def chunk(limit: int) -> int:
        return max(1, limit // 100)

    def allow(self, key: str, *, limit: int, seconds: int) -> float | None:
        """None when the request may go; else the seconds to wait."""
        now = time.time()
        chunk = self.chunk(limit)
        with self._lock:
            state = self._keys.setdefault(key, [0, now, 0.0])
            if state[2] > now:
                return state[2] - now
            if now - state[1] >= seconds:  # unreported requests of an ended window
                state[0], state[1] = 0, now
            if state[0] == 0:
                state[1] = now
            state[0] += 1
            if state[0] < chunk:
                return None
            spent, state[0] = int(state[0]), 0
        hit = ratelimit.take(
            key, limit=limit, period=dt.timedelta(seconds=seconds), now=timezone.now(), cost=spent
        )
        if hit:
            return None
        with self._lock:
            state[2] = now + hit.retry_after
        return float(hit.retry_after)

    def clear(self) -> None:
        with self._lock:
            self._keys.clear()


shared_allowance = SharedAllowance()


class PartnerKeyThrottle(BaseThrottle):
    """At most N requests per key per window (`DEFAULT_THROTTLE_RATES["partner_key"]`), shared
    by every process through `SharedAllowance`: one statement per 1 % of the rate, none for
    the other requests."""

    scope = "partner_key"

    def __init__(self):
        self.wait_seconds: float | None = None

    def allow_request(self, request, view) -> bool:
        rate = _rate(self.scope)
        if rate is None or request.auth is None:
            return True
        limit, seconds = rate
        key = f"api-throttle:{request.auth.pk}"
        self.wait_seconds = shared_allowance.allow(key, limit=limit, seconds=seconds)
        return self.wait_seconds is None

    def wait(self) -> float | None:
        return self.wait_seconds
