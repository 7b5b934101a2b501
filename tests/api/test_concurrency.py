"""Retries racing each other on real connections: one key, one purchase."""

import threading

import pytest
from django.db import connection

from loyalty.models import IdempotencyRecord, LedgerEntry, PartnerAPIKey, Purchase
from loyalty.services import adjust_points
from tests.api.conftest import ApiClient
from tests.factories import PartnerFactory, make_member

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

THREADS = 6


def race(requests):
    """Run the callables at the same moment, each on its own connection; return the responses."""
    barrier = threading.Barrier(len(requests))
    results: list = [None] * len(requests)

    def run(i, request):
        try:
            barrier.wait(timeout=10)
            results[i] = request()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, r)) for i, r in enumerate(requests)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


@pytest.fixture
def setup(now):
    partner = PartnerFactory(name="Race shop")
    _obj, key = PartnerAPIKey.objects.create_key(partner=partner, name="till")
    member = make_member(now=now)
    adjust_points(member_id=member.pk, points=1000, reason="gift", staff=None, now=now)
    return key, member


def test_concurrent_retries_of_one_key_record_one_purchase(setup):
    key, member = setup
    body = {
        "external_id": "CHK-1",
        "member_id": member.pk,
        "amount": "1000.00",
        "redeem_points": 300,
    }

    def attempt():
        return ApiClient(key).post("/api/v1/purchases", body, idempotency_key="same-key")

    responses = race([attempt] * THREADS)
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, statuses
    assert 201 in statuses
    created = [r.json() for r in responses if r.status_code == 201]
    assert all(b == created[0] for b in created)
    for r in responses:
        if r.status_code == 409:
            assert r.json()["code"] == "request_in_progress"
    assert Purchase.objects.count() == 1
    assert LedgerEntry.objects.filter(kind="redeem").count() == 1
    # Once finished, every retry gets the first answer.
    replay = attempt()
    assert replay.status_code == 201
    assert replay.json() == created[0]
    assert IdempotencyRecord.objects.get().response_status == 201


def test_concurrent_requests_with_one_check_number_and_different_keys(setup):
    key, member = setup
    body = {
        "external_id": "CHK-1",
        "member_id": member.pk,
        "amount": "1000.00",
        "redeem_points": 300,
    }

    def attempt(i):
        return lambda: ApiClient(key).post("/api/v1/purchases", body, idempotency_key=f"key-{i}")

    responses = race([attempt(i) for i in range(THREADS)])
    statuses = sorted(r.status_code for r in responses)
    # One wins; the rest see the check recorded (or the account lock's loser sees it too).
    assert statuses.count(201) == 1, statuses
    assert all(r.json()["code"] == "purchase_exists" for r in responses if r.status_code != 201)
    assert Purchase.objects.count() == 1


def test_a_key_held_by_a_running_purchase_is_409_at_once_and_then_replayed(setup):
    """The key is held inside the first request's transaction: a retry meanwhile is told so
    without waiting for it, and gets the stored answer once it has committed."""
    key, member = setup
    body = {"external_id": "CHK-1", "member_id": member.pk, "amount": "1000.00"}
    inside, finish = threading.Event(), threading.Event()
    import loyalty.services.idempotency as idempotency

    taken = idempotency.KeyGuard.taken

    def take_and_wait(guard, row):
        taken(guard, row)
        inside.set()
        assert finish.wait(timeout=10)

    results = []

    def first():
        try:
            results.append(ApiClient(key).post("/api/v1/purchases", body, idempotency_key="held"))
        finally:
            connection.close()

    idempotency.KeyGuard.taken = take_and_wait
    try:
        thread = threading.Thread(target=first)
        thread.start()
        assert inside.wait(timeout=10)
        idempotency.KeyGuard.taken = taken
        retry = ApiClient(key).post("/api/v1/purchases", body, idempotency_key="held")
        assert retry.status_code == 409 and retry.json()["code"] == "request_in_progress"
        assert not IdempotencyRecord.objects.exists()  # uncommitted: nothing left by a crash
    finally:
        idempotency.KeyGuard.taken = taken
        finish.set()
        thread.join(timeout=30)
    assert results[0].status_code == 201
    replay = ApiClient(key).post("/api/v1/purchases", body, idempotency_key="held")
    assert replay.json() == results[0].json() and replay["Idempotent-Replayed"] == "true"
    assert Purchase.objects.count() == 1
