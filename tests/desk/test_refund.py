"""Refunds at the till: find the purchase, refund whole, by lines or by amount, once."""

import uuid

import pytest

from desk.models import DeskActivity
from loyalty.models import Program, Purchase, Refund
from loyalty.services import adjust_points, record_purchase
from loyalty.services.program import clear_cache
from tests.factories import PartnerFactory, StoreFactory, make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def bought(rich_member, store, cashier, desk_now):
    """10 000 ₽ in two lines, 3 000 points redeemed, 140 earned."""
    return record_purchase(
        member_id=rich_member.pk,
        partner=store.partner,
        store=store,
        cashier=cashier,
        external_id="CHK-77",
        lines=[
            {"sku": "TV", "quantity": 1, "price": "8000"},
            {"sku": "CABLE", "quantity": 4, "price": "500"},
        ],
        redeem_points=3000,
        now=desk_now,
    ).purchase


def refund_form(**fields):
    return {"token": str(uuid.uuid4()), **fields}


def test_the_members_recent_purchases_here_are_listed(desk, bought, rich_member, member_url):
    other_store = StoreFactory(partner=PartnerFactory(name="Other"))
    record_purchase(
        member_id=rich_member.pk,
        partner=other_store.partner,
        external_id="ELSEWHERE-1",
        amount="100",
        now=bought.created_at,
    )
    html = desk.get(member_url(rich_member, "refund/")).content.decode()
    assert "CHK-77" in html
    assert "ELSEWHERE-1" not in html


def test_recent_purchases_here_are_this_stores_and_another_stores_check_is_found_by_number(
    desk, bought, rich_member, member_url, store
):
    """The list says "here": a purchase at the partner's other store is not in it, but its
    check number still finds it for a refund (a chain takes goods back at any store)."""
    sister = StoreFactory(partner=store.partner, name="Соседний")
    other = record_purchase(
        member_id=rich_member.pk,
        partner=store.partner,
        store=sister,
        external_id="SISTER-1",
        amount="100",
        now=bought.created_at,
    ).purchase
    html = desk.get(member_url(rich_member, "refund/")).content.decode()
    assert "CHK-77" in html and "SISTER-1" not in html
    response = desk.get("/desk/refund/", {"check": "SISTER-1"})
    assert response["Location"] == f"/desk/purchases/{other.pk}/refund/"


def test_a_check_number_finds_the_purchase(desk, bought):
    response = desk.get("/desk/refund/", {"check": "CHK-77"})
    assert response.status_code == 302
    assert response["Location"] == f"/desk/purchases/{bought.pk}/refund/"
    missing = desk.get("/desk/refund/", {"check": "NOPE"})
    assert "No purchase with this check number here." in missing.content.decode()


def test_refunding_chosen_lines_returns_and_claws_back_their_share(desk, bought, cashier):
    page = desk.get(f"/desk/purchases/{bought.pk}/refund/")
    assert page.status_code == 200
    cable = bought.lines.get(sku="CABLE")
    response = desk.post(
        f"/desk/purchases/{bought.pk}/refund/", refund_form(**{f"qty_{cable.pk}": "2"})
    )
    assert response.status_code == 302
    refund = Refund.objects.get()
    assert refund.amount == 1000  # 2 of 4 cables at 500 ₽
    assert refund.returned_points == 300  # their share of the 3 000 points redeemed
    assert refund.clawed_back_points == 14  # 140 × 700 / 7 000 paid with money
    html = desk.get(response["Location"]).content.decode()
    assert 'id="refund-returned" data-value="300"' in html
    assert 'id="refund-clawed" data-value="14"' in html
    assert 'id="refund-shortfall" data-value="0.00"' in html
    assert 'id="refund-cash" data-value="700.00"' in html
    activity = DeskActivity.objects.get(action="refund")
    assert (activity.purchase, activity.user) == (bought, cashier)


def test_spent_earned_points_are_withheld_in_rubles(desk, store, desk_now):
    Program.objects.filter(pk=1).update(refund_policy="withhold")
    clear_cache()
    member = make_member(now=desk_now)
    purchase = record_purchase(
        member_id=member.pk, partner=store.partner, external_id="P", amount="10000", now=desk_now
    ).purchase
    assert purchase.earned_points == 200
    adjust_points(member_id=member.pk, points=-200, reason="spent", staff=None, now=desk_now)
    response = desk.post(f"/desk/purchases/{purchase.pk}/refund/", refund_form(whole="1"))
    assert response.status_code == 302
    html = desk.get(response["Location"]).content.decode()
    assert 'id="refund-clawed" data-value="200"' in html
    assert 'id="refund-shortfall" data-value="200.00"' in html
    assert 'id="refund-cash" data-value="9800.00"' in html


def test_a_double_submitted_refund_refunds_once(desk, bought):
    data = refund_form(amount="1000")
    first = desk.post(f"/desk/purchases/{bought.pk}/refund/", data)
    second = desk.post(f"/desk/purchases/{bought.pk}/refund/", data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Refund.objects.count() == 1
    assert DeskActivity.objects.filter(action="refund").count() == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "Enter quantities or an amount to refund, or refund the whole check."),
        ({"amount": "abc"}, "Enter a number."),
        ({"amount": "-5"}, "Ensure this value is greater than or equal to 0.01."),
        ({"amount": "20000"}, "More than was bought and not yet refunded."),
        ({"qty_TV": "2"}, "More than was bought and not yet refunded."),
        ({"qty_TV": "one"}, "Enter a number."),
    ],
)
def test_bad_refunds_are_form_errors_and_refund_nothing(desk, bought, fields, message):
    tv = bought.lines.get(sku="TV")
    fields = {k.replace("qty_TV", f"qty_{tv.pk}"): v for k, v in fields.items()}
    response = desk.post(f"/desk/purchases/{bought.pk}/refund/", refund_form(**fields))
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Refund.objects.exists()
    assert Purchase.objects.get(pk=bought.pk).refunded_total == 0


def test_another_partners_purchase_cannot_be_refunded_here(desk, rich_member, desk_now):
    elsewhere = record_purchase(
        member_id=rich_member.pk,
        partner=PartnerFactory(name="Other"),
        external_id="X-1",
        amount="100",
        now=desk_now,
    ).purchase
    assert desk.get(f"/desk/purchases/{elsewhere.pk}/refund/").status_code == 404
    assert desk.get(f"/desk/purchases/{elsewhere.pk}/").status_code == 404
    assert desk.get("/desk/refund/", {"check": "X-1"}).status_code == 200
