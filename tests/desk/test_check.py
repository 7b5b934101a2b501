"""The check at the till: live quote, redeem, earn, receipt; bad input records nothing."""

import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from customers.models import Member
from desk.models import DeskActivity
from loyalty.models import Account, LedgerEntry, Purchase
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def check(token=None, **fields):
    return {
        "token": str(token or uuid.uuid4()),
        "lines-TOTAL_FORMS": "0",
        "lines-INITIAL_FORMS": "0",
        **fields,
    }


def with_lines(*rows, **fields):
    data = check(**fields)
    data["lines-TOTAL_FORMS"] = str(len(rows))
    for i, (sku, qty, price) in enumerate(rows):
        data.update({f"lines-{i}-sku": sku, f"lines-{i}-quantity": qty, f"lines-{i}-price": price})
    return data


def nothing_recorded():
    return not Purchase.objects.exists() and not LedgerEntry.objects.filter(kind="earn").exists()


def test_the_quote_shows_the_cap_and_what_the_check_earns(desk, rich_member, member_url):
    response = desk.post(member_url(rich_member, "quote/"), check(total="10000"))
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["max_redeem_points"] == 3000  # 30 % of 10 000 ₽
    assert body["earn_points"] == 200  # 1 point per 50 ₽ at the base tier
    assert body["campaigns"] == []
    redeemed = desk.post(
        member_url(rich_member, "quote/"), check(total="10000", redeem_points="3000")
    )
    assert redeemed.json()["earn_points"] == 140  # earned on the 7 000 ₽ paid with money
    assert redeemed.json()["to_pay"] == "7000.00"


def test_a_quote_over_the_cap_says_so_and_still_shows_the_cap(desk, rich_member, member_url):
    response = desk.post(
        member_url(rich_member, "quote/"), check(total="10000", redeem_points="3001")
    )
    assert response.status_code == 422
    body = response.json()
    assert body["max_redeem_points"] == 3000
    assert "At most 3000 points on this check." in body["errors"]["redeem_points"][0]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"total": "abc"}, "total", "A valid number is required."),
        ({"total": "0"}, "total", "The amount must be greater than zero."),
        ({"total": "-5"}, "total", "The amount must be greater than zero."),
        ({"total": "100", "redeem_points": "ten"}, "redeem_points", "A valid integer is required."),
        ({"total": "100", "redeem_points": "-1"}, "redeem_points", "greater than or equal to 0"),
        ({}, "total", "Give the check lines or its total amount."),
    ],
)
def test_bad_check_input_is_a_field_error_in_the_quote(
    desk, rich_member, member_url, fields, field, message
):
    response = desk.post(member_url(rich_member, "quote/"), check(**fields))
    assert response.status_code == 422
    assert message in " ".join(response.json()["errors"][field])


def test_the_quote_uses_a_fixed_number_of_queries(
    desk, rich_member, member_url, django_assert_max_num_queries
):
    url = member_url(rich_member, "quote/")
    desk.post(url, check(total="100"))  # warm the program cache
    lines = [(f"SKU{i}", "1", "100") for i in range(10)]
    with django_assert_max_num_queries(5):
        assert desk.post(url, with_lines(*lines, redeem_points="300")).status_code == 200


def test_redeeming_the_maximum_records_once_and_shows_the_receipt(
    desk, cashier, store, rich_member, member_url
):
    response = desk.post(
        member_url(rich_member, "check/"), check(total="10000", redeem_points="3000")
    )
    assert response.status_code == 302
    purchase = Purchase.objects.get()
    assert (purchase.partner, purchase.store, purchase.cashier) == (store.partner, store, cashier)
    assert purchase.external_id.startswith("desk-")
    assert purchase.redeemed_points == 3000
    assert purchase.earned_points == 140
    receipt = desk.get(response["Location"]).content.decode()
    assert 'id="receipt-redeemed" data-value="3000"' in receipt
    assert 'id="receipt-earned" data-value="140"' in receipt
    assert 'id="receipt-balance" data-value="2140"' in receipt
    assert 'data-value="3000.00"' in receipt  # the discount on the one line
    activity = DeskActivity.objects.get(action="purchase")
    assert (activity.member, activity.purchase, activity.user) == (rich_member, purchase, cashier)


