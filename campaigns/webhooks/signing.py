"""The signature of a webhook (docs/API.md, "Webhooks"): an HMAC-SHA256 of "<t>.<raw body>"
with the endpoint's secret, sent as `Kopilka-Signature: t=<unix seconds>,v1=<hex>`. While a
rotated secret's grace period lasts, the header carries one `v1` per secret (new first)."""

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "Kopilka-Signature"
EVENT_ID_HEADER = "Kopilka-Event-Id"
EVENT_TYPE_HEADER = "Kopilka-Event-Type"
DELIVERY_ID_HEADER = "Kopilka-Delivery-Id"
TOLERANCE_SECONDS = 300  # what receivers are told to accept: 5 minutes


def new_secret() -> str:
    """A fresh signing secret: 32 random bytes, URL-safe, with a recognisable prefix."""
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secrets_in_use: list[str], timestamp: int, body: bytes) -> str:
    """The header's value: the time, then a v1 signature per secret in use."""
    parts = [f"t={timestamp}"] + [
        f"v1={signature(secret, timestamp, body)}" for secret in secrets_in_use if secret
    ]
    return ",".join(parts)
