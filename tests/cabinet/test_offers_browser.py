"""The Offers page in a real browser: sticker cards drawn by the site's stylesheet under the
Content-Security-Policy, with no violation."""

import datetime as dt
import os

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.checkout import record_purchase
from campaigns.models import Campaign
from tests.cabinet.conftest import login_as
from tests.factories import make_campaign

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_the_sticker_card_shows_collected_stamps_under_the_policy(
    live_server, page, member, partner
):
    page.set_default_timeout(15_000)
    violations = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and violations.append(message),
    )
    now = timezone.now()
    make_campaign(
        code="visits",
        name="5 visits in a month",
        kind=Campaign.Kind.CHALLENGE,
        effect=Campaign.Effect.FIXED,
        value=300,
        params={"goal": "visits", "count": 5, "window_days": 30},
    )
    make_campaign(code="x2", name="×2 on everything", description_en="Double points")
    for n in (1, 2):
        record_purchase(
            member_id=member.pk,
            partner=partner,
            now=now - dt.timedelta(days=n),
            external_id=f"b{n}",
            amount=100,
        )
    client = login_as(Client(), member)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/offers/")
    card = page.locator('.sticker-card[data-campaign="visits"]')
    expect(card.locator(".stamp")).to_have_count(5)
    expect(card.locator(".stamp-on")).to_have_count(2)
    # The stamps are drawn by cabinet.css (round, coloured): the stylesheet loaded under the CSP.
    assert card.locator(".stamp-on").first.evaluate("e => getComputedStyle(e).borderRadius") == (
        "50%"
    )
    expect(page.locator("#referral-link")).to_contain_text(f"ref={member.referral_code}")
    if os.environ.get("OFFERS_SCREENSHOT"):
        page.screenshot(path=os.environ["OFFERS_SCREENSHOT"], full_page=True)
    assert violations == []
