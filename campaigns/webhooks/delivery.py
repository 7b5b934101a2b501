"""Delivering webhooks: one signed POST per attempt, 2xx = delivered, anything else retried
after 1, 2, 4, 8 and 16 minutes (messaging's backoff), then failed. Every attempt is logged.

A delivery is sent by `deliver`, which claims its row under lock (`skip_locked`: a worker that
finds it locked leaves it, so two workers never send one attempt twice) and keeps the lock until
the attempt is written; the POST is bounded by WEBHOOKS_TIMEOUT. A lost task loses nothing: the
beat sweep `due_delivery_ids` queues what is due again.
"""

import datetime as dt
import json
import time

import requests
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from campaigns.messaging import backoff
from campaigns.models import WebhookAttempt, WebhookDelivery, WebhookEvent
from campaigns.webhooks import endpoints, signing
from core.errors import DomainError

MAX_ATTEMPTS = 6  # the first, then after 1, 2, 4, 8 and 16 minutes
EXCERPT = 500
USER_AGENT = "Kopilka-Webhooks/1"
Status = WebhookDelivery.Status


def body_of(event: WebhookEvent) -> bytes:
    """The JSON a receiver gets: {id, type, created_at, data}."""
    payload = {
        "id": event.pk,
        "type": event.type,
        "created_at": event.occurred_at.astimezone(dt.UTC).isoformat(),
        "data": event.data,
    }
    return json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False).encode()


def post(delivery: WebhookDelivery, *, now: dt.datetime, session=requests) -> WebhookAttempt:
    """One signed POST of the delivery's event; the attempt as it went (not saved)."""
    endpoint, event = delivery.endpoint, delivery.event
    attempt = WebhookAttempt(delivery=delivery, at=now)
    body = body_of(event)
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        signing.SIGNATURE_HEADER: signing.signature_header(
            endpoints.secrets_in_use(endpoint, now), timestamp, body
        ),
        signing.EVENT_ID_HEADER: str(event.pk),
        signing.EVENT_TYPE_HEADER: event.type,
        signing.DELIVERY_ID_HEADER: str(delivery.pk),
    }
    started = time.monotonic()
    try:
        endpoints.check_url(endpoint.url)
        response = session.post(
            endpoint.url,
            data=body,
            headers=headers,
            timeout=settings.WEBHOOKS_TIMEOUT,
            allow_redirects=False,
        )
    except DomainError as error:
        attempt.error = str(error.fields.get("url", [error.detail])[0])[:EXCERPT]
    except requests.RequestException as error:
        attempt.error = f"{type(error).__name__}: {error}"[:EXCERPT]
    else:
        attempt.status_code = response.status_code
        attempt.response_excerpt = response.text[:EXCERPT]
    attempt.duration_ms = int((time.monotonic() - started) * 1000)
    return attempt


def deliver(delivery_id: int, *, now: dt.datetime, session=requests) -> str:
    """Send one pending delivery if it is due; returns what happened: delivered, retry, failed,
    waiting, or skipped (done already, or being sent by another worker)."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("event", "endpoint")
            .filter(pk=delivery_id, status=Status.PENDING)
            .first()
        )
        if delivery is None:
            return "skipped"
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
            return "waiting"
        if not delivery.endpoint.is_active:
            delivery.status, delivery.last_error = Status.FAILED, "endpoint switched off"
            delivery.save(update_fields=["status", "last_error"])
            return Status.FAILED
        attempt = post(delivery, now=now, session=session)
        attempt.save()
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.last_status_code = attempt.status_code
        delivery.last_error = attempt.error
        if attempt.status_code is not None and 200 <= attempt.status_code < 300:
            delivery.status, delivery.delivered_at = Status.DELIVERED, now
            delivery.next_attempt_at = None
            outcome = Status.DELIVERED
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.status, delivery.next_attempt_at = Status.FAILED, None
            outcome = Status.FAILED
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts)
            outcome = "retry"
        delivery.save()
        return outcome


def retry_delay(delivery_id: int) -> float:
    """Seconds until a delivery's next attempt (0 if due)."""
    due = (
        WebhookDelivery.objects.filter(pk=delivery_id)
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    return 0.0 if due is None else max(0.0, (due - timezone.now()).total_seconds())


def due_delivery_ids(*, now: dt.datetime, limit: int = 5000) -> list[int]:
    """Pending deliveries whose time has come (a retry's delay passed, or a task was lost),
    oldest first."""
    return list(
        WebhookDelivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def enqueue(delivery_ids: list[int]) -> None:
    """A Celery task per delivery, once the transaction that made them commits."""
    from campaigns.tasks import deliver_webhook

    for delivery_id in delivery_ids:
        transaction.on_commit(lambda delivery_id=delivery_id: deliver_webhook.delay(delivery_id))
