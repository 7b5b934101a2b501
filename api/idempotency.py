"""The Idempotency-Key header of partner writes (keys, replays and stored answers are the
idempotency service's: loyalty.services.idempotency)."""

from api.errors import IdempotencyKeyRequired

HEADER = "HTTP_IDEMPOTENCY_KEY"
MAX_KEY_LENGTH = 255


def key_from_request(request, *, required: bool = True) -> str | None:
    """The request's Idempotency-Key (1–255 printable characters), or None when it has none and
    none is `required`. Raises IdempotencyKeyRequired."""
    key = request.META.get(HEADER)
    if key is None or key == "":
        if required:
            raise IdempotencyKeyRequired()
        return None
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise IdempotencyKeyRequired()
    return key