def test_a_double_submitted_check_records_once_and_shows_the_same_receipt(
    desk, rich_member, member_url
):
    data = check(total="1000", redeem_points="300")
    first = desk.post(member_url(rich_member, "check/"), data)
    second = desk.post(member_url(rich_member, "check/"), data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Purchase.objects.count() == 1
    assert Account.objects.get(pk=rich_member.pk).available == 5000 - 300 + 14


def test_lines_get_their_share_of_the_discount(desk, rich_member, member_url):
    data = with_lines(("MILK", "2", "100"), ("BREAD", "1", "200"), redeem_points="120")
    response = desk.post(member_url(rich_member, "check/"), data)
    assert response.status_code == 302
    discounts = [line.discount for line in Purchase.objects.get().lines.order_by("position")]
    assert discounts == [Decimal("60.00"), Decimal("60.00")]
    receipt = desk.get(response["Location"]).content.decode()
    assert receipt.count('class="num line-discount" data-value="60.00"') == 2


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"total": "10000", "redeem_points": "3001"},
            "More points than this check allows to redeem.",
        ),
        ({"total": "100000", "redeem_points": "5001"}, "The member does not have that many points"),
        ({"total": "0"}, "The amount must be greater than zero."),
        ({"total": "-100"}, "The amount must be greater than zero."),
        ({"total": "сто"}, "A valid number is required."),
        ({"total": "100", "redeem_points": "1.5"}, "A valid integer is required."),
        ({"total": "100.005"}, "Ensure that there are no more than 2 decimal places."),
    ],
)
def test_bad_checks_are_form_errors_and_record_nothing(
    desk, rich_member, member_url, fields, message
):
    response = desk.post(member_url(rich_member, "check/"), check(**fields))
    assert response.status_code == 422
    assert message in response.content.decode()
    assert nothing_recorded()
    assert not DeskActivity.objects.filter(action="purchase").exists()


