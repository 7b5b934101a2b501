"""The program dashboard in headless Chromium at 1440 px: the figures, the four charts drawn
from static/ under the strict Content-Security-Policy, a figure's definition on hover, no
console error and no horizontal scroll, in Russian (the default) and in English."""

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.utils import translation
from playwright.sync_api import expect

from campaigns.metrics.definitions import BY_KEY
from tests.campaigns.metrics_history import build_history
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
MARCH_2026 = "?period=custom&start=2026-03-01&end=2026-03-31"
CHARTS = ("chart-checks", "chart-points", "chart-expiry", "chart-tiers")

DRAWN_PIXELS = """(id) => {
    const canvas = document.getElementById(id);
    const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let drawn = 0;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) drawn++;
    return drawn;
}"""


@pytest.fixture
def program_data():
    """The metrics tests' small history (three partners' stores, five members, checks with and
    without a card, a refund, points burnt), computed by the real metrics engine."""
    history = build_history()
    return {"partner": history.p, "store": history.s1, "other_store": history.s3}


def sign_in_as_marketer(page, base_url):
    # A transactional test starts with no groups (the migrations made them): a marketer who
    # may look at campaigns, members and accounts, so "All sections" has some.
    marketer, _created = Group.objects.get_or_create(name="marketer")
    marketer.permissions.add(
        *Permission.objects.filter(codename__in=["view_campaign", "view_member", "view_account"])
    )
    user = UserFactory(username="marketer-b", is_staff=True)
    user.groups.add(marketer)
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", "marketer-b")
    page.fill("#id_password", "pass-Word-42")
    page.click("input[type=submit]")


@pytest.mark.parametrize(("locale", "language"), [("ru-RU", "ru"), ("en-US", "en")])
def test_the_dashboard_draws_its_figures_and_charts_at_1440px(
    live_server, browser, program_data, locale, language
):
    context = browser.new_context(locale=locale, viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems = []

    def console(msg):
        # The browser asks for /favicon.ico on its own; the admin has none, and that 404 is
        # no fault of the page.
        if msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.ico"):
            problems.append(f"{msg.text} {msg.location}")

    page.on("console", console)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on(
        "response",
        lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    sign_in_as_marketer(page, live_server.url)

    page.goto(f"{live_server.url}/admin/{MARCH_2026}")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("#dashboard-filter")).to_be_visible()
    decimal_mark = "," if language == "ru" else "."
    expect(page.locator('[data-metric="revenue_members"]')).to_contain_text(f"{decimal_mark}")
    expect(page.locator('[data-metric="revenue_members"]')).to_contain_text("₽")

    for chart in CHARTS:
        expect(page.locator(f"#{chart}")).to_be_visible()
        assert page.evaluate(DRAWN_PIXELS, chart) > 500, chart

    card = page.locator("#figure-retention_rate")
    tip = page.locator("#definition-retention_rate")
    expect(tip).to_be_hidden()
    card.hover()
    expect(tip).to_be_visible()
    expect(card).to_have_attribute("title", tip.inner_text())
    with translation.override(language):
        expect(tip).to_have_text(str(BY_KEY["retention_rate"].definition))
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(".dash-group-members").screenshot(
        path=ARTIFACTS / f"dashboard-hover-{language}.png"
    )

    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.mouse.move(0, 0)
    page.screenshot(path=ARTIFACTS / f"dashboard-1440-{language}.png", full_page=True)

    expect(page.locator("#all-sections-link")).to_be_visible()
    assert problems == []
    context.close()


def test_the_store_list_follows_the_partner_and_a_custom_period_shows_its_dates(
    live_server, browser, program_data
):
    context = browser.new_context(locale="en-US", viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in_as_marketer(page, live_server.url)
    page.goto(f"{live_server.url}/admin/")

    expect(page.locator("#id_start")).to_be_hidden()
    page.select_option("#id_period", "custom")
    expect(page.locator("#id_start")).to_be_visible()

    partner, other = program_data["partner"], program_data["other_store"]
    page.select_option("#id_partner", str(partner.pk))
    offered = page.eval_on_selector_all(
        "#id_store option:not([disabled])", "options => options.map(o => o.value)"
    )
    assert str(program_data["store"].pk) in offered
    assert str(other.pk) not in offered
    context.close()
