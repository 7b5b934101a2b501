"""The push button in a real browser: the service worker registers from /sw.js under the
Content-Security-Policy, the browser subscribes with the program's VAPID key and the cabinet
stores (then forgets) the subscription. The browser's push service is stubbed (no network)."""

import base64
import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import PushSubscription
from campaigns.push import new_vapid_keys
from campaigns.unsubscribe import unsubscribe_url
from customers.models import Consent
from customers.notifications import allowed
from customers.services import set_consent
from tests.cabinet.conftest import login_as

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ENDPOINT = "https://fcm.googleapis.com/fcm/send/browser-test"

# Chromium here has no push service to talk to: PushManager answers with a made-up
# subscription, remembering the key it was asked to use.
FAKE_PUSH_MANAGER = """
(() => {
  const keys = { p256dh: "%(p256dh)s", auth: "%(auth)s" };
  const fake = {
    endpoint: "%(endpoint)s",
    toJSON() { return { endpoint: this.endpoint, expirationTime: null, keys }; },
    unsubscribe() { window.__subscribed = false; return Promise.resolve(true); },
  };
  window.__subscribed = false;
  PushManager.prototype.subscribe = function (options) {
    window.__keyLength = new Uint8Array(options.applicationServerKey).length;
    window.__subscribed = true;
    return Promise.resolve(fake);
  };
  PushManager.prototype.getSubscription = function () {
    return Promise.resolve(window.__subscribed ? fake : null);
  };
})();
"""


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_the_push_button_subscribes_this_browser_and_turns_it_off_again(
    live_server, page, member, settings
):
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = new_vapid_keys()
    page.set_default_timeout(15_000)
    page.set_viewport_size({"width": 390, "height": 844})
    violations = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and violations.append(message),
    )
    p256dh = b64(
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    page.add_init_script(
        FAKE_PUSH_MANAGER % {"p256dh": p256dh, "auth": b64(os.urandom(16)), "endpoint": ENDPOINT}
    )
    page.context.grant_permissions(["notifications"], origin=live_server.url)
    client = login_as(Client(), member)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )

    page.goto(f"{live_server.url}/profile/notifications/")
    expect(page.locator("#push-status")).to_have_text("Notifications are off in this browser.")
    expect(page.locator("#push-unsupported")).to_be_hidden()
    page.get_by_role("button", name="Turn on notifications in this browser").click()
    expect(page.locator("#push-status")).to_have_text("Notifications are on in this browser.")

    subscription = PushSubscription.objects.get()
    assert (subscription.member_id, subscription.endpoint) == (member.pk, ENDPOINT)
    assert subscription.p256dh == p256dh
    assert page.evaluate("window.__keyLength") == 65  # the program's VAPID key, decoded
    worker = page.evaluate(
        "navigator.serviceWorker.getRegistration('/')"
        ".then(r => r && r.active && r.active.scriptURL)"
    )
    assert worker == f"{live_server.url}/sw.js"
    # Nothing sticks out at 390 px, nor needs sideways scrolling in the table.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    table = page.locator("#notification-choices .table-scroll")
    assert table.evaluate("e => e.scrollWidth <= e.clientWidth")
    if os.environ.get("NOTIFICATIONS_SCREENSHOT"):
        page.screenshot(path=os.environ["NOTIFICATIONS_SCREENSHOT"], full_page=True)

    page.get_by_role("button", name="Turn off notifications in this browser").click()
    expect(page.locator("#push-status")).to_have_text("Notifications are off in this browser.")
    assert not PushSubscription.objects.exists()

    # The Russian page (the default language) fits 390 px too.
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "ru", "url": live_server.url}]
    )
    page.reload()
    expect(page.locator("#push-status")).to_have_text("Уведомления в этом браузере выключены.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert table.evaluate("e => e.scrollWidth <= e.clientWidth")
    if os.environ.get("NOTIFICATIONS_SCREENSHOT"):
        page.screenshot(path=os.environ["NOTIFICATIONS_SCREENSHOT"] + ".ru.png", full_page=True)
    assert violations == []


def test_the_unsubscribe_link_works_in_a_browser_without_login(live_server, page, member, settings):
    settings.SITE_URL = live_server.url
    set_consent(
        member=member, kind=Consent.Kind.MARKETING_SMS, given=True, now=timezone.now(), source="t"
    )
    page.set_default_timeout(15_000)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(unsubscribe_url(member.pk, "sms", "offers"))
    expect(page.locator("#unsubscribe-state")).to_contain_text(
        "messages about “offers and campaigns” will no longer come by SMS"
    )
    assert allowed([member.pk], "offers", ["sms"]) == {member.pk: []}
    page.get_by_role("button", name="Switch off all offers by SMS").click()
    expect(page.locator("#unsubscribe-state")).to_contain_text("no offers or reminders will come")
    assert not member.consents.filter(kind="marketing_sms", withdrawn_at__isnull=True).exists()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    if os.environ.get("NOTIFICATIONS_SCREENSHOT"):
        page.screenshot(path=os.environ["NOTIFICATIONS_SCREENSHOT"] + ".unsub.png", full_page=True)
    page.get_by_role("button", name="Undo").click()
    expect(page.locator("#unsubscribe-state")).to_contain_text("are on again")
    assert allowed([member.pk], "offers", ["sms"]) == {member.pk: ["sms"]}
