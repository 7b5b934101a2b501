"""The trigger preview in headless Chromium: a real member's e-mail shows in a sandboxed frame,
its scripts do not run, and the trigger pages break no rule of the Content-Security-Policy."""

import pytest
from playwright.sync_api import expect

from campaigns.models import MessageTemplate, Trigger
from tests.campaigns.test_admin_browser import sign_in
from tests.factories import make_member

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PHONE = "+79161112255"


def make_trigger() -> Trigger:
    # Made here: a transactional test may run after another flushed the migrations' data.
    trigger = Trigger.objects.create(
        code="expiry-browser",
        name="Expiry",
        kind=Trigger.Kind.EXPIRY,
        topic=Trigger.Topic.EXPIRY,
        channels=["email"],
    )
    MessageTemplate.objects.create(
        trigger=trigger,
        channel="email",
        language="ru",
        subject="Баллы сгорят через {{ days }}",
        text="{{ first_name }}, сгорят {{ points }}",
        html=(
            "<p id='greeting'>{{ first_name }}, сгорят {{ points }}</p>"
            "<script>document.getElementById('greeting').textContent = 'scripted'</script>"
        ),
    )
    return trigger


def test_the_preview_shows_the_members_email_in_a_sandboxed_frame(live_server, page):
    violations = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security" in msg.text else None,
    )
    make_member(phone=PHONE, first_name="Ольга")
    trigger = make_trigger()
    sign_in(page, live_server.url)
    base = f"{live_server.url}/admin/campaigns/trigger/"
    for path in ("", "add/?kind=broadcast", f"{trigger.pk}/change/", f"{trigger.pk}/report/"):
        page.goto(base + path)
        expect(page.locator("#content")).to_be_visible()

    page.goto(f"{base}{trigger.pk}/preview/")
    page.fill("#id_member", "8 916 111-22-55")
    page.select_option("#id_channel", "email")
    page.click("#trigger-preview-button")

    expect(page.locator("#preview-subject")).to_have_text("Баллы сгорят через 3")
    expect(page.locator("#preview-text")).to_have_text("Ольга, сгорят 250")
    # The frame is sandboxed without scripts: the e-mail's script did not change its text.
    frame = page.frame_locator("#preview-html")
    expect(frame.locator("#greeting")).to_have_text("Ольга, сгорят 250")
    assert page.locator("#preview-html").get_attribute("sandbox") == ""
    expect(page.locator("body")).not_to_contain_text("Server Error")
    # The blocked script in the frame is the only CSP report allowed.
    assert all("script" in text for text in violations), violations
