"""Pluggable SMS backends, chosen by settings.SMS_BACKEND (like Django's e-mail backends).

In development and the demo, FileSMSBackend writes each message as a text file into OUTBOX_DIR,
so anyone can read the codes; HttpSMSBackend sends through a real gateway (SMSC.ru's HTTP API).
A backend that cannot send raises SMSTemporaryError (try again later: the gateway is down, slow
or out of money) or SMSPermanentError (this message will never go: a bad number, a text the
gateway refuses).
"""

import datetime as dt
import logging
import secrets
from pathlib import Path

import requests
from django.conf import settings
from django.utils.module_loading import import_string
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

logger = logging.getLogger(__name__)


class SMSError(Exception):
    """The SMS was not sent; `code` is stable, the message says why."""

    code = "sms_error"


class SMSTemporaryError(SMSError):
    code = "sms_temporary"


class SMSPermanentError(SMSError):
    code = "sms_permanent"


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


class HttpSMSBackend(BaseSMSBackend):
    """SMSC.ru's HTTP API (`POST /sys/send.php`, JSON answers with `fmt=3`).

    Settings: SMS_GATEWAY_URL, SMS_GATEWAY_LOGIN + SMS_GATEWAY_PASSWORD (or SMS_GATEWAY_API_KEY),
    SMS_GATEWAY_SENDER, SMS_GATEWAY_CONNECT_TIMEOUT / SMS_GATEWAY_READ_TIMEOUT (seconds),
    SMS_GATEWAY_RETRIES and SMS_GATEWAY_BACKOFF (seconds, doubled on each retry).

    A refused connection, a timeout or a 5xx answer is retried with backoff inside one call.
    A retry after a timeout is safe: the gateway refuses a second identical request within a
    minute (error 9), so when a retried request is answered with error 9 the earlier attempt
    got through and the message counts as sent.
    """

    # The gateway's error codes: these concern the message itself, so retrying will not help.
    PERMANENT_ERRORS = {
        1: "bad parameters",
        5: "bad date format",
        6: "message refused (text or sender name)",
        7: "bad phone number",
        8: "the number cannot be reached",
    }
    # These concern the account or the moment: bad login (2), no money (3), IP blocked for a
    # while (4), duplicate request (9); they may clear once someone fixes the account.
    DUPLICATE = 9

    def __init__(self, *, url: str | None = None, session: requests.Session | None = None):
        self.url = url or settings.SMS_GATEWAY_URL
        self.timeout = (settings.SMS_GATEWAY_CONNECT_TIMEOUT, settings.SMS_GATEWAY_READ_TIMEOUT)
        self.session = session or self.build_session()

    @staticmethod
    def build_session() -> requests.Session:
        retry = Retry(
            total=settings.SMS_GATEWAY_RETRIES,
            connect=settings.SMS_GATEWAY_RETRIES,
            read=settings.SMS_GATEWAY_RETRIES,
            status=settings.SMS_GATEWAY_RETRIES,
            other=0,
            status_forcelist=(500, 502, 503, 504),
            allowed_methods=frozenset({"POST"}),
            backoff_factor=settings.SMS_GATEWAY_BACKOFF,
            backoff_max=30,
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        session = requests.Session()
        adapter = HTTPAdapter(max_retries=retry)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    def credentials(self) -> dict[str, str]:
        if settings.SMS_GATEWAY_API_KEY:
            return {"apikey": settings.SMS_GATEWAY_API_KEY}
        if not (settings.SMS_GATEWAY_LOGIN and settings.SMS_GATEWAY_PASSWORD):
            raise SMSTemporaryError(
                "SMS gateway credentials are not set (SMS_GATEWAY_LOGIN and "
                "SMS_GATEWAY_PASSWORD, or SMS_GATEWAY_API_KEY)"
            )
        return {"login": settings.SMS_GATEWAY_LOGIN, "psw": settings.SMS_GATEWAY_PASSWORD}

    def send(self, phone: str, text: str) -> str:
        """Send one SMS; returns the gateway's message id."""
        data = {
            **self.credentials(),
            "phones": phone,
            "mes": text,
            "fmt": "3",
            "charset": "utf-8",
        }
        if settings.SMS_GATEWAY_SENDER:
            data["sender"] = settings.SMS_GATEWAY_SENDER
        try:
            response = self.session.post(self.url, data=data, timeout=self.timeout)
        except requests.RequestException as exc:  # timeouts and refused connections, retried
            raise SMSTemporaryError(f"SMS gateway unreachable: {exc.__class__.__name__}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise SMSTemporaryError(f"SMS gateway answered HTTP {response.status_code}")
        if response.status_code >= 400:
            raise SMSPermanentError(f"SMS gateway answered HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError as exc:
            raise SMSTemporaryError("SMS gateway answered something that is not JSON") from exc
        if not isinstance(answer, dict):
            raise SMSTemporaryError("SMS gateway answered something that is not a JSON object")
        if "error_code" not in answer and "error" not in answer:
            return str(answer.get("id", ""))
        code = answer.get("error_code")
        detail = f"SMS gateway error {code}: {answer.get('error', '')}".strip()
        if code == self.DUPLICATE and response.raw is not None and _was_retried(response):
            logger.warning("SMS to %s: a retried request was a duplicate, so it was sent", phone)
            return str(answer.get("id", ""))
        if code in self.PERMANENT_ERRORS:
            raise SMSPermanentError(f"{detail} ({self.PERMANENT_ERRORS[code]})")
        raise SMSTemporaryError(detail)


def _was_retried(response: requests.Response) -> bool:
    retries = getattr(response.raw, "retries", None)
    return bool(retries is not None and retries.history)


def get_backend() -> BaseSMSBackend:
    return import_string(settings.SMS_BACKEND)()


def send_sms(phone: str, text: str) -> None:
    """Send one SMS through the configured backend."""
    get_backend().send(phone, text)
