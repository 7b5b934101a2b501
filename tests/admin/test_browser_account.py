"""The points account's admin page in Chromium at a 1440 px and a 1024 px screen, in Russian and
English: its action buttons (the object tools) never cover the page title, and the adjustment
form is a Django admin form — labels in their column, help texts, the error shown at the field
it concerns, a submit row."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from loyalty.services import adjust_points
from tests.campaigns.test_admin_browser import sign_in
from tests.factories import make_member

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SCREENS = [{"width": 1440, "height": 900}, {"width": 1024, "height": 768}]
LANGUAGES = ["ru", "en"]


def _overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


@pytest.fixture
def account_member(live_server):
    member = make_member(
        phone="+79161230077", first_name="Александра", last_name="Константинопольская"
    )
    adjust_points(member_id=member.pk, points=120, reason="welcome", staff=None, now=timezone.now())
    return member


def _staff_page(browser, base_url, *, screen, language):
    context = browser.new_context(
        viewport=screen,
        locale="ru-RU" if language == "ru" else "en-US",
        extra_http_headers={"Accept-Language": language},
    )
    page = context.new_page()
    sign_in(page, base_url)
    return context, page


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s['width']}px")
def test_the_account_pages_action_buttons_never_cover_the_title(
    live_server, browser, account_member, screen, language
):
    context, page = _staff_page(browser, live_server.url, screen=screen, language=language)
    page.goto(f"{live_server.url}/admin/loyalty/account/{account_member.pk}/change/")
    tools = page.locator("ul.object-tools")
    expect(tools).to_be_visible()
    expect(page.locator("#adjust-points-link")).to_be_visible()
    tools_box = tools.bounding_box()
    for heading in page.locator("#content h1, #content h2").all()[:2]:
        assert not _overlap(tools_box, heading.bounding_box()), heading.inner_text()
    for link in tools.locator("a").all():  # each button inside the screen
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= screen["width"], link.inner_text()
    context.close()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s['width']}px")
def test_the_adjustment_form_is_an_admin_form_and_shows_its_error_at_the_field(
    live_server, browser, account_member, screen, language
):
    context, page = _staff_page(browser, live_server.url, screen=screen, language=language)
    page.goto(f"{live_server.url}/admin/loyalty/account/{account_member.pk}/change/")
    page.click("#adjust-points-link")

    form = page.locator("#account-action-form")
    expect(form.locator("fieldset.module.aligned")).to_be_visible()
    for name in ("points", "reason", "member_text"):
        row = form.locator(f".form-row.field-{name}")
        expect(row).to_be_visible()
        expect(row.locator("label")).to_be_visible()
        expect(row.locator(".help")).to_be_visible()
    expect(form.locator(".field-points label.required")).to_be_visible()
    expect(form.locator(".field-member_text label.required")).to_have_count(0)
    # Django's forms.css lays the labels out in their own column beside the inputs.
    label = form.locator(".field-reason label").bounding_box()
    field = form.locator("#id_reason").bounding_box()
    assert label["x"] + label["width"] <= field["x"]
    assert abs(label["y"] - field["y"]) < 20
    expect(form.locator(".submit-row input[type=submit].default")).to_be_visible()
    tools_or_title = page.locator("#content h1").bounding_box()
    assert not _overlap(tools_or_title, form.bounding_box())

    page.fill("#id_points", "50")
    form.locator(".submit-row input[type=submit]").click()  # no reason

    expect(page.locator(".errornote")).to_be_visible()
    expect(form.locator(".form-row.errors.field-reason .errorlist")).to_be_visible()
    expect(page.locator("#id_points")).to_have_value("50")
    context.close()
