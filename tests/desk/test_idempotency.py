"""The desk's writes go through the idempotency service like the API's: the form's token is
the Idempotency-Key (scoped to the desk, per partner), and a second submit of one form shows
the first one's result — even when it arrives while the first still runs."""

import datetime as dt
import re
import threading
import time
import uuid

import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from customers.models import Member
from desk.models import DeskActivity
from desk.views import desk_key
from loyalty.models import Account, IdempotencyRecord, LedgerEntry, Purchase, Refund
from loyalty.services import idempotency, record_purchase
from tests.desk.test_check import check

WAIT = 10  # seconds: the longest a test waits for the requests to get where it expects


def test_a_resubmitted_check_records_one_purchase_under_the_forms_key(
    desk, store, rich_member, member_url
):
    token = uuid.uuid4()
    data = check(token, total="1000", redeem_points="300")
    first = desk.post(member_url(rich_member, "check/"), data)
    second = desk.post(member_url(rich_member, "check/"), data)

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    purchase = Purchase.objects.get()
    assert purchase.idempotency_key == desk_key(str(token))
    record = IdempotencyRecord.objects.get()
    assert (record.partner_id, record.key, record.response_status) == (
        store.partner_id,
        desk_key(str(token)),
        201,
    )


def test_the_forms_key_is_taken_in_the_statement_that_locks_the_account(
    desk, rich_member, member_url, django_assert_max_num_queries
):
    """The key costs no statement of its own: session, cashier (3), member, store, the lock
    with the key, the write, the desk's log — and the test's savepoint around the purchase."""
    url = member_url(rich_member, "check/")
    desk.post(url, check(total="100"))  # warm the program cache
    with django_assert_max_num_queries(10):
        assert desk.post(url, check(total="1000", redeem_points="300")).status_code == 302


def test_a_refused_check_can_be_corrected_and_sent_again_with_its_token(
    desk, rich_member, member_url
):
    """A refusal is not stored under the key: the cashier fixes the form and sends it again."""
    token = uuid.uuid4()
    too_much = desk.post(
        member_url(rich_member, "check/"), check(token, total="1000", redeem_points="6000")
    )
    assert too_much.status_code == 422
    fixed = desk.post(
        member_url(rich_member, "check/"), check(token, total="1000", redeem_points="300")
    )
    assert fixed.status_code == 302
    assert Purchase.objects.get().redeemed_points == 300


def _waiting_for_advisory_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        return cursor.fetchone()[0]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_submits_at_once_record_one_purchase_and_both_show_its_receipt(
    cashier, store, rich_member, member_url
):
    token = str(uuid.uuid4())
    data = check(token, total="1000", redeem_points="300")
    url = member_url(rich_member, "check/")
    clients = []
    for _ in range(2):
        client = Client()
        client.force_login(cashier)
        clients.append(client)
    responses: list = [None, None]
    barrier = threading.Barrier(2)

    def submit(i):
        try:
            barrier.wait(timeout=WAIT)
            responses[i] = clients[i].post(url, data)
        finally:
            connection.close()

    # Hold the form's key so that both submits are sure to arrive while it is taken.
    key_lock = [desk_key(token), store.partner_id]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtextextended(%s, %s))", key_lock)
    threads = [threading.Thread(target=submit, args=(i,)) for i in range(2)]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + WAIT
        while _waiting_for_advisory_locks() < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        both_waited = _waiting_for_advisory_locks() == 2
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, %s))", key_lock)
        for thread in threads:
            thread.join(timeout=3 * WAIT)

    assert both_waited, "both submits should wait for the form's key"
    assert [r.status_code for r in responses] == [302, 302]
    assert responses[0]["Location"] == responses[1]["Location"]
    assert Purchase.objects.count() == 1
    assert LedgerEntry.objects.filter(kind="redeem").count() == 1
    assert Account.objects.get(pk=rich_member.pk).available == 5000 - 300 + 14


def _backends_waiting_for_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_refunds_of_one_form_at_once_refund_once_and_both_show_it(
    cashier, store, rich_member, desk_now
):
    purchase = record_purchase(
        member_id=rich_member.pk,
        partner=store.partner,
        store=store,
        external_id="CHK-1",
        amount="10000",
        redeem_points=3000,
        now=desk_now,
    ).purchase
    data = {"token": str(uuid.uuid4()), "amount": "1000"}
    url = f"/desk/purchases/{purchase.pk}/refund/"
    clients = []
    for _ in range(2):
        client = Client()
        client.force_login(cashier)
        clients.append(client)
    responses: list = [None, None]
    barrier = threading.Barrier(2)

    def submit(i):
        try:
            barrier.wait(timeout=WAIT)
            responses[i] = clients[i].post(url, data)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(2)]
    # Hold the member's account so that both refunds are sure to arrive while it is taken.
    with transaction.atomic():
        Account.objects.select_for_update().get(pk=rich_member.pk)
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + WAIT
        while _backends_waiting_for_locks() < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        both_waited = _backends_waiting_for_locks() == 2
    for thread in threads:
        thread.join(timeout=3 * WAIT)

    assert both_waited, "both refunds should wait for the account"
    assert [r.status_code for r in responses] == [302, 302]
    assert responses[0]["Location"] == responses[1]["Location"]
    assert Refund.objects.count() == 1


# --- refunds and enrolments: the form's token through the idempotency service ------------------


@pytest.fixture
def bought(rich_member, store, desk_now):
    return record_purchase(
        member_id=rich_member.pk,
        partner=store.partner,
        store=store,
        external_id="CHK-1",
        amount="10000",
        redeem_points=3000,
        now=desk_now,
    ).purchase


