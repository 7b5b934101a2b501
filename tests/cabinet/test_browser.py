"""The cabinet in headless Chromium: join with a phone, see points, history and the statement."""

from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from customers.models import Member
from loyalty.services import record_purchase
from tests.cabinet.helpers import code_from_outbox
from tests.factories import PartnerFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"


def test_join_with_a_phone_then_see_points_history_and_statement(live_server, page, outbox):
    page.set_default_timeout(15_000)
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("points for every purchase")

    page.get_by_role("link", name="Join the program").first.click()
    page.get_by_label("Phone").fill("+7 916 555-44-33")
    page.get_by_label("First name").fill("Анна")
    page.get_by_label("I agree to the processing of my personal data").check()
    expect(page.get_by_label("Send me offers by SMS")).not_to_be_checked()
    page.get_by_role("button", name="Get the code").click()

    expect(page.get_by_role("heading", name="Enter the code")).to_be_visible()
    page.get_by_label("Code").fill(code_from_outbox(outbox, "+79165554433"))
    page.get_by_role("button", name="Continue").click()

    expect(page.locator("#available-points")).to_have_text("0")
    member = Member.objects.get(phone="+79165554433")
    record_purchase(
        member_id=member.pk,
        partner=PartnerFactory(name="Магазин у дома"),
        external_id="CHK-42",
        lines=[{"sku": "TEA", "name": "Чай", "price": "3000", "quantity": 1}],
        now=timezone.now(),
    )
    page.reload()
    expect(page.locator("#available-points")).to_have_text("60")
    expect(page.get_by_text("60 points expire on")).to_be_visible()
    expect(page.locator("#card-number")).to_have_text(member.card_number)

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "cabinet-home-375.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=ARTIFACTS / "cabinet-home-desktop.png", full_page=True)

    page.get_by_role("link", name="History", exact=True).click()
    page.get_by_role("link", name="Purchase CHK-42 at Магазин у дома").click()
    expect(page.locator("#earned-points")).to_have_text("60")
    expect(page.get_by_role("cell", name="Чай")).to_be_visible()

    page.get_by_role("link", name="Statement (PDF)").click()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download PDF").click()
    download = download_info.value
    assert download.suggested_filename.startswith(f"statement-{member.card_number}-")
    assert Path(download.path()).read_bytes().startswith(b"%PDF")
