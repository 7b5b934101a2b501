"""Webhooks to partners: events found once in committed rows (also a row that commits late),
scoped by partner, signed, delivered with retries and backoff, sent again on request, claimed
under lock; endpoint URLs checked; and not one statement more on a purchase."""

import datetime as dt
import hashlib
import hmac
import json
import threading

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import translation
from django_celery_beat.models import PeriodicTask

from campaigns.checkout import record_purchase
from campaigns.models import (
    Campaign,
    WebhookAttempt,
    WebhookCursor,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from campaigns.models.webhooks import SUBSCRIBABLE
from campaigns.webhooks import delivery, endpoints, events
from core.errors import InvalidInput
from loyalty.services import adjust_points
from loyalty.services.schedules import burn_expired_points
from tests.api.conftest import ApiClient
from tests.factories import T0, PartnerFactory, make_campaign, make_member
from tests.http_stub import StubServer

ALL = [value for value, _label in SUBSCRIBABLE]
MINUTE = dt.timedelta(minutes=1)
Status = WebhookDelivery.Status


@pytest.fixture(autouse=True)
def _private_hosts_allowed(settings):
    """The stub server listens on 127.0.0.1, which production refuses."""
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = True


@pytest.fixture
def stub():
    server = StubServer().start()
    yield server
    server.stop()


def make_endpoint(stub, types=ALL, *, name="Partner CRM", partner=None, path="/hook"):
    endpoint = WebhookEndpoint(name=name, url=stub.url(path), event_types=types, partner=partner)
    endpoints.save_endpoint(endpoint=endpoint, now=T0)
    return endpoint


def keys() -> set[str]:
    return set(WebhookEvent.objects.values_list("key", flat=True))


def buy(member, partner, now, amount="1000.00", **kwargs):
    kwargs.setdefault("external_id", f"chk-{buy.n}")
    buy.n += 1
    return record_purchase(member_id=member.pk, partner=partner, now=now, amount=amount, **kwargs)


buy.n = 1


# --- finding events ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_each_kind_of_happening_becomes_one_event_and_a_rescan_adds_none(stub, partner):
    make_endpoint(stub)
    events.sweep(now=T0)  # the cursors start at the tables' ends: no history is sent
    member = make_member(now=T0)
    adjust_points(member_id=member.pk, points=1000, reason="gift", staff=None, now=T0)
    doubling = make_campaign(name="×2 points")
    purchase = buy(member, partner, T0, "12000.00", redeem_points=100).purchase  # → Silver
    welcome = make_campaign(kind=Campaign.Kind.WELCOME, effect=Campaign.Effect.FIXED, value=100)
    from campaigns.grants import grant

    grant(welcome, member_id=member.pk, occasion="welcome", now=T0)

    events.sweep(now=T0 + MINUTE)

    grant_entry = WebhookEvent.objects.get(key__startswith="points.earned:entry:")
    awards = {f"reward.issued:{pk}" for pk in doubling.awards.values_list("pk", flat=True)}
    awards |= {f"reward.issued:{pk}" for pk in welcome.awards.values_list("pk", flat=True)}
    tier_change = member.account.tier_changes.exclude(reason="enroll").get()
    assert keys() == {
        f"member.created:{member.pk}",
        f"points.earned:purchase:{purchase.pk}",
        f"points.redeemed:purchase:{purchase.pk}",
        grant_entry.key,
        f"tier.changed:{tier_change.pk}",
        *awards,
    }
    assert len(awards) == 2
    earned = WebhookEvent.objects.get(key=f"points.earned:purchase:{purchase.pk}").data
    assert earned["member"] == {"id": member.pk, "card_number": member.card_number}
    assert (earned["points"], earned["earned_points"], earned["bonus_points"]) == (
        purchase.earned_points + purchase.bonus_points,
        purchase.earned_points,
        purchase.bonus_points,
    )
    assert earned["purchase"]["external_id"] == purchase.external_id
    assert earned["partner"] == {"id": partner.pk, "name": partner.name}
    assert earned["balance_after"] == {
        "available": purchase.available_after,
        "pending": purchase.pending_after,
    }
    assert "phone" not in json.dumps(earned) and member.phone not in json.dumps(earned)
    redeemed = WebhookEvent.objects.get(key=f"points.redeemed:purchase:{purchase.pk}").data
    assert redeemed["points"] == 100
    assert grant_entry.data["points"] == 100 and grant_entry.data["purchase"] is None
    tier = WebhookEvent.objects.get(type="tier.changed").data
    assert (tier["from_tier"]["name"], tier["to_tier"]["name"]) == ("Базовый", "Серебряный")

    # Points expire months later: the member's lots burnt in one run are one event.
    later = T0 + dt.timedelta(days=400)
    burnt = burn_expired_points(now=later)
    assert burnt >= 3
    events.sweep(now=later + MINUTE)
    expired = WebhookEvent.objects.get(type="points.expired")
    assert expired.data["lots"] == burnt
    assert expired.data["points"] == purchase.available_after + 100  # all there was

    count, deliveries = WebhookEvent.objects.count(), WebhookDelivery.objects.count()
    assert deliveries == count  # one endpoint: one delivery per event
    events.sweep(now=later + 2 * MINUTE)
    WebhookCursor.objects.update(safe_id=0)  # even reading every row again
    events.sweep(now=later + 3 * MINUTE)
    assert (WebhookEvent.objects.count(), WebhookDelivery.objects.count()) == (count, deliveries)


@pytest.mark.django_db
def test_without_a_subscriber_nothing_is_written_and_the_cursor_moves_on(stub, partner):
    make_endpoint(stub, ["tier.changed"])
    events.sweep(now=T0)
    member = make_member(now=T0)
    buy(member, partner, T0)
    events.sweep(now=T0 + MINUTE)
    assert not WebhookEvent.objects.exists()
    cursor = WebhookCursor.objects.get(source="members")
    assert cursor.last_id == member.pk


@pytest.mark.django_db
def test_an_import_brings_no_member_created(stub):
    make_endpoint(stub, ["member.created"])
    events.sweep(now=T0)
    imported = make_member(now=T0, channel="import")
    joined = make_member(now=T0)
    events.sweep(now=T0 + MINUTE)
    assert keys() == {f"member.created:{joined.pk}"}
    assert imported.pk


@pytest.mark.django_db(transaction=True)
def test_a_row_that_commits_after_a_newer_one_is_still_found_within_the_lookback(stub):
    """Ids are taken at insert, rows seen at commit: a member whose transaction is still open
    when a later member commits and is swept is found by the next sweep."""
    make_endpoint(stub, ["member.created"])
    events.sweep(now=T0)
    inserted, release, late = threading.Event(), threading.Event(), {}

    def slow_enrolment():
        try:
            with transaction.atomic():
                late["member"] = make_member(now=T0)
                inserted.set()
                assert release.wait(timeout=10)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_enrolment)
    thread.start()
    try:
        assert inserted.wait(timeout=10)
        quick = make_member(now=T0)  # a higher id, committed first
        events.sweep(now=T0 + dt.timedelta(seconds=30))
        assert keys() == {f"member.created:{quick.pk}"}
    finally:
        release.set()
        thread.join(timeout=10)
    assert late["member"].pk < quick.pk
    events.sweep(now=T0 + MINUTE)
    assert keys() == {f"member.created:{quick.pk}", f"member.created:{late['member'].pk}"}


