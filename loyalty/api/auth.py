"""Who is calling: a partner's API key (`Authorization: Api-Key <key>`), at most one query.

Keys are djangorestframework-api-key keys (SHA-512 of a high-entropy secret, compared in constant
time), so checking one costs a single indexed read by prefix and a hash; a process remembers the
keys it verified until the database says a key or partner changed (`verified_keys`).
Keys that still carry an old slow password hash (created by djangorestframework-api-key < 2.0)
are verified too but not upgraded here; make new keys instead.
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from config.db import hot_cursor
from loyalty.api.verified_keys import verified_keys
from loyalty.models import Partner, PartnerAPIKey

SCHEME = "Api-Key"


def _key_from_header(request) -> str | None:
    header = request.META.get(getattr(settings, "API_KEY_CUSTOM_HEADER", "HTTP_AUTHORIZATION"))
    if not header:
        return None
    scheme, _sep, key = header.strip().partition(" ")
    if scheme.lower() != SCHEME.lower():
        return None
    return key.strip() or None


_KEYS = PartnerAPIKey._meta.db_table
_PARTNERS = Partner._meta.db_table
# The key and its partner in one statement. Plain SQL: this runs on every request, and the ORM
# spent ~0.7 ms of CPU building and reading it (measured; docs/PERFORMANCE.md).
_KEY_QUERY = (
    f"SELECT k.id, k.name, k.hashed_key, k.expiry_date, p.id, p.name, p.is_active "  # noqa: S608
    f"FROM {_KEYS} k JOIN {_PARTNERS} p ON p.id = k.partner_id "
    "WHERE k.prefix = %s AND NOT k.revoked"
)


@dataclass(frozen=True)
class PartnerKey:
    """The key a request came with (`request.auth`); `request.user` is its partner."""

    pk: int
    name: str
    prefix: str


def _find_key(prefix: str) -> tuple | None:
    with hot_cursor() as cursor:
        cursor.execute(_KEY_QUERY, [prefix])
        return cursor.fetchone()


def _invalid() -> exceptions.AuthenticationFailed:
    return exceptions.AuthenticationFailed(_("The API key is not valid."))


class PartnerAPIKeyAuthentication(BaseAuthentication):
    """`request.user` becomes the partner, `request.auth` the key."""

    def authenticate(self, request):
        key = _key_from_header(request)
        if key is None:
            return None
        prefix, dot, _secret = key.partition(".")
        if not dot or len(prefix) > 8 or len(key) > 200 or "\x00" in key:
            raise _invalid()
        row, token = verified_keys.get(prefix, key)
        if row is None:
            row = _find_key(prefix)
            if row is None or not PartnerAPIKey.objects.key_generator.verify(key, row[2]):
                raise _invalid()
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


class PartnerKeyThrottle(BaseThrottle):
    """At most N requests per key per window (`DEFAULT_THROTTLE_RATES["partner_key"]`).

    A fixed-window counter in the Django cache: one cache call per request (two for the first
    of a window), no history list.
    With the default per-process cache each gunicorn worker counts alone; with a shared cache
    (CACHE_URL=redis://…) the limit is exact across workers.
    """

    scope = "partner_key"
    _periods = {"s": 1, "m": 60, "h": 3600, "d": 86400}

    def __init__(self):
        self.wait_seconds: float | None = None

    def rate(self) -> tuple[int, int] | None:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        if not rate:
            return None
        count, _slash, period = rate.partition("/")
        return int(count), self._periods[period.strip()[0]]

    def allow_request(self, request, view) -> bool:
        rate = self.rate()
        if rate is None or request.auth is None:
            return True
        limit, period = rate
        now = time.time()
        window = int(now // period)
        cache_key = f"api-throttle:{request.auth.pk}:{period}:{window}"
        try:
            count = cache.incr(cache_key)  # one cache call, once the window has begun
        except ValueError:  # the window's first request (or the counter was evicted)
            if cache.add(cache_key, 1, timeout=period + 1):
                count = 1
            else:  # another process began the window meanwhile
                try:
                    count = cache.incr(cache_key)
                except ValueError:
                    cache.set(cache_key, 1, timeout=period + 1)
                    count = 1
        if count <= limit:
            return True
        self.wait_seconds = (window + 1) * period - now
        return False

    def wait(self) -> float | None:
        return self.wait_seconds