def test_a_resubmitted_refund_is_kept_under_the_forms_key_and_shows_the_first_refund(
    desk, store, bought
):
    token = str(uuid.uuid4())
    url = f"/desk/purchases/{bought.pk}/refund/"
    first = desk.post(url, {"token": token, "amount": "1000"})
    second = desk.post(url, {"token": token, "amount": "1000"})

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    refund = Refund.objects.get()
    record = IdempotencyRecord.objects.get(key=desk_key(token))
    assert (record.partner_id, record.response_status) == (store.partner_id, 201)
    assert record.response_body["refund_id"] == refund.pk


def test_the_same_refund_form_with_another_amount_is_refused_with_a_clear_message(desk, bought):
    token = str(uuid.uuid4())
    url = f"/desk/purchases/{bought.pk}/refund/"
    assert desk.post(url, {"token": token, "amount": "1000"}).status_code == 302
    changed = desk.post(url, {"token": token, "amount": "2000"})
    assert changed.status_code == 422
    assert "This form already made a refund with other lines or amount" in changed.content.decode()
    assert Refund.objects.get().amount == 1000


def test_a_refused_refund_can_be_corrected_and_sent_again_with_its_token(desk, bought):
    token = str(uuid.uuid4())
    url = f"/desk/purchases/{bought.pk}/refund/"
    assert desk.post(url, {"token": token, "amount": "20000"}).status_code == 422
    assert desk.post(url, {"token": token, "amount": "1000"}).status_code == 302
    assert Refund.objects.get().amount == 1000


def test_the_enrolment_form_carries_a_token(desk):
    page = desk.post("/desk/", {"q": "+79990001122"}).content.decode()
    token = re.search(r'name="token" value="([0-9a-f-]{36})"', page)
    assert token is not None
    assert uuid.UUID(token.group(1))


def test_a_double_clicked_enrolment_shows_the_same_member_page(desk, cashier):
    data = {"token": str(uuid.uuid4()), "phone": "8 999 000-11-22", "consent": "on"}
    first = desk.post("/desk/enroll/", data)
    second = desk.post("/desk/enroll/", data)

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Member.objects.count() == 1
    assert DeskActivity.objects.filter(action="enroll").count() == 1


def test_an_enrolment_form_sent_again_with_another_phone_is_refused(desk):
    token = str(uuid.uuid4())
    desk.post("/desk/enroll/", {"token": token, "phone": "+79990001122", "consent": "on"})
    other = desk.post("/desk/enroll/", {"token": token, "phone": "+79990003344", "consent": "on"})
    assert other.status_code == 422
    assert "This form already enrolled another phone." in other.content.decode()
    assert Member.objects.count() == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_enrolment_clicks_at_once_enrol_once_and_both_show_the_member(cashier, store):
    token = str(uuid.uuid4())
    data = {"token": token, "phone": "+79990001122", "consent": "on"}
    clients = []
    for _ in range(2):
        client = Client()
        client.force_login(cashier)
        clients.append(client)
    responses: list = [None, None]
    barrier = threading.Barrier(2)

    def submit(i):
        try:
            barrier.wait(timeout=WAIT)
            responses[i] = clients[i].post("/desk/enroll/", data)
        finally:
            connection.close()

    # Hold the form's key so that both clicks are sure to arrive while it is taken.
    key_lock = [desk_key(token), store.partner_id]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtextextended(%s, %s))", key_lock)
    threads = [threading.Thread(target=submit, args=(i,)) for i in range(2)]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + WAIT
        while _waiting_for_advisory_locks() < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        both_waited = _waiting_for_advisory_locks() == 2
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, %s))", key_lock)
        for thread in threads:
            thread.join(timeout=3 * WAIT)

    assert both_waited, "both clicks should wait for the form's key"
    assert [r.status_code for r in responses] == [302, 302]
    assert responses[0]["Location"] == responses[1]["Location"]
    assert Member.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_check_whose_first_submit_runs_too_long_is_refused_clearly_and_records_nothing(
    cashier, store, rich_member, member_url, monkeypatch
):
    """The second submit waits for the form's key at most KEY_WAIT (made short here), then
    tells the cashier to wait; it neither hangs nor records a second purchase."""
    monkeypatch.setattr(idempotency, "KEY_WAIT", dt.timedelta(milliseconds=200))
    token = str(uuid.uuid4())
    taken, done = threading.Event(), threading.Event()

    def first_submit():  # the first submit of the form, still running
        try:
            with transaction.atomic():
                idempotency.KeyGuard(
                    partner_id=store.partner_id,
                    key=desk_key(token),
                    fingerprint="first",
                    now=timezone.now(),
                    wait=True,
                ).enter()
                taken.set()
                assert done.wait(timeout=WAIT)
                raise RuntimeError("the first submit fails, so its key is free again")
        except RuntimeError:
            pass
        finally:
            connection.close()

    first = threading.Thread(target=first_submit)
    first.start()
    client = Client()
    client.force_login(cashier)
    try:
        assert taken.wait(timeout=WAIT)
        response = client.post(
            member_url(rich_member, "check/"),
            check(token, total="1000", redeem_points="300"),
            HTTP_ACCEPT_LANGUAGE="en",
        )
    finally:
        done.set()
        first.join(timeout=3 * WAIT)

    assert response.status_code == 422
    assert "This form is still being processed." in response.content.decode()
    assert not Purchase.objects.exists()
    assert Account.objects.get(pk=rich_member.pk).available == 5000
    again = client.post(member_url(rich_member, "check/"), check(token, total="1000"))
    assert again.status_code == 302