# --- partners ------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_an_endpoint_of_a_partner_gets_the_points_of_that_partners_purchases_only(stub, partner):
    other = PartnerFactory(name="Другой магазин")
    mine = make_endpoint(stub, ["points.earned", "member.created"], name="mine", partner=partner)
    theirs = make_endpoint(stub, ["points.earned", "member.created"], name="theirs", partner=other)
    everyone = make_endpoint(stub, ["points.earned", "member.created"], name="all")
    events.sweep(now=T0)
    member = make_member(now=T0)
    purchase = buy(member, partner, T0).purchase
    events.sweep(now=T0 + MINUTE)

    def receivers(key):
        return set(
            WebhookDelivery.objects.filter(event__key=key).values_list("endpoint__name", flat=True)
        )

    assert receivers(f"points.earned:purchase:{purchase.pk}") == {mine.name, everyone.name}
    assert receivers(f"member.created:{member.pk}") == {mine.name, theirs.name, everyone.name}


# --- delivery ------------------------------------------------------------------------------------
def queued_delivery(stub, *, now=T0, **endpoint_kwargs):
    endpoint = make_endpoint(stub, **endpoint_kwargs)
    events.sweep(now=now)
    member = make_member(now=now)
    events.sweep(now=now + dt.timedelta(seconds=30))
    return WebhookDelivery.objects.select_related("event").get(
        endpoint=endpoint, event__key=f"member.created:{member.pk}"
    )


