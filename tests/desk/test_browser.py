"""The desk in headless Chromium: what a cashier does at the till, end to end."""

import re

import pytest
from playwright.sync_api import expect

from loyalty.models import Purchase, Refund

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def sign_in(page, base_url, username="kassa1"):
    page.goto(f"{base_url}/desk/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pass-Word-42")
    page.keyboard.press("Enter")


def find(page, query):
    page.fill("#q", query)
    page.keyboard.press("Enter")


def test_a_cashier_redeems_the_maximum_on_a_check_and_refunds_part(
    live_server, desk_page, cashier, rich_member
):
    page = desk_page
    sign_in(page, live_server.url)
    expect(page.locator("#q")).to_be_focused()

    find(page, "8 (912) 345-67-89")
    expect(page.locator("#member-name")).to_have_text("Анна К.")
    expect(page.locator("#member-phone")).to_have_text("+7 *** ***-67-89")
    expect(page.locator("#member-available")).to_have_text("5,000")

    expect(page.locator("#id_total")).to_be_focused()
    page.keyboard.type("10000")
    expect(page.locator("#quote-max")).to_have_text("3,000")
    expect(page.locator("#quote-earn")).to_have_text("200")
    page.click("#redeem-max")
    expect(page.locator("#id_redeem_points")).to_have_value("3000")
    expect(page.locator("#quote-earn")).to_have_text("140")
    expect(page.locator("#quote-to-pay")).to_have_text("7,000.00")
    page.keyboard.press("Enter")

    expect(page.locator("#receipt-redeemed")).to_have_text("3,000")
    expect(page.locator("#receipt-earned")).to_have_text("140")
    expect(page.locator("#receipt-balance")).to_have_text("2,140")
    expect(page.locator(".line-discount")).to_have_text("3,000.00")

    page.click("#receipt-refund")
    expect(page.locator("#id_amount")).to_be_focused()
    page.keyboard.type("5000")
    page.keyboard.press("Enter")
    expect(page.locator("#refund-returned")).to_have_text("1,500")
    expect(page.locator("#refund-clawed")).to_have_text("70")
    expect(page.locator("#refund-cash")).to_have_text("3,500.00")
    assert Refund.objects.get().amount == 5000

    page.keyboard.press("Escape")  # back to the member
    expect(page.locator("#member-available")).to_have_text("3,570")


def test_a_user_outside_the_cashier_group_cannot_open_the_desk(live_server, desk_page, store):
    from tests.factories import UserFactory

    UserFactory(username="customer", is_staff=False, store=store)
    page = desk_page
    sign_in(page, live_server.url, username="customer")
    expect(page.locator(".error")).to_have_text("This account cannot use the cashier desk.")
    page.goto(f"{live_server.url}/desk/")
    expect(page).to_have_url(re.compile(r"/desk/login/"))


def test_a_double_submitted_check_records_once(live_server, desk_page, cashier, rich_member):
    page = desk_page
    sign_in(page, live_server.url)
    find(page, "+79123456789")
    page.fill("#id_total", "1000")
    # Two submissions of the same form at once, as a double click on a slow line would send.
    urls = page.evaluate(
        """async () => {
            const form = document.getElementById("check-form");
            const send = () => fetch(form.action, {method: "POST", body: new FormData(form)});
            const answers = await Promise.all([send(), send()]);
            return answers.map(r => r.url);
        }"""
    )
    assert urls[0] == urls[1]
    assert "/desk/purchases/" in urls[0]
    assert Purchase.objects.count() == 1


def test_to_spend_points_the_cashier_sends_a_code_and_types_what_the_customer_reads_out(
    live_server, desk_page, cashier, rich_member, settings, tmp_path
):
    from loyalty.models import Program
    from tests.cabinet.helpers import code_from_outbox
    from tests.loyalty.helpers import set_program

    set_program(redeem_confirmation=Program.RedeemConfirmation.REQUIRED)
    settings.OUTBOX_DIR = tmp_path / "outbox"
    settings.SMS_BACKEND = "customers.sms.FileSMSBackend"
    page = desk_page
    sign_in(page, live_server.url)
    find(page, "+79123456789")
    expect(page.locator("#id_total")).to_be_focused()
    page.keyboard.type("1000")
    page.fill("#id_redeem_points", "100")
    page.click("#send-code")
    expect(page.locator("#send-code-status")).to_contain_text("The code was sent")
    expect(page.locator("#id_confirmation_code")).to_be_focused()
    page.keyboard.type(code_from_outbox(settings.OUTBOX_DIR, rich_member.phone))
    page.keyboard.press("Enter")  # confirms the check (it does not send another code)
    expect(page.locator("#receipt-redeemed")).to_have_text("100")
    assert Purchase.objects.get().redeemed_points == 100
    assert len(list(settings.OUTBOX_DIR.glob("sms-*.txt"))) == 1


