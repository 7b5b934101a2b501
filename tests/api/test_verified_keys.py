"""A process remembers the keys it verified, and forgets them when PostgreSQL notifies a change.

These tests commit (transaction=True): the memory is not used inside a transaction, and the
notifications that make a process forget are sent at commit. PostgreSQL delivers a
notification asynchronously (most within microseconds of the commit, a few milliseconds at
worst), so a test that changes a key on another connection waits until the notification is
readable on this one before it asserts the refusal: that is the promise, "refused once
notified", not "refused before PostgreSQL has said so".
"""

import datetime as dt
import select
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from api.verified_keys import verified_keys
from loyalty.models import Partner, PartnerAPIKey

pytestmark = pytest.mark.django_db(transaction=True)


def elsewhere(work):
    """Run `work` on a connection of its own, committed, as another process would."""
    failure = []

    def run():
        try:
            work()
        except Exception as exc:  # pragma: no cover - re-raised below
            failure.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def notified(timeout: float = 10.0) -> None:
    """Wait until a change committed elsewhere has been notified to this connection: its
    notification is readable on the socket, or was already read (the memory is empty)."""
    memory = verified_keys.memory()
    if memory is None or not memory.entries:
        return
    readable, _, _ = select.select([memory.raw.fileno()], [], [], timeout)
    assert readable, f"PostgreSQL sent no notification within {timeout} s"


def prefix_of(key: str) -> str:
    return key.split(".")[0]


@pytest.fixture
def warmed(api, member):
    """The key verified once on an open connection (so remembered from the next request)."""
    connection.ensure_connection()
    assert api.get(f"/api/v1/members/{member.pk}").status_code == 200
    assert api.get(f"/api/v1/members/{member.pk}").status_code == 200
    return api


def test_a_remembered_key_costs_no_query(warmed, member, django_assert_num_queries):
    with django_assert_num_queries(1):  # the member's summary only
        assert warmed.get(f"/api/v1/members/{member.pk}").status_code == 200


def test_a_key_revoked_by_another_process_is_refused_once_notified(warmed, api_key, member):
    elsewhere(lambda: PartnerAPIKey.objects.filter(prefix=prefix_of(api_key)).update(revoked=True))
    notified()
    response = warmed.get(f"/api/v1/members/{member.pk}")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_a_key_revoked_here_is_refused_at_once(warmed, api_key, member):
    key = PartnerAPIKey.objects.get(prefix=prefix_of(api_key))
    key.revoked = True
    key.save()
    assert warmed.get(f"/api/v1/members/{member.pk}").status_code == 401


def test_an_expiry_set_elsewhere_applies_once_notified(warmed, api_key, member):
    past = timezone.now() - dt.timedelta(minutes=1)
    elsewhere(
        lambda: PartnerAPIKey.objects.filter(prefix=prefix_of(api_key)).update(expiry_date=past)
    )
    notified()
    assert warmed.get(f"/api/v1/members/{member.pk}").status_code == 401


def test_a_partner_deactivated_elsewhere_is_refused_once_notified(warmed, partner, member):
    elsewhere(lambda: Partner.objects.filter(pk=partner.pk).update(is_active=False))
    notified()
    assert warmed.get(f"/api/v1/members/{member.pk}").status_code == 401


def test_a_remembered_expiry_date_is_checked_on_every_request(warmed, member, monkeypatch):
    prefix = next(iter(verified_keys.memory().entries))
    digest, stored_at, row = verified_keys.memory().entries[prefix]
    expired = (*row[:3], timezone.now() - dt.timedelta(seconds=1), *row[4:])
    verified_keys.memory().entries[prefix] = (digest, stored_at, expired)
    response = warmed.get(f"/api/v1/members/{member.pk}")
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_another_secret_with_a_remembered_prefix_is_refused(warmed, api_key, member):
    from tests.api.conftest import ApiClient

    forged = ApiClient(f"{prefix_of(api_key)}.{'x' * 32}")
    assert forged.get(f"/api/v1/members/{member.pk}").status_code == 401


def test_nothing_is_remembered_longer_than_the_setting(
    warmed, member, settings, django_assert_num_queries
):
    settings.API_KEY_CACHE_SECONDS = 300
    prefix = next(iter(verified_keys.memory().entries))
    digest, stored_at, row = verified_keys.memory().entries[prefix]
    verified_keys.memory().entries[prefix] = (digest, stored_at - 301, row)
    with django_assert_num_queries(2):  # the key again, then the summary
        assert warmed.get(f"/api/v1/members/{member.pk}").status_code == 200


def test_zero_seconds_turns_the_memory_off(warmed, member, settings, django_assert_num_queries):
    settings.API_KEY_CACHE_SECONDS = 0
    with django_assert_num_queries(2):
        assert warmed.get(f"/api/v1/members/{member.pk}").status_code == 200


def test_a_row_read_before_a_notification_is_not_remembered(warmed, api_key, member):
    """A change that commits while the key's row is read: the row may predate it."""
    prefix = prefix_of(api_key)
    memory = verified_keys.memory()
    memory.forget()
    row, token = verified_keys.get(prefix, api_key)
    assert row is None and token is not None
    memory.forget()  # what a notification read with the key's query does
    verified_keys.remember(prefix, api_key, ("a row",), token)
    assert prefix not in memory.entries


def test_a_new_connection_starts_with_an_empty_memory(warmed, member, django_assert_num_queries):
    connection.close()
    connection.ensure_connection()
    with django_assert_num_queries(2):
        assert warmed.get(f"/api/v1/members/{member.pk}").status_code == 200
    with django_assert_num_queries(1):
        assert warmed.get(f"/api/v1/members/{member.pk}").status_code == 200


def test_each_thread_keeps_its_own_memory(warmed, member, django_assert_num_queries):
    """Threaded servers: every thread has its own connection, and its own memory."""
    statuses = []

    def other_thread():
        for _ in range(3):
            statuses.append(warmed.get(f"/api/v1/members/{member.pk}").status_code)

    elsewhere(other_thread)
    assert statuses == [200, 200, 200]
    with django_assert_num_queries(1):  # this thread's memory is still there
        assert warmed.get(f"/api/v1/members/{member.pk}").status_code == 200
