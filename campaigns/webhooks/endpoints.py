"""Webhook endpoints: their URL rule, their secret (made, shown once, rotated) and the events
staff send by hand — a test event, or a delivery again."""

import datetime as dt
import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from campaigns.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from campaigns.models.webhooks import SUBSCRIBABLE, EventType
from campaigns.webhooks import signing
from core.errors import InvalidInput

# How long the secret a rotation replaced still signs (a second v1 in the header), so a partner
# can switch its receiver to the new one without losing events.
ROTATION_GRACE = dt.timedelta(hours=24)


class UnsafeAddress(InvalidInput):
    code = "webhook_address_not_allowed"
    default_detail = _("The webhook URL must be a public http(s) address.")


def private_hosts_allowed() -> bool:
    return bool(settings.DEBUG or settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS)


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str) -> None:
    """An endpoint's URL is http or https, names a host, and (unless private hosts are allowed:
    DEBUG or WEBHOOKS_ALLOW_PRIVATE_HOSTS) every address the host resolves to is public — no
    loopback, private, link-local (cloud metadata) or reserved address. Checked when the
    endpoint is saved and again before every POST (a name may come to resolve elsewhere)."""
    parts = urlsplit(url or "")
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise UnsafeAddress(
            fields={"url": [str(_("The URL must start with http:// or https:// and name a host."))]}
        )
    if private_hosts_allowed():
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = {info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}
    except (OSError, ValueError) as error:
        raise UnsafeAddress(
            fields={"url": [str(_("The URL's host cannot be resolved."))]}
        ) from error
    if not addresses or not all(_is_public(address) for address in addresses):
        raise UnsafeAddress(
            fields={"url": [str(_("The URL's host is a private, loopback or link-local address."))]}
        )


def check_event_types(event_types) -> list[str]:
    allowed = {value for value, _label in SUBSCRIBABLE}
    chosen = list(dict.fromkeys(event_types or []))
    unknown = [value for value in chosen if value not in allowed]
    if unknown or not chosen:
        raise InvalidInput(fields={"event_types": [str(_("Choose the events to send."))]})
    return chosen


def save_endpoint(*, endpoint: WebhookEndpoint, now: dt.datetime) -> str | None:
    """Check and save an endpoint; a new one gets its secret, which is returned (to be shown
    once), else None."""
    check_url(endpoint.url)
    endpoint.event_types = check_event_types(endpoint.event_types)
    made = None
    if endpoint.pk is None:
        endpoint.created_at = now
        endpoint.secret = made = signing.new_secret()
        endpoint.secret_rotated_at = now
    endpoint.updated_at = now
    endpoint.save()
    return made


def rotate_secret(*, endpoint: WebhookEndpoint, now: dt.datetime) -> str:
    """Give the endpoint a new secret (returned, to be shown once); the old one keeps signing
    beside it for ROTATION_GRACE."""
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        locked.previous_secret = locked.secret
        locked.previous_secret_until = now + ROTATION_GRACE
        locked.secret = signing.new_secret()
        locked.secret_rotated_at = locked.updated_at = now
        locked.save()
    endpoint.refresh_from_db()
    return endpoint.secret


def secrets_in_use(endpoint: WebhookEndpoint, now: dt.datetime) -> list[str]:
    """The secrets a delivery is signed with now: the current one, and the previous one during
    its grace period."""
    keys = [endpoint.secret]
    if (
        endpoint.previous_secret
        and endpoint.previous_secret_until
        and (endpoint.previous_secret_until > now)
    ):
        keys.append(endpoint.previous_secret)
    return keys


def masked(secret: str) -> str:
    return f"{secret[:10]}…" if secret else ""


def send_test_event(*, endpoint: WebhookEndpoint, now: dt.datetime) -> WebhookDelivery:
    """A `test` event to this endpoint only (whatever it subscribed to), queued at once."""
    from campaigns.webhooks.delivery import enqueue

    with transaction.atomic():
        event = WebhookEvent.objects.create(
            key=f"test:{endpoint.pk}:{int(now.timestamp() * 1_000_000)}",
            type=EventType.TEST,
            data={"endpoint": {"id": endpoint.pk, "name": endpoint.name}},
            occurred_at=now,
            created_at=now,
        )
        delivery = WebhookDelivery.objects.create(
            event=event, endpoint=endpoint, next_attempt_at=now, created_at=now
        )
        enqueue([delivery.pk])
    return delivery


def send_again(*, delivery_ids: list[int], now: dt.datetime) -> int:
    """Queue these deliveries once more, whatever became of them (a delivered one is sent
    again too: receivers dedupe by the event's id); each gets a fresh round of retries. A
    delivery being sent right now is left alone. Returns how many were queued."""
    from campaigns.webhooks.delivery import enqueue

    with transaction.atomic():
        ids = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(pk__in=delivery_ids)
            .values_list("pk", flat=True)
        )
        WebhookDelivery.objects.filter(pk__in=ids).update(
            status=WebhookDelivery.Status.PENDING, attempts=0, next_attempt_at=now
        )
        enqueue(ids)
    return len(ids)