@pytest.mark.django_db
def test_a_delivery_is_signed_with_the_secret_over_the_time_and_the_raw_body(stub):
    sent = queued_delivery(stub)
    at = T0 + MINUTE
    assert delivery.deliver(sent.pk, now=at) == Status.DELIVERED

    (request,) = stub.hits("/hook")
    timestamp = int(at.timestamp())
    expected = hmac.new(
        sent.endpoint.secret.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256
    ).hexdigest()
    assert request.headers["kopilka-signature"] == f"t={timestamp},v1={expected}"
    assert request.headers["kopilka-event-id"] == str(sent.event_id)
    assert request.headers["kopilka-event-type"] == "member.created"
    body = json.loads(request.body)
    assert set(body) == {"id", "type", "created_at", "data"}
    assert (body["id"], body["type"]) == (sent.event_id, "member.created")
    sent.refresh_from_db()
    assert (sent.status, sent.attempts, sent.last_status_code) == (Status.DELIVERED, 1, 200)


@pytest.mark.django_db
def test_a_rotated_secret_signs_beside_the_new_one_for_a_day(stub):
    sent = queued_delivery(stub)
    endpoint = sent.endpoint
    old = endpoint.secret
    new = endpoints.rotate_secret(endpoint=endpoint, now=T0)
    assert new != old
    assert endpoints.secrets_in_use(endpoint, T0 + dt.timedelta(hours=23)) == [new, old]
    assert endpoints.secrets_in_use(endpoint, T0 + dt.timedelta(hours=25)) == [new]


@pytest.mark.django_db
def test_a_failed_attempt_is_retried_after_1_2_4_8_16_minutes_then_the_delivery_fails(stub):
    sent = queued_delivery(stub)
    stub.script("/hook", *[(500, b'{"error": "down"}')] * 6)
    at, waits = T0 + MINUTE, []
    for _attempt in range(5):
        assert delivery.deliver(sent.pk, now=at) == "retry"
        sent.refresh_from_db()
        waits.append(sent.next_attempt_at - at)
        assert delivery.deliver(sent.pk, now=sent.next_attempt_at - dt.timedelta(seconds=1)) == (
            "waiting"
        )
        at = sent.next_attempt_at
    assert waits == [dt.timedelta(minutes=m) for m in (1, 2, 4, 8, 16)]
    assert delivery.deliver(sent.pk, now=at) == Status.FAILED
    sent.refresh_from_db()
    assert (sent.status, sent.attempts, sent.next_attempt_at) == (Status.FAILED, 6, None)
    log = list(WebhookAttempt.objects.filter(delivery=sent))
    assert [(a.status_code, a.response_excerpt) for a in log] == [(500, '{"error": "down"}')] * 6
    assert len(stub.hits("/hook")) == 6


@pytest.mark.django_db
def test_a_500_then_a_200_is_delivered_on_the_second_attempt(stub):
    sent = queued_delivery(stub)
    stub.script("/hook", (500, b"oops"), (200, b"ok"))
    assert delivery.deliver(sent.pk, now=T0 + MINUTE) == "retry"
    assert delivery.due_delivery_ids(now=T0 + MINUTE) == []
    assert delivery.due_delivery_ids(now=T0 + 2 * MINUTE) == [sent.pk]  # the beat sweep's pick
    assert delivery.deliver(sent.pk, now=T0 + 2 * MINUTE) == Status.DELIVERED
    assert [a.status_code for a in WebhookAttempt.objects.filter(delivery=sent)] == [500, 200]


@pytest.mark.django_db
def test_an_unreachable_endpoint_is_an_attempt_logged_with_its_error(stub, settings):
    sent = queued_delivery(stub)
    WebhookEndpoint.objects.filter(pk=sent.endpoint_id).update(url="http://127.0.0.1:9/hook")
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = False
    with translation.override("en"):
        assert delivery.deliver(sent.pk, now=T0 + MINUTE) == "retry"
    (attempt,) = WebhookAttempt.objects.filter(delivery=sent)
    assert attempt.status_code is None and "private" in attempt.error


