"""A partner's receiver written from docs/API.md alone: the Python verification function is taken
from the "Webhooks" section as printed there, and it accepts a delivery Kopilka really sent to a
local server, and refuses a tampered body and an old timestamp. The shell example agrees."""

import datetime as dt
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from django.utils import timezone

from campaigns.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from campaigns.webhooks import delivery, endpoints
from tests.http_stub import StubServer

API_MD = Path(__file__).resolve().parents[2] / "docs" / "API.md"


def webhooks_section() -> str:
    text = API_MD.read_text(encoding="utf-8")
    start = text.index("\n## Webhooks\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def code_blocks(section: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.DOTALL)


@pytest.fixture
def verify_webhook():
    """The documented function, executed as a partner would paste it."""
    (code,) = [c for c in code_blocks(webhooks_section(), "python") if "def verify_webhook" in c]
    namespace: dict = {}
    exec(compile(code, str(API_MD), "exec"), namespace)  # our own docs, as a partner pastes them
    return namespace["verify_webhook"]


@pytest.fixture
def stub():
    server = StubServer().start()
    yield server
    server.stop()


def send(stub, *, now: dt.datetime):
    """A real delivery of a test event from Kopilka to the stub server; the request it got."""
    endpoint = WebhookEndpoint(name="Partner", url=stub.url("/hook"), event_types=["tier.changed"])
    secret = endpoints.save_endpoint(endpoint=endpoint, now=now)
    sent = endpoints.send_test_event(endpoint=endpoint, now=now)
    assert delivery.deliver(sent.pk, now=now) == WebhookDelivery.Status.DELIVERED
    (request,) = stub.hits("/hook")
    return secret, request


@pytest.fixture(autouse=True)
def _private_hosts_allowed(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = True


@pytest.mark.django_db
def test_the_documented_function_accepts_a_real_delivery_and_refuses_a_tampered_body(
    stub, verify_webhook
):
    secret, request = send(stub, now=timezone.now())
    header = request.headers["kopilka-signature"]
    assert verify_webhook(secret, header, request.body)
    assert not verify_webhook(secret, header, request.body.replace(b'"test"', b'"tset"'))
    assert not verify_webhook(secret, header, request.body + b" ")
    assert not verify_webhook("whsec_someone-else", header, request.body)
    assert WebhookEvent.objects.get().type == "test"


@pytest.mark.django_db
def test_the_documented_function_refuses_a_signature_older_than_5_minutes(stub, verify_webhook):
    secret, request = send(stub, now=timezone.now() - dt.timedelta(minutes=6))
    header = request.headers["kopilka-signature"]
    assert not verify_webhook(secret, header, request.body)
    signed_at = int(header.split(",")[0].removeprefix("t="))
    assert verify_webhook(secret, header, request.body, now=signed_at + 299)
    assert not verify_webhook(secret, header, request.body, now=signed_at + 301)
    assert not verify_webhook(secret, "v1=deadbeef", request.body)  # no time at all


@pytest.mark.django_db
def test_both_secrets_verify_during_a_rotation(stub, verify_webhook):
    now = timezone.now()
    old, _request = send(stub, now=now)
    endpoint = WebhookEndpoint.objects.get()
    new = endpoints.rotate_secret(endpoint=endpoint, now=now)
    later = now + dt.timedelta(seconds=1)
    sent = endpoints.send_test_event(endpoint=endpoint, now=later)
    delivery.deliver(sent.pk, now=later)
    request = stub.hits("/hook")[-1]
    header = request.headers["kopilka-signature"]
    assert verify_webhook(new, header, request.body)
    assert verify_webhook(old, header, request.body, now=time.time())


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl")
@pytest.mark.django_db
def test_the_documented_shell_example_computes_the_same_signature(stub, tmp_path):
    secret, request = send(stub, now=timezone.now())
    timestamp, v1 = (
        part.split("=", 1)[1] for part in request.headers["kopilka-signature"].split(",")
    )
    (script,) = [c for c in code_blocks(webhooks_section(), "bash") if "openssl" in c]
    (tmp_path / "body.json").write_bytes(request.body)
    script = script.replace("T=1765100000", f"T={timestamp}")
    result = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env={"SECRET": secret, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert result.stdout.strip() == v1
