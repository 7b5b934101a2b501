"""The campaign form in headless Chromium: the preview works with JavaScript off, and the pages
break no rule of the strict Content-Security-Policy."""

import pytest
from playwright.sync_api import expect

from campaigns.models import Award, Campaign
from loyalty.models import Purchase
from tests.factories import UserFactory, make_campaign, make_member

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PHONE = "+79161112244"


def sign_in(page, base_url):
    UserFactory(username="boss", is_staff=True, is_superuser=True)
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "pass-Word-42")
    page.click("input[type=submit]")


def test_the_preview_works_without_javascript(live_server, browser):
    context = browser.new_context(java_script_enabled=False, locale="en-US")
    page = context.new_page()
    member = make_member(phone=PHONE)
    campaign = make_campaign(name="×2 points")
    sign_in(page, live_server.url)

    page.goto(f"{live_server.url}/admin/campaigns/campaign/{campaign.pk}/change/")
    page.fill("#id_value", "3")  # not saved
    page.fill("#id_preview-member", member.card_number)
    page.fill("#id_preview-total", "1000")
    page.click("#campaign-preview-button")

    expect(page.locator("#campaign-preview-result")).to_contain_text("Campaign bonus: 40 points.")
    expect(page.locator("#id_value")).to_have_value("3")  # the form as it was typed
    campaign.refresh_from_db()
    assert campaign.value == 2
    assert not Award.objects.exists()
    assert not Purchase.objects.exists()
    context.close()


def test_campaign_pages_break_no_csp_rule(live_server, page):
    violations = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security" in msg.text else None,
    )
    campaign = make_campaign(state=Campaign.State.PAUSED)
    sign_in(page, live_server.url)
    for path in ("", "add/", f"{campaign.pk}/change/", f"{campaign.pk}/report/", "import/"):
        page.goto(f"{live_server.url}/admin/campaigns/campaign/{path}")
        expect(page.locator("#content")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Server Error")
    assert violations == []