@pytest.mark.django_db
def test_send_again_queues_a_failed_delivery_with_a_fresh_round_of_retries(
    stub, django_capture_on_commit_callbacks
):
    sent = queued_delivery(stub)
    WebhookDelivery.objects.filter(pk=sent.pk).update(status=Status.FAILED, attempts=6)
    with django_capture_on_commit_callbacks(execute=True):
        assert endpoints.send_again(delivery_ids=[sent.pk], now=T0 + MINUTE) == 1
    sent.refresh_from_db()
    # The queued task ran (eager Celery): sent at once, with the wall clock's time.
    assert (sent.status, sent.attempts) == (Status.DELIVERED, 1)
    assert len(stub.hits("/hook")) == 1


@pytest.mark.django_db(transaction=True)
def test_a_delivery_another_worker_holds_is_not_sent_twice(stub):
    sent = queued_delivery(stub)
    # Here the sweep's commit ran its delivery task at once (eager Celery): queue it again.
    WebhookDelivery.objects.filter(pk=sent.pk).update(status=Status.PENDING, attempts=0)
    stub.requests.clear()
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                WebhookDelivery.objects.select_for_update().get(pk=sent.pk)
                locked.set()
                assert release.wait(timeout=10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert locked.wait(timeout=10)
        assert delivery.deliver(sent.pk, now=T0 + MINUTE) == "skipped"
    finally:
        release.set()
        thread.join(timeout=10)
    assert stub.hits("/hook") == []
    assert delivery.deliver(sent.pk, now=T0 + MINUTE) == Status.DELIVERED


@pytest.mark.django_db
def test_a_switched_off_endpoint_gets_nothing_more(stub):
    sent = queued_delivery(stub)
    WebhookEndpoint.objects.filter(pk=sent.endpoint_id).update(is_active=False)
    assert delivery.deliver(sent.pk, now=T0 + MINUTE) == Status.FAILED
    assert stub.hits("/hook") == []


# --- endpoints -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "javascript:alert(1)",
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_an_endpoint_url_must_be_a_public_http_address(url, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = False
    settings.DEBUG = False
    with pytest.raises(InvalidInput) as refused:
        endpoints.check_url(url)
    assert refused.value.code == "webhook_address_not_allowed"
    assert refused.value.fields["url"]


def test_a_public_address_is_accepted_and_private_ones_when_allowed(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = False
    endpoints.check_url("https://93.184.216.34/hooks/kopilka")
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = True
    endpoints.check_url("http://127.0.0.1:8000/hook")
    with pytest.raises(InvalidInput):
        endpoints.check_url("ftp://127.0.0.1/hook")


@pytest.mark.django_db
def test_a_new_endpoint_gets_a_secret_and_must_choose_known_events():
    endpoint = WebhookEndpoint(name="CRM", url="http://127.0.0.1/h", event_types=["tier.changed"])
    secret = endpoints.save_endpoint(endpoint=endpoint, now=T0)
    assert secret.startswith("whsec_") and len(secret) > 40 and endpoint.secret == secret
    assert endpoints.save_endpoint(endpoint=endpoint, now=T0) is None  # made once
    endpoint.event_types = ["test"]
    with pytest.raises(InvalidInput):
        endpoints.save_endpoint(endpoint=endpoint, now=T0)


# --- the purchase path and the schedules ---------------------------------------------------------
@pytest.mark.django_db
def test_a_purchase_costs_the_same_statements_with_webhooks_subscribed(stub, partner, member):
    """Events are found afterwards, in committed rows: the purchase writes nothing for them.
    Side by side, a purchase before any endpoint exists and one with an endpoint subscribed to
    every event; both are the budget tests/api/test_purchases.py pins: the key check, then the
    two statements of the purchase inside the service's transaction (2 savepoints here)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from loyalty.models import PartnerAPIKey

    _key, secret = PartnerAPIKey.objects.create_key(partner=partner, name="till")
    api = ApiClient(secret)
    many = [{"sku": f"SKU{i}", "amount": "10.00"} for i in range(60)]

    def purchase(n: int) -> list[str]:
        body = {"external_id": f"CHK-{n}", "member_id": member.pk, "lines": many}
        with CaptureQueriesContext(connection) as queries:
            response = api.post(
                "/api/v1/purchases", body | {"redeem_points": 10}, idempotency_key=f"k{n}"
            )
        assert response.status_code == 201, response.content
        return [q["sql"].split(" ", 1)[0] for q in queries.captured_queries]

    with time_machine.travel(T0, tick=True):
        adjust_points(member_id=member.pk, points=1000, reason="gift", staff=None, now=T0)
        purchase(0)  # warms the process's caches (program, tiers, the verified key)
        without = purchase(1)
        make_endpoint(stub)
        events.sweep(now=T0)
        subscribed = purchase(2)
    assert subscribed == without
    assert len(subscribed) == 5


@pytest.mark.django_db
def test_a_fresh_install_sweeps_every_30_seconds_and_sends_what_is_due_every_minute():
    from config.celery import app

    find = PeriodicTask.objects.get(task="campaigns.tasks.find_webhook_events")
    assert (find.interval.every, find.interval.period) == (30, "seconds")
    send = PeriodicTask.objects.get(task="campaigns.tasks.send_due_webhooks")
    assert (send.crontab.minute, send.crontab.hour) == ("*", "*")
    app.loader.import_default_modules()
    assert {
        "campaigns.tasks.find_webhook_events",
        "campaigns.tasks.send_due_webhooks",
        "campaigns.tasks.deliver_webhook",
    } <= set(app.tasks)


# --- the back-office -----------------------------------------------------------------------------
ENDPOINTS = "/admin/campaigns/webhookendpoint/"
DELIVERIES = "/admin/campaigns/webhookdelivery/"


@pytest.mark.django_db
def test_a_marketer_adds_an_endpoint_and_sees_its_secret_once(marketer, en, stub):
    response = marketer.post(
        f"{ENDPOINTS}add/",
        {
            "name": "Partner CRM",
            "url": stub.url("/hook"),
            "event_types": ["points.earned", "tier.changed"],
            "is_active": "on",
        },
        follow=True,
        **en,
    )
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.event_types == ["points.earned", "tier.changed"]
    page = response.content.decode()
    assert "shown this once" in page and endpoint.secret in page
    change = marketer.get(f"{ENDPOINTS}{endpoint.pk}/change/", **en).content.decode()
    assert endpoint.secret not in change and endpoints.masked(endpoint.secret) in change


@pytest.mark.django_db
def test_the_admin_refuses_a_private_url_on_the_form(marketer, en, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = False
    response = marketer.post(
        f"{ENDPOINTS}add/",
        {"name": "Sneaky", "url": "http://169.254.169.254/", "event_types": ["tier.changed"]},
        **en,
    )
    assert response.status_code == 200
    assert "private, loopback or link-local" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_a_marketer_sends_a_test_event_and_a_delivery_again(
    marketer, en, stub, django_capture_on_commit_callbacks
):
    endpoint = make_endpoint(stub)
    with django_capture_on_commit_callbacks(execute=True):
        marketer.post(
            ENDPOINTS,
            {"action": "send_test_event", "_selected_action": [endpoint.pk]},
            **en,
        )
    sent = WebhookDelivery.objects.get(event__type="test")
    assert sent.status == Status.DELIVERED and len(stub.hits("/hook")) == 1
    with django_capture_on_commit_callbacks(execute=True):
        marketer.post(DELIVERIES, {"action": "send_again", "_selected_action": [sent.pk]}, **en)
    assert len(stub.hits("/hook")) == 2
    assert WebhookAttempt.objects.filter(delivery=sent).count() == 2
    page = marketer.get(f"{DELIVERIES}{sent.pk}/change/", **en)
    assert page.status_code == 200 and "Webhook attempts" in page.content.decode()


@pytest.mark.django_db
def test_an_analyst_reads_the_log_without_its_contents_and_cannot_send(analyst, en, stub):
    sent = queued_delivery(stub)
    listing = analyst.get(DELIVERIES, **en)
    assert listing.status_code == 200
    assert "send_again" not in listing.content.decode()
    page = analyst.get(f"{DELIVERIES}{sent.pk}/change/", **en).content.decode()
    assert sent.event.data["member"]["card_number"] not in page
    assert analyst.get(f"{ENDPOINTS}add/", **en).status_code == 403
    analyst.post(DELIVERIES, {"action": "send_again", "_selected_action": [sent.pk]}, **en)
    sent.refresh_from_db()
    assert sent.attempts == 0 and stub.hits("/hook") == []
