"""The cabinet on a 390 × 844 phone and on a desktop, in Russian and English: nothing runs off
the side of the screen, the card is one tap away from every page, and a purchase is one row of
the history however many lots its points came from."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from loyalty.services import adjust_points, record_purchase
from tests.cabinet.conftest import login_as

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
MEMBER_PAGES = [
    "/",
    "/history/",
    "/offers/",
    "/profile/",
    "/profile/notifications/",
    "/rules/",
    "/faq/",
    "/statement/",
    "/card/",
]


@pytest.fixture
def shopper(member, partner):
    now = timezone.now()
    for i in range(3):
        adjust_points(
            member_id=member.pk,
            points=100,
            reason=f"lot {i}",
            staff=None,
            now=now - dt.timedelta(days=20 - i),
        )
    purchase = record_purchase(
        member_id=member.pk,
        partner=partner,
        external_id="CHK-LOTS",
        lines=[
            {
                "sku": "TV-SET-LONG-SKU-0001",
                "name": "Телевизор с очень длинным названием модели",
                "price": "1000",
                "quantity": 1,
            },
            {"sku": "CABLE", "name": "Кабель", "price": "199.90", "quantity": 3},
        ],
        redeem_points=250,
        now=now - dt.timedelta(days=1),
    ).purchase
    return member, purchase


def _log_in(page, live_server, member, language):
    client = login_as(Client(), member)
    page.context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": live_server.url,
            },
            {"name": "django_language", "value": language, "url": live_server.url},
        ]
    )


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("language", ["ru", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_no_page_runs_off_the_side_of_the_screen(live_server, page, shopper, viewport, language):
    member, purchase = shopper
    page.set_default_timeout(15_000)
    page.set_viewport_size(viewport)
    page.goto(f"{live_server.url}/")  # before joining: the program's own page
    assert _overflow(page) <= 0, "landing"
    _log_in(page, live_server, member, language)
    for path in [*MEMBER_PAGES, f"/purchases/{purchase.pk}/"]:
        page.goto(f"{live_server.url}{path}")
        assert _overflow(page) <= 0, path
        # Every tab is on the screen: none is cut off behind a sideways scroll.
        for tab in page.locator(".main-nav a").all():
            box = tab.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], path


def test_the_card_is_one_tap_from_every_page_and_fills_the_phone_screen(live_server, page, shopper):
    member, _purchase = shopper
    page.set_default_timeout(15_000)
    page.set_viewport_size(PHONE)
    _log_in(page, live_server, member, "en")
    for path in MEMBER_PAGES[:-1]:
        page.goto(f"{live_server.url}{path}")
        page.locator("#card-button").click()
        expect(page).to_have_url(f"{live_server.url}/card/")
        qr = page.locator("#card-qr svg")
        expect(qr).to_be_visible()
        box = qr.bounding_box()
        # Large and wholly on the first screen, without scrolling.
        assert box["width"] >= 0.7 * PHONE["width"], path
        assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], path
    expect(page.locator("#card-number")).to_have_text(member.card_number)


def test_a_purchase_is_one_row_of_the_history(live_server, page, shopper):
    member, _purchase = shopper
    page.set_default_timeout(15_000)
    page.set_viewport_size(PHONE)
    _log_in(page, live_server, member, "ru")
    page.goto(f"{live_server.url}/history/")
    rows = page.locator("#history-entries > li")
    expect(rows).to_have_count(4)  # the purchase and the three adjustments
    purchase_row = page.locator("#history-entries > li.entry-purchase")
    expect(purchase_row).to_have_count(1)
    expect(purchase_row).to_contain_text("1 599,70")
    expect(purchase_row).to_contain_text("оплачено 250 баллами")
    # The filter is folded away on a phone: the first row is on the first screen.
    assert rows.first.bounding_box()["y"] < PHONE["height"]
