"""Shared rate-limit counters and the client's IP every per-IP limit counts by."""

import datetime as dt

import pytest
from django.test import RequestFactory

from customers import ratelimit
from customers.models import RateCounter
from tests.race import race

MINUTE = dt.timedelta(minutes=1)


def request_from(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


# --- client_ip -----------------------------------------------------------------------------


def test_without_trusted_proxies_a_forged_forwarded_for_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert ratelimit.client_ip(request_from("203.0.113.7", "10.1.1.1")) == "203.0.113.7"


def test_behind_one_proxy_the_client_is_the_address_the_proxy_appended(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The client forged "10.1.1.1"; nginx appended the address it saw.
    request = request_from("192.168.0.2", "10.1.1.1, 198.51.100.20")
    assert ratelimit.client_ip(request) == "198.51.100.20"


def test_behind_two_proxies_the_second_address_from_the_right_counts(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    request = request_from("192.168.0.3", "10.1.1.1, 198.51.100.20, 192.168.0.2")
    assert ratelimit.client_ip(request) == "198.51.100.20"


@pytest.mark.parametrize("forwarded", [None, "", "not-an-ip", " , "])
def test_a_missing_or_broken_forwarded_for_falls_back_to_remote_addr(settings, forwarded):
    settings.TRUSTED_PROXY_COUNT = 1
    assert ratelimit.client_ip(request_from("192.168.0.2", forwarded)) == "192.168.0.2"


# --- the database store --------------------------------------------------------------------

db = pytest.mark.django_db


@db
def test_a_key_gets_its_limit_per_window_and_the_window_begins_with_its_first_hit(now):
    start = now + dt.timedelta(seconds=17)
    assert ratelimit.take("k", limit=2, period=MINUTE, now=start)
    assert ratelimit.take("k", limit=2, period=MINUTE, now=start + dt.timedelta(seconds=10))
    refused = ratelimit.take("k", limit=2, period=MINUTE, now=start + dt.timedelta(seconds=20))
    assert not refused
    assert refused.retry_after == 40
    assert ratelimit.take("k", limit=2, period=MINUTE, now=start + MINUTE)  # a new window
    assert ratelimit.used("k", period=MINUTE, now=start + MINUTE) == 1
    assert ratelimit.take("other", limit=2, period=MINUTE, now=start)  # keys are separate


@db
def test_a_hit_given_back_frees_its_slot(now):
    assert ratelimit.take("k", limit=1, period=MINUTE, now=now)
    ratelimit.give_back("k", period=MINUTE, now=now)
    assert ratelimit.take("k", limit=1, period=MINUTE, now=now)
    assert not ratelimit.take("k", limit=1, period=MINUTE, now=now)


@db
def test_a_hit_that_fits_costs_one_statement(now, django_assert_num_queries):
    ratelimit.take("k", limit=5, period=MINUTE, now=now)
    with django_assert_num_queries(1):
        assert ratelimit.take("k", limit=5, period=MINUTE, now=now)


@db
def test_very_long_keys_are_stored_hashed(now):
    key = "otp:target:" + "a" * 300 + "@example.com"
    assert ratelimit.take(key, limit=1, period=MINUTE, now=now)
    assert not ratelimit.take(key, limit=1, period=MINUTE, now=now)
    assert len(RateCounter.objects.get().key) <= 200


@db
def test_old_counters_are_deleted(now):
    ratelimit.take("old", limit=1, period=MINUTE, now=now - dt.timedelta(days=2))
    ratelimit.take("new", limit=1, period=MINUTE, now=now)
    assert ratelimit.delete_old_counters(now=now) == 1
    assert list(RateCounter.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("store", ["database", "cache"])
def test_twelve_hits_at_once_in_twelve_connections_get_exactly_the_limit(now, settings, store):
    settings.RATELIMIT_STORE = store
    outcomes = race(*[lambda: ratelimit.take("k", limit=5, period=MINUTE, now=now)] * 12)
    assert all(isinstance(o, ratelimit.Hit) for o in outcomes), outcomes
    assert sum(bool(o) for o in outcomes) == 5


# --- the cache store (a shared cache such as Redis; locmem, and a real Valkey below) ----------


def test_the_cache_store_counts_per_clock_window(settings, now):
    settings.RATELIMIT_STORE = "cache"
    start = now + dt.timedelta(seconds=17)  # T0 is on a minute
    assert ratelimit.take("k", limit=1, period=MINUTE, now=start)
    refused = ratelimit.take("k", limit=1, period=MINUTE, now=start + dt.timedelta(seconds=3))
    assert not refused and refused.retry_after == 40
    ratelimit.give_back("k", period=MINUTE, now=start)
    assert ratelimit.take("k", limit=1, period=MINUTE, now=start)
    ratelimit.reset("k", period=MINUTE, now=start)
    assert ratelimit.used("k", period=MINUTE, now=start) == 0
    assert ratelimit.take("k", limit=1, period=MINUTE, now=start + MINUTE)


# --- the cache store on a real Valkey (what RATELIMIT_STORE=cache runs on in production) ---------


@pytest.fixture(scope="module")
def valkey_cache_url():
    """A Valkey from the wheel, for this module; the CACHE_URL the demo would give it."""
    import tempfile
    from pathlib import Path

    from tests.valkey import load_embedded

    embedded = load_embedded()
    folder = Path(tempfile.mkdtemp(prefix="kopilka-vk-"))  # short: a Unix socket path
    _broker, cache_url = embedded.start_valkey(folder, persistent=False)
    yield cache_url
    embedded.stop_valkey(folder)


@pytest.mark.django_db(transaction=True)
def test_on_a_real_valkey_twelve_hits_at_once_get_exactly_the_limit(
    valkey_cache_url, settings, now
):
    import environ
    from django.core.cache import caches

    settings.CACHES = {**settings.CACHES, "shared": environ.Env.cache_url_config(valkey_cache_url)}
    shared = ratelimit.CacheStore(alias="shared")
    caches["shared"].clear()
    try:
        outcomes = race(*[lambda: shared.take("k", limit=5, period=MINUTE, now=now)] * 12)
        assert sum(bool(o) for o in outcomes) == 5
        assert shared.used("k", period=MINUTE, now=now) == 5  # refused hits do not count
        shared.give_back("k", period=MINUTE, now=now)
        assert shared.take("k", limit=5, period=MINUTE, now=now)
    finally:
        caches["shared"].close()
