"""Web push: the browsers a member subscribed from the cabinet, and the backends that reach them.

A subscription is what the browser's PushManager hands out (an endpoint URL at the browser's
push service and two keys); the cabinet stores it here. FilePushBackend writes each push as a
`push-*.json` file into OUTBOX_DIR (demo, tests); WebPushBackend encrypts the payload and posts
it to each of the member's browsers with the VAPID keys (pywebpush). A push service that answers
404 or 410 says the browser dropped the subscription: it is deleted at once.
"""

import base64
import binascii
import datetime as dt
import ipaddress
import json
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from campaigns.channels import PermanentFailure, TemporaryFailure
from campaigns.models import Message, PushSubscription
from core.errors import InvalidInput
from customers.models import Consent, Member
from customers.services import set_consent
from loyalty.services.program import get_program

# Browsers kept per member; subscribing one more forgets the oldest.
MAX_SUBSCRIPTIONS = 10
# A push service keeps at most ~4 KB per message; the text is cut well before that.
MAX_BODY = 1000


# --- Subscriptions ------------------------------------------------------------------------------


def _b64url_bytes(value: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


def validate_subscription(*, endpoint: str, p256dh: str, auth: str) -> None:
    """A subscription must point at a public HTTPS push service and carry a P-256 public key
    (65 bytes) and a 16-byte secret, as browsers make them. Nothing else is ever posted to."""
    errors: dict[str, list[str]] = {}
    parts = urlsplit(endpoint or "")
    host = parts.hostname or ""
    if parts.scheme != "https" or not host or len(endpoint) > 1000:
        errors["endpoint"] = [str(_("The push endpoint must be an https:// address."))]
    else:
        try:
            ipaddress.ip_address(host)
        except ValueError:
            if "." not in host or host.endswith((".local", ".localhost", ".internal")):
                errors["endpoint"] = [str(_("The push endpoint must be a public address."))]
        else:
            errors["endpoint"] = [str(_("The push endpoint must be a public address."))]
    key = _b64url_bytes(p256dh or "")
    if not key or len(key) != 65 or key[0] != 4:
        errors["p256dh"] = [str(_("The browser's key is not valid."))]
    secret = _b64url_bytes(auth or "")
    if not secret or len(secret) != 16:
        errors["auth"] = [str(_("The browser's secret is not valid."))]
    if errors:
        raise InvalidInput(_("This is not a valid push subscription."), fields=errors)


def subscribe(
    *, member: Member, endpoint: str, p256dh: str, auth: str, user_agent: str, now: dt.datetime
) -> PushSubscription:
    """Remember the member's browser for push. Turning push on is asking for it: the push
    consent is given (its standard words, source "cabinet") unless it is already live. A
    browser subscribed earlier by another member now belongs to this one (the same endpoint is
    one browser); at most MAX_SUBSCRIPTIONS browsers per member, the oldest forgotten first."""
    validate_subscription(endpoint=endpoint, p256dh=p256dh, auth=auth)
    with transaction.atomic():
        set_consent(member=member, kind=Consent.Kind.PUSH, given=True, now=now, source="cabinet")
        subscription, _created = PushSubscription.objects.update_or_create(
            endpoint=endpoint,
            defaults={
                "member": member,
                "p256dh": p256dh,
                "auth": auth,
                "user_agent": (user_agent or "")[:300],
            },
            create_defaults={
                "member": member,
                "p256dh": p256dh,
                "auth": auth,
                "user_agent": (user_agent or "")[:300],
                "created_at": now,
            },
        )
        stale = list(
            PushSubscription.objects.filter(member=member)
            .order_by("-created_at", "-pk")
            .values_list("pk", flat=True)[MAX_SUBSCRIPTIONS:]
        )
        if stale:
            PushSubscription.objects.filter(pk__in=stale).delete()
    return subscription


def unsubscribe(*, member: Member, endpoint: str = "", subscription_id: int | None = None) -> bool:
    """Forget one of the member's own browsers (by endpoint or id); False if there was none."""
    rows = PushSubscription.objects.filter(member=member)
    if subscription_id is not None:
        rows = rows.filter(pk=subscription_id)
    elif endpoint:
        rows = rows.filter(endpoint=endpoint)
    else:
        return False
    deleted, _rows = rows.delete()
    return bool(deleted)


# --- What a push says ---------------------------------------------------------------------------


def payload_for(message: Message) -> dict:
    """The JSON the service worker shows: title, text, the page to open on a click."""
    context = message.context or {}
    url = context.get("url") or context.get("cabinet_url") or f"{settings.SITE_URL}/"
    return {
        "title": message.subject or get_program().name,
        "body": message.body[:MAX_BODY],
        "url": str(url),
        "tag": f"message-{message.pk}",
    }


# --- Backends -----------------------------------------------------------------------------------


def _subscriptions(message: Message) -> list[PushSubscription]:
    subscriptions = list(PushSubscription.objects.filter(member_id=message.member_id))
    if not subscriptions:
        raise PermanentFailure("no push subscription")
    return subscriptions


class FilePushBackend:
    """Writes `push-<UTC time>-<random>.json` (the payload and the endpoints) into OUTBOX_DIR."""

    def __init__(self, directory: str | Path | None = None):
        self.directory = Path(directory or settings.OUTBOX_DIR)

    def send(self, message: Message, *, now: dt.datetime) -> Path:
        subscriptions = _subscriptions(message)
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = now.astimezone(dt.UTC).strftime("%Y%m%d-%H%M%S-%f")
        path = self.directory / f"push-{stamp}-{secrets.token_hex(3)}.json"
        record = {
            "member_id": message.member_id,
            "to": [s.endpoint for s in subscriptions],
            **payload_for(message),
        }
        path.write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")
        PushSubscription.objects.filter(pk__in=[s.pk for s in subscriptions]).update(
            last_sent_at=now
        )
        return path


class WebPushBackend:
    """Web Push (RFC 8030/8291) with VAPID (RFC 8292) to every browser of the member.

    The message counts as sent when at least one browser's push service took it. A 404/410
    deletes that subscription (the browser dropped it); 400/413 mean the request itself is
    wrong; any other answer, a timeout or a refused connection is worth a retry later.
    """

    GONE = (404, 410)
    MALFORMED = (400, 413)

    def __init__(self, *, session: requests.Session | None = None):
        if not settings.VAPID_PRIVATE_KEY:
            raise TemporaryFailure("VAPID_PRIVATE_KEY is not set")
        self.vapid = Vapid.from_string(settings.VAPID_PRIVATE_KEY)
        self.session = session or requests.Session()

    def send(self, message: Message, *, now: dt.datetime) -> None:
        subscriptions = _subscriptions(message)
        data = json.dumps(payload_for(message), ensure_ascii=False)
        sent, gone, temporary, permanent = [], [], [], []
        for subscription in subscriptions:
            try:
                webpush(
                    subscription_info={
                        "endpoint": subscription.endpoint,
                        "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
                    },
                    data=data,
                    vapid_private_key=self.vapid,
                    vapid_claims={"sub": settings.VAPID_SUBJECT},  # a fresh dict: it is filled in
                    timeout=settings.PUSH_TIMEOUT,
                    ttl=settings.PUSH_TTL,
                    requests_session=self.session,
                )
            except WebPushException as exc:
                status = exc.status_code
                if status in self.GONE:
                    gone.append(subscription.pk)
                elif status in self.MALFORMED:
                    permanent.append(f"HTTP {status}")
                else:
                    temporary.append(f"HTTP {status}" if status else exc.message)
            except requests.RequestException as exc:
                temporary.append(exc.__class__.__name__)
            else:
                sent.append(subscription.pk)
        if gone:
            PushSubscription.objects.filter(pk__in=gone).delete()
        if sent:
            PushSubscription.objects.filter(pk__in=sent).update(last_sent_at=now)
            return
        if temporary:
            raise TemporaryFailure(f"push services failed: {', '.join(temporary)}"[:500])
        reasons = permanent + [f"subscription gone ({len(gone)})"] * bool(gone)
        raise PermanentFailure(f"push refused: {', '.join(reasons)}"[:500])


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def new_vapid_keys() -> tuple[str, str]:
    """A fresh P-256 key pair as (public key, private key), base64url: the public one is the
    browsers' applicationServerKey (uncompressed point), the private one the raw 32 bytes."""
    vapid = Vapid()
    vapid.generate_keys()
    public = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    private = vapid.private_key.private_numbers().private_value.to_bytes(32, "big")
    return _b64url(public), _b64url(private)


def application_server_key() -> str:
    """The VAPID public key the browser subscribes with ("" when push is not set up)."""
    return settings.VAPID_PUBLIC_KEY