def test_a_sale_with_the_maximum_is_the_total_then_plus_then_enter(
    live_server, desk_page, cashier, rich_member
):
    page = desk_page
    sign_in(page, live_server.url)
    find(page, "+79123456789")
    expect(page.locator("#id_total")).to_be_focused()
    page.keyboard.type("10000")
    page.keyboard.press("+")  # takes the maximum and moves to Confirm
    expect(page.locator("#id_redeem_points")).to_have_value("3000")
    expect(page.locator("#confirm")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#receipt-redeemed")).to_have_text("3,000")
    assert Purchase.objects.get().redeemed_points == 3000


def test_enter_in_the_total_stops_at_the_points_when_the_customer_could_spend_some(
    live_server, desk_page, cashier, rich_member
):
    """Spending is never forgotten: the first Enter shows the choice, the second confirms
    without spending."""
    page = desk_page
    sign_in(page, live_server.url)
    find(page, "+79123456789")
    expect(page.locator("#id_total")).to_be_focused()
    page.keyboard.type("1000")
    page.keyboard.press("Enter")
    expect(page.locator("#id_redeem_points")).to_be_focused()
    expect(page.locator("#redeem-hint")).to_be_visible()
    assert not Purchase.objects.exists()
    page.keyboard.press("Enter")
    expect(page.locator("#receipt-redeemed")).to_have_text("0")
    assert Purchase.objects.get().redeemed_points == 0


def test_a_customer_with_nothing_to_spend_is_served_with_the_total_and_enter(
    live_server, desk_page, cashier, desk_now
):
    from tests.factories import make_member

    make_member(phone="+79160001122", now=desk_now)
    page = desk_page
    sign_in(page, live_server.url)
    find(page, "+79160001122")
    expect(page.locator("#id_total")).to_be_focused()
    page.keyboard.type("500")
    page.keyboard.press("Enter")
    expect(page.locator("#receipt-earned")).to_have_text("10")
    assert Purchase.objects.get().total == 500


def test_asking_more_points_than_allowed_says_so_once_and_stays_on_the_points(
    live_server, desk_page, cashier, rich_member
):
    page = desk_page
    sign_in(page, live_server.url)
    find(page, "+79123456789")
    expect(page.locator("#id_total")).to_be_focused()
    page.keyboard.type("1000")
    page.fill("#id_redeem_points", "900")  # at most 30 % of 1 000 ₽
    page.keyboard.press("Enter")
    expect(page.locator("#id_redeem_points")).to_be_focused()
    errors = page.locator("p.error:visible")
    expect(errors).to_have_count(1)
    expect(page.locator("#quote-max")).to_have_text("300")
    page.keyboard.press("+")
    expect(page.locator("#id_redeem_points")).to_have_value("300")
    page.keyboard.press("Enter")
    expect(page.locator("#receipt-redeemed")).to_have_text("300")


def test_refunding_the_whole_check_asks_first(live_server, desk_page, cashier, rich_member):
    page = desk_page
    sign_in(page, live_server.url)
    find(page, "+79123456789")
    expect(page.locator("#id_total")).to_be_focused()
    page.keyboard.type("1000")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # no points spent
    page.click("#receipt-refund")
    # A check without lines: the amount is the first thing on the form, labelled plainly.
    expect(page.locator("label[for=id_amount]")).to_have_text("Amount to refund, ₽")
    dialogs = []

    def answer(dialog, accept):
        dialogs.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, False))
    page.click("#refund-whole")
    expect(page.locator("#refund-form")).to_be_visible()
    assert dialogs == ["Refund the whole check: 1,000.00 ₽?"] and not Refund.objects.exists()
    page.once("dialog", lambda d: answer(d, True))
    page.click("#refund-whole")
    expect(page.locator("#refund-cash")).to_be_visible()
    assert Refund.objects.get().amount == 1000
