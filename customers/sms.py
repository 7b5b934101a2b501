"""Pluggable SMS backends, chosen by settings.SMS_BACKEND (like Django's e-mail backends).

In development and the demo, FileSMSBackend writes each message as a text file into OUTBOX_DIR,
so anyone can read the codes; a real gateway is one more class with a `send(phone, text)`.
"""

import datetime as dt
import logging
import secrets
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class BaseSMSBackend:
    def send(self, phone: str, text: str) -> None:
        raise NotImplementedError


class FileSMSBackend(BaseSMSBackend):
    """Writes `sms-<UTC time>-<random>.txt` with a `To:` header line into OUTBOX_DIR."""

    def __init__(self, directory: str | Path | None = None):
        self.directory = Path(directory or settings.OUTBOX_DIR)

    def send(self, phone: str, text: str) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S-%f")
        path = self.directory / f"sms-{stamp}-{secrets.token_hex(3)}.txt"
        path.write_text(f"To: {phone}\n\n{text}\n", encoding="utf-8")
        return path


class ConsoleSMSBackend(BaseSMSBackend):
    """Logs messages (warning level, so they show with the default logging settings)."""

    def send(self, phone: str, text: str) -> None:
        logger.warning("SMS to %s: %s", phone, text)


def get_backend() -> BaseSMSBackend:
    return import_string(settings.SMS_BACKEND)()


def send_sms(phone: str, text: str) -> None:
    """Send one SMS through the configured backend."""
    get_backend().send(phone, text)
