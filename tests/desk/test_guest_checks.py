"""A sale without a card at the desk: the total and the check number, recorded once against the
cashier's store for the program's figures; refusals shown under the field they are about."""

import re
import uuid
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from desk.views import desk_key
from loyalty.models import GuestCheck, IdempotencyRecord, LedgerEntry
from loyalty.services import record_purchase
from tests.factories import StoreFactory

URL = "/desk/without-card/"


def sale(token=None, **fields) -> dict:
    return {"token": str(token or uuid.uuid4()), "total": "1249.90", "check_number": "77", **fields}


def field_errors(html: str, field: str) -> list[str]:
    return re.findall(rf'<p class="error" role="alert" id="id_{field}-error">([^<]*)</p>', html)


@pytest.mark.django_db
def test_the_desks_main_page_leads_to_the_sale_without_a_card(desk):
    page = desk.get("/desk/").content.decode()
    assert f'href="{URL}"' in page
    form = desk.get(URL)
    assert form.status_code == 200
    assert b'name="token"' in form.content and b"autofocus" in form.content


@pytest.mark.django_db
def test_a_sale_is_recorded_against_the_cashiers_store_with_no_points(desk, cashier, store):
    response = desk.post(URL, sale(total="1 249,90"))

    check = GuestCheck.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{URL}{check.pk}/"
    assert (check.partner_id, check.store_id, check.cashier_id) == (
        store.partner_id,
        store.pk,
        cashier.pk,
    )
    assert (check.external_id, check.total, check.channel) == ("77", Decimal("1249.90"), "till")
    assert not LedgerEntry.objects.exists()
    done = desk.get(response["Location"]).content.decode()
    assert "Sale without a card recorded" in done and "1,249.90" in done


@pytest.mark.django_db
def test_the_same_form_sent_twice_records_one_sale_and_shows_it_both_times(desk, store):
    data = sale()
    first = desk.post(URL, data)
    second = desk.post(URL, data)

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert GuestCheck.objects.count() == 1
    record = IdempotencyRecord.objects.get()
    assert (record.partner_id, record.key) == (store.partner_id, desk_key(data["token"]))


@pytest.mark.django_db
def test_a_refused_sale_can_be_corrected_and_sent_again_with_its_token(desk):
    token = uuid.uuid4()
    assert desk.post(URL, sale(token, total="0")).status_code == 422
    assert desk.post(URL, sale(token, total="10.50")).status_code == 302
    assert GuestCheck.objects.get().total == Decimal("10.50")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("total", "message"),
    [
        ("0", "The amount must be greater than zero."),
        ("10.555", "Enter an amount in rubles with at most 2 decimals."),
        ("ten", "Enter an amount in rubles with at most 2 decimals."),
        ("", "This field is required."),
    ],
)
def test_a_bad_total_is_shown_under_the_total(desk, total, message):
    response = desk.post(URL, sale(total=total))
    assert response.status_code == 422
    assert field_errors(response.content.decode(), "total") == [message]
    assert not GuestCheck.objects.exists()


@pytest.mark.django_db
def test_a_missing_check_number_is_shown_under_the_check_number(desk):
    response = desk.post(URL, sale(check_number=" "))
    assert response.status_code == 422
    assert field_errors(response.content.decode(), "check_number") == ["This field is required."]


@pytest.mark.django_db
def test_a_check_number_used_before_is_shown_under_the_check_number(desk, store, member, now):
    desk.post(URL, sale(check_number="77"))
    again = desk.post(URL, sale(check_number="77"))
    assert again.status_code == 422
    assert field_errors(again.content.decode(), "check_number") == [
        "A check without a card with this number is already recorded."
    ]
    record_purchase(
        member_id=member.pk, partner=store.partner, external_id="78", amount="100.00", now=now
    )
    members = desk.post(URL, sale(check_number="78"))
    assert field_errors(members.content.decode(), "check_number") == [
        "A purchase with this check number is already recorded."
    ]
    assert GuestCheck.objects.count() == 1


@pytest.mark.django_db
def test_a_cashier_sees_only_the_sales_of_their_partner(desk, now):
    elsewhere = StoreFactory()
    other = GuestCheck.objects.create(
        partner=elsewhere.partner,
        store=elsewhere,
        external_id="1",
        total=Decimal("5.00"),
        occurred_at=now,
        created_at=now,
    )
    assert desk.get(f"{URL}{other.pk}/").status_code == 404


# --- the keyboard flow in headless Chromium ---------------------------------------------------


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_cashier_records_a_sale_without_a_card_from_the_keyboard_once(
    live_server, desk_page, cashier
):
    page = desk_page
    page.goto(f"{live_server.url}/desk/login/")
    page.fill("#id_username", "kassa1")
    page.fill("#id_password", "pass-Word-42")
    page.keyboard.press("Enter")
    expect(page.locator("#q")).to_be_focused()
    page.click("#guest-check-link")

    expect(page.locator("#id_total")).to_be_focused()
    page.keyboard.type("0")
    page.keyboard.press("Tab")
    page.keyboard.type("A-100")
    page.keyboard.press("Enter")
    expect(page.locator("#id_total-error")).to_have_text("The amount must be greater than zero.")
    expect(page.locator("#id_total")).to_be_focused()

    page.keyboard.type("350,50")  # the refused total is selected: typing replaces it
    # The same form sent twice at once, as a double click on a slow line would, then by Enter.
    urls = page.evaluate(
        """async () => {
            const form = document.getElementById("guest-check-form");
            const send = () => fetch(form.action, {method: "POST", body: new FormData(form)});
            const answers = await Promise.all([send(), send()]);
            return answers.map(r => r.url);
        }"""
    )
    page.keyboard.press("Enter")
    expect(page.locator("#guest-check-total")).to_have_text("350.50")
    assert urls[0] == urls[1] == page.url
    check = GuestCheck.objects.get()
    assert (check.external_id, check.total) == ("A-100", Decimal("350.50"))
    page.keyboard.press("Enter")  # next customer
    expect(page.locator("#q")).to_be_focused()
