"""Finding a member at the till: phone in any notation, card, scan, last digits."""

import datetime as dt

import pytest
from django.utils import timezone

from customers.models import Member
from desk.models import DeskActivity
from loyalty.models import Program
from loyalty.selectors import staff_store
from loyalty.services.program import clear_cache
from tests.desk.conftest import points_expiring_soon
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def lookup(desk, q):
    return desk.post("/desk/", {"q": q})


def test_a_phone_in_another_notation_opens_the_member_card(desk, rich_member, desk_now):
    points_expiring_soon(rich_member, now=desk_now, points=700)
    response = lookup(desk, "8 (912) 345-67-89")
    assert response.status_code == 302
    page = desk.get(response["Location"])
    html = page.content.decode()
    assert "Анна К." in html
    assert "Кузнецова" not in html
    assert "+7 *** ***-67-89" in html
    assert "+79123456789" not in html
    assert 'id="member-tier">Base<' in html
    assert 'id="member-available" data-value="5700"' in html
    assert 'id="member-pending" data-value="0"' in html
    assert 'id="member-expiring" data-value="700"' in html


def test_a_typed_or_scanned_card_number_opens_the_member_card(desk, rich_member):
    response = lookup(desk, rich_member.card_number)
    assert response.status_code == 302
    assert desk.get(response["Location"]).status_code == 200


def test_an_unknown_card_is_a_form_error(desk, rich_member):
    from customers.cards import ean13_check_digit

    body = "270000000000"
    response = lookup(desk, body + ean13_check_digit(body))
    assert response.status_code == 422
    assert b"No member has this card." in response.content
    assert b'id="enroll-form"' not in response.content


def test_a_card_number_with_a_wrong_check_digit_is_refused(desk, rich_member):
    wrong = rich_member.card_number[:12] + str((int(rich_member.card_number[12]) + 1) % 10)
    response = lookup(desk, wrong)
    assert response.status_code == 422
    assert b"This card number is not valid" in response.content


@pytest.mark.parametrize("text", ["", "Анна", "12ab34", "12"])
def test_text_that_is_neither_phone_nor_card_is_a_form_error(desk, text):
    response = lookup(desk, text)
    assert response.status_code == 422
    assert b'class="error"' in response.content
    assert not DeskActivity.objects.filter(action="lookup").exists()


def test_a_blocked_member_is_not_opened(desk, rich_member):
    Member.objects.filter(pk=rich_member.pk).update(status=Member.Status.BLOCKED)
    response = lookup(desk, "+7 912 345 67 89")
    assert response.status_code == 422
    assert b"The member is blocked" in response.content


def test_no_match_offers_to_enrol_with_the_consent_text(desk, db):
    Program.objects.filter(pk=1).update(join_consent_text="I agree to the processing.")
    clear_cache()
    response = lookup(desk, "+7 999 000-11-22")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="enroll-form"' in html
    assert 'value="+79990001122"' in html
    assert "I agree to the processing." in html


def test_last_digits_list_the_few_members_they_match(desk, desk_now):
    for phone in ("+79160001234", "+79260001234", "+79160005555"):
        make_member(phone=phone, now=desk_now, first_name="Олег", last_name="Петров")
    response = lookup(desk, "1234")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="matches"' in html
    assert html.count("+7 *** ***-12-34") == 2
    assert "Олег П." in html


def test_every_lookup_is_logged_with_the_query_masked(desk, cashier, rich_member):
    lookup(desk, "89123456789")
    row = DeskActivity.objects.get()
    assert row.action == "lookup"
    assert row.user == cashier
    assert row.store == staff_store(cashier)
    assert row.member == rich_member
    assert row.query == "+7 *** ***-67-89"
    assert row.ip == "127.0.0.1"


def test_lookups_over_the_per_minute_limit_are_refused_and_logged(desk, cashier, rich_member):
    Program.objects.filter(pk=1).update(desk_lookups_per_minute=2)
    clear_cache()
    assert lookup(desk, "89123456789").status_code == 302
    assert lookup(desk, rich_member.card_number).status_code == 302
    response = lookup(desk, "89123456789")
    assert response.status_code == 429
    assert b"Too many lookups: at most 2 a minute." in response.content
    assert DeskActivity.objects.filter(action="denied").count() == 1
    assert DeskActivity.objects.filter(action="lookup").count() == 2


def test_the_limit_counts_only_the_last_minute(desk, cashier, rich_member):
    Program.objects.filter(pk=1).update(desk_lookups_per_minute=1)
    clear_cache()
    DeskActivity.objects.create(
        user=cashier,
        action="lookup",
        created_at=timezone.now() - dt.timedelta(seconds=61),
    )
    assert lookup(desk, "89123456789").status_code == 302


def test_lookup_and_result_page_use_a_fixed_number_of_queries(
    desk, rich_member, django_assert_max_num_queries
):
    lookup(desk, "89123456789")  # warm the program cache
    with django_assert_max_num_queries(6):
        response = lookup(desk, "8 912 345-67-89")
    with django_assert_max_num_queries(8):
        assert desk.get(response["Location"]).status_code == 200