def cell_error(cell: str, message: str) -> str:
    """The error shown right under a cell of the lines table (`lines-0-sku`)."""
    return f'id="id_{cell}-error">{message}</p>'


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (with_lines(("", "1", "100")), cell_error("lines-0-sku", "This field is required.")),
        (
            with_lines(("MILK", "1", "")),
            cell_error("lines-0-price", "Each line needs a price or an amount."),
        ),
        (
            with_lines(("MILK", "0", "100")),
            cell_error(
                "lines-0-quantity", "The quantity must be positive, with at most 3 decimals."
            ),
        ),
        (
            with_lines(("MILK", "2", "100"), total="500"),
            "The lines do not add up to the check total.",
        ),
    ],
)
def test_bad_lines_are_form_errors_and_record_nothing(desk, rich_member, member_url, data, message):
    response = desk.post(member_url(rich_member, "check/"), data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert nothing_recorded()


def test_a_lines_error_is_shown_under_its_own_cell_past_blank_rows(desk, rich_member, member_url):
    """The parser numbers only the filled rows; its `lines.0.quantity` is the second row here."""
    data = with_lines(("", "", ""), ("MILK", "two", "100"), ("", "", ""), ("BREAD", "1", "x"))
    page = desk.post(member_url(rich_member, "check/"), data).content.decode()
    assert cell_error("lines-1-quantity", "A valid number is required.") in page
    assert cell_error("lines-3-price", "A valid number is required.") in page
    assert 'name="lines-1-quantity" inputmode="decimal" autocomplete="off" value="two"' in page
    quote = desk.post(member_url(rich_member, "quote/"), data).json()
    assert quote["errors"]["lines"] == [
        "Line 2, Qty: A valid number is required.",
        "Line 4, Price, ₽: A valid number is required.",
    ]
    assert nothing_recorded()


def test_a_line_with_a_name_but_no_sku_is_refused_and_blank_rows_are_ignored(
    desk, rich_member, member_url
):
    named = with_lines(("", "1", "100"))
    named["lines-0-name"] = "Milk"
    refused = desk.post(member_url(rich_member, "check/"), named)
    assert cell_error("lines-0-sku", "This field is required.") in refused.content.decode()
    blank_rows = with_lines(("", "", ""), ("MILK", "", "100"), ("", "", ""))
    assert desk.post(member_url(rich_member, "check/"), blank_rows).status_code == 302
    assert [(ln.sku, ln.quantity) for ln in Purchase.objects.get().lines.all()] == [
        ("MILK", Decimal("1.000"))
    ]


def test_the_desk_words_the_parsers_errors_in_russian(desk, rich_member, member_url):
    data = with_lines(("MILK", "1", "сто"), total="abc", redeem_points="-1")
    quote = desk.post(member_url(rich_member, "quote/"), data, HTTP_ACCEPT_LANGUAGE="ru").json()
    assert quote["errors"] == {
        "total": ["Требуется численное значение."],
        "redeem_points": ["Убедитесь, что это значение больше либо равно 0."],
        "lines": ["Позиция 1, Цена, ₽: Требуется численное значение."],
    }


def test_a_member_blocked_after_the_lookup_cannot_buy_with_points(desk, rich_member, member_url):
    Member.objects.filter(pk=rich_member.pk).update(status=Member.Status.BLOCKED)
    response = desk.post(member_url(rich_member, "check/"), check(total="100"))
    assert response.status_code == 422
    assert "The member is blocked" in response.content.decode()
    assert nothing_recorded()


def test_a_check_number_used_before_is_refused(desk, rich_member, member_url):
    desk.post(member_url(rich_member, "check/"), check(total="100", check_number="A-1"))
    response = desk.post(member_url(rich_member, "check/"), check(total="200", check_number="A-1"))
    assert response.status_code == 422
    assert "A purchase with this check number is already recorded." in response.content.decode()
    assert Purchase.objects.count() == 1


def test_staff_without_a_store_cannot_record(client, rich_member):
    from desk.access import member_ref

    marketer = UserFactory(username="marketer", is_staff=True, store=None)
    marketer.groups.add(Group.objects.get(name="marketer"))
    client.force_login(marketer)
    url = f"/desk/m/{member_ref(rich_member.pk, marketer)}/check/"
    response = client.post(url, check(total="100"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    assert "Your account has no store" in response.content.decode()
    assert nothing_recorded()


def test_the_desk_quote_and_receipt_show_the_campaign_bonuses_of_the_till(
    desk, store, rich_member, member_url
):
    from tests.factories import make_campaign

    make_campaign(name="×2 at the till", conditions={"channel": ["till"]}, stacking_group="a")
    make_campaign(name="×3 online", value=3, conditions={"channel": ["eshop"]})
    make_campaign(name="+5", effect="fixed", value=5, stacking_group="a")
    make_campaign(name="Other store", effect="fixed", value=9, conditions={"store": [store.pk + 1]})
    body = desk.post(member_url(rich_member, "quote/"), check(total="1000")).json()
    assert (body["earn_points"], body["bonus_points"]) == (20, 20)
    assert body["campaigns"][0] == "×2 at the till +20"
    assert body["campaigns"][1].startswith("+5: ")  # lost to the bigger bonus of its group
    assert len(body["campaigns"]) == 2
    response = desk.post(member_url(rich_member, "check/"), check(total="1000"))
    purchase = Purchase.objects.get()
    assert (purchase.channel, purchase.bonus_points) == ("till", 20)
    receipt = desk.get(response["Location"]).content.decode()
    assert 'id="receipt-bonus" data-value="20"' in receipt
    assert "×2 at the till +20" in receipt
