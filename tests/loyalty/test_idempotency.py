"""A till's Idempotency-Key (loyalty.services.idempotency): a second submit of one form waits
for the first and gets its answer, but never longer than its bound — then it is refused as
still in progress, cleanly, and the first's answer stands."""

import datetime as dt
import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from loyalty.errors import IdempotencyKeyReused, InvalidCheck, RequestInProgress
from loyalty.models import IdempotencyRecord
from loyalty.services import idempotency
from loyalty.services.idempotency import KeyGuard, Replay, run_once
from tests.factories import PartnerFactory

WAIT = 10  # seconds: the longest a test waits for a thread to get where it expects
SHORT = dt.timedelta(milliseconds=200)  # a till's bound on its wait, made short for the test


def in_thread(job):
    """Run `job` in a thread of its own (its own database connection); join() → its outcome."""
    outcome: dict = {}

    def run():
        try:
            outcome["result"] = job()
        except Exception as exc:  # the test asserts on what the thread got
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()

    def join():
        thread.join(timeout=3 * WAIT)
        assert not thread.is_alive(), "the thread did not finish"
        return outcome

    return join


def timed(job):
    start = time.monotonic()
    try:
        return job(), time.monotonic() - start
    except Exception as exc:
        return exc, time.monotonic() - start


def _waiting_for_advisory_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        return cursor.fetchone()[0]


def wait_until_waiting(n: int) -> bool:
    deadline = time.monotonic() + WAIT
    while _waiting_for_advisory_locks() < n and time.monotonic() < deadline:
        time.sleep(0.01)
    return _waiting_for_advisory_locks() >= n


# --- the key taken inside the work's transaction (a desk purchase) ------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_waiting_key_guard_is_refused_as_in_progress_once_its_bound_has_passed():
    partner = PartnerFactory()
    now = timezone.now()
    taken, done = threading.Event(), threading.Event()

    def first_submit():  # holds the key in its transaction until the test lets it commit
        with transaction.atomic():
            KeyGuard(
                partner_id=partner.pk, key="desk:1", fingerprint="h", now=now, wait=True
            ).enter()
            taken.set()
            assert done.wait(timeout=WAIT)

    first = in_thread(first_submit)
    try:
        assert taken.wait(timeout=WAIT)
        second = KeyGuard(
            partner_id=partner.pk, key="desk:1", fingerprint="h", now=now, wait=True, wait_for=SHORT
        )

        def second_submit():
            with transaction.atomic():
                second.enter()

        refused, waited = timed(second_submit)
    finally:
        done.set()
    assert "error" not in first()

    assert isinstance(refused, RequestInProgress)
    assert waited >= SHORT.total_seconds()  # it waited for the key, it was not refused at once
    # The first submit's answer stands, and the key is free again: a third submit replays it.
    third = KeyGuard(partner_id=partner.pk, key="desk:1", fingerprint="h", now=now, wait=True)
    with pytest.raises(Replay) as replay, transaction.atomic():
        third.enter()
    assert replay.value.status == 201
    assert IdempotencyRecord.objects.count() == 1


# --- the key held around a till's write (desk refunds and enrolments) ---------------------------


@pytest.mark.django_db(transaction=True)
def test_a_second_submit_waits_for_the_first_and_gets_its_answer():
    partner = PartnerFactory()
    now = timezone.now()
    started, proceed = threading.Event(), threading.Event()
    calls = []

    def work():
        calls.append(1)
        started.set()
        assert proceed.wait(timeout=WAIT)
        return {"refund_id": 7}

    def submit():
        return run_once(partner_id=partner.pk, key="desk:2", fingerprint="h", now=now, work=work)

    first = in_thread(submit)
    try:
        assert started.wait(timeout=WAIT)
        second = in_thread(submit)
        second_waited = wait_until_waiting(1)
    finally:
        proceed.set()

    assert second_waited, "the second submit should wait for the first"
    assert first()["result"] == ({"refund_id": 7}, False)
    assert second()["result"] == ({"refund_id": 7}, True)
    assert len(calls) == 1


@pytest.mark.django_db(transaction=True)
def test_a_second_submit_waiting_past_its_bound_is_refused_and_the_first_stands():
    partner = PartnerFactory()
    now = timezone.now()
    started, proceed = threading.Event(), threading.Event()

    def slow_work():
        started.set()
        assert proceed.wait(timeout=WAIT)
        return {"member_id": 1}

    first = in_thread(
        lambda: run_once(
            partner_id=partner.pk, key="desk:3", fingerprint="h", now=now, work=slow_work
        )
    )
    try:
        assert started.wait(timeout=WAIT)
        refused, waited = timed(
            lambda: run_once(
                partner_id=partner.pk,
                key="desk:3",
                fingerprint="h",
                now=now,
                work=lambda: pytest.fail("the second submit must not write"),
                wait_for=SHORT,
            )
        )
    finally:
        proceed.set()

    assert isinstance(refused, RequestInProgress)
    assert waited >= SHORT.total_seconds()
    assert first()["result"] == ({"member_id": 1}, False)
    again = run_once(partner_id=partner.pk, key="desk:3", fingerprint="h", now=now, work=lambda: {})
    assert again == ({"member_id": 1}, True)


@pytest.mark.django_db
def test_a_refused_write_stores_nothing_so_the_corrected_form_may_be_sent_again():
    partner = PartnerFactory()
    now = timezone.now()

    def refused():
        raise InvalidCheck("no")

    with pytest.raises(InvalidCheck):
        run_once(partner_id=partner.pk, key="desk:4", fingerprint="a", now=now, work=refused)
    assert not IdempotencyRecord.objects.exists()
    done = run_once(
        partner_id=partner.pk, key="desk:4", fingerprint="b", now=now, work=lambda: {"id": 1}
    )
    assert done == ({"id": 1}, False)
    with pytest.raises(IdempotencyKeyReused):
        run_once(partner_id=partner.pk, key="desk:4", fingerprint="c", now=now, work=dict)
    assert run_once(partner_id=partner.pk, key="desk:4", fingerprint="b", now=now, work=dict) == (
        {"id": 1},
        True,
    )


def test_the_bound_defaults_to_the_services_key_wait(monkeypatch):
    monkeypatch.setattr(idempotency, "KEY_WAIT", SHORT)
    guard = KeyGuard(partner_id=1, key="k", fingerprint="h", now=timezone.now(), wait=True)
    assert guard.wait_for == SHORT
