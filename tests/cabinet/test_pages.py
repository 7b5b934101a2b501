"""The member's pages: what they show, how many queries they cost, and whose data they see."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cabinet.models import FaqEntry
from customers.models import Consent, ImportantDate, NotificationPreference
from loyalty.services import adjust_points, record_purchase
from loyalty.services.program import clear_cache
from tests.cabinet.conftest import login_as
from tests.factories import make_member

pytestmark = pytest.mark.django_db

LINES = [
    {"sku": "MILK", "name": "Молоко", "price": "100", "quantity": 2},
    {"sku": "BREAD", "name": "Хлеб", "price": "2800", "quantity": 1},
]


@pytest.fixture
def real_now():
    return timezone.now()


@pytest.fixture
def bought(member, partner, real_now):
    """A 3 000 ₽ purchase (60 points at the base tier) and a 15-point goodwill adjustment."""
    result = record_purchase(
        member_id=member.pk,
        partner=partner,
        external_id="CHK-1",
        lines=LINES,
        now=real_now - dt.timedelta(days=2),
    )
    adjust_points(
        member_id=member.pk,
        points=15,
        reason="Извинения за очередь",
        staff=None,
        now=real_now - dt.timedelta(days=1),
    )
    return result.purchase


def test_home_shows_points_their_value_expiry_tier_and_card(
    member_client, member, bought, django_assert_max_num_queries
):
    clear_cache()  # measured with the program settings not yet cached in this process
    with django_assert_max_num_queries(10):
        response = member_client.get(reverse("cabinet:home"))
    html = response.content.decode()
    assert re.search(r'id="available-points">75<', html)
    assert "= 75 ₽ off your next purchases" in html
    assert "60 points expire on" in html and "15 points expire on" in html
    assert "7,000 ₽ more to Silver" in html
    assert '<progress class="progress" max="100" value="30"' in html
    assert "Early access" not in html and "1 point for every 50 ₽" in html
    assert 'class="card-qr"' in html and 'class="card-barcode"' in html
    assert html.count(member.card_number) >= 2


def test_history_lists_purchases_and_adjustments_without_the_staffs_internal_reason(
    member_client, bought, django_assert_max_num_queries
):
    clear_cache()
    with django_assert_max_num_queries(6):
        response = member_client.get(reverse("cabinet:history"))
    html = response.content.decode()
    assert "Purchase CHK-1 at Магазин у дома" in html
    assert "Added by the store" in html
    assert "Извинения за очередь" not in html
    assert reverse("cabinet:purchase", args=[bought.pk]) in html


def test_history_shows_an_adjustments_text_for_the_member_and_never_its_internal_reason(
    member_client, member, real_now
):
    adjust_points(
        member_id=member.pk,
        points=200,
        reason="Компенсация: жалоба клиента на кассира, тикет 4411",
        member_text="Извините за ожидание на кассе",
        staff=None,
        now=real_now - dt.timedelta(hours=3),
    )
    adjust_points(
        member_id=member.pk,
        points=-50,
        reason="Ошибочное начисление, см. тикет 4412",
        staff=None,
        now=real_now - dt.timedelta(hours=2),
    )
    html = member_client.get(reverse("cabinet:history")).content.decode()
    notes = re.findall(r'<span class="entry-reason">([^<]*)</span>', html)
    assert notes == ["Removed by the store", "Извините за ожидание на кассе"]
    assert "тикет" not in html and "жалоба" not in html


def test_history_filters_by_kind_and_period(member_client, bought, real_now):
    adjusted = "Added by the store"
    html = member_client.get(reverse("cabinet:history"), {"kind": "adjust"}).content.decode()
    assert adjusted in html and "CHK-1" not in html
    html = member_client.get(reverse("cabinet:history"), {"kind": "purchase"}).content.decode()
    assert "CHK-1" in html and adjusted not in html
    yesterday = timezone.localdate(real_now - dt.timedelta(days=1))
    html = member_client.get(
        reverse("cabinet:history"), {"date_from": yesterday.isoformat()}
    ).content.decode()
    assert adjusted in html and "CHK-1" not in html


def test_history_is_paginated_with_a_constant_number_of_queries(
    member_client, member, real_now, django_assert_max_num_queries
):
    for i in range(45):
        adjust_points(
            member_id=member.pk,
            points=i + 1,  # the entries are told apart by their points
            reason=f"gift {i}",
            staff=None,
            now=real_now - dt.timedelta(minutes=50 - i),
        )

    def points_shown(html):
        return [int(n) for n in re.findall(r'entry-points plus">\+(\d+)<', html)]

    with django_assert_max_num_queries(6):
        first = member_client.get(reverse("cabinet:history")).content.decode()
    assert points_shown(first) == list(range(45, 25, -1)) and "Page 1 of 3" in first
    with django_assert_max_num_queries(6):
        third = member_client.get(reverse("cabinet:history"), {"page": 3}).content.decode()
    assert points_shown(third) == [5, 4, 3, 2, 1]


def test_a_purchase_opens_with_its_lines_and_points(member_client, bought):
    html = member_client.get(reverse("cabinet:purchase", args=[bought.pk])).content.decode()
    assert "Молоко" in html and "Хлеб" in html
    assert "3,000.00 ₽" in html
    assert re.search(r'id="earned-points">60<', html)


def test_another_members_purchase_history_and_statement_are_not_found(client, member, bought):
    other = make_member()
    login_as(client, other)
    assert client.get(reverse("cabinet:purchase", args=[bought.pk])).status_code == 404
    response = client.get(
        reverse("cabinet:statement_pdf", args=[member.card_number]),
        {"date_from": "2020-01-01", "date_to": "2030-01-01"},
    )
    assert response.status_code == 404
    history = client.get(reverse("cabinet:history")).content.decode()
    assert "CHK-1" not in history and "Извинения" not in history
    assert client.get(reverse("cabinet:home")).content.decode().count(member.card_number) == 0


def test_offers_say_honestly_there_are_none_yet(member_client):
    html = member_client.get(reverse("cabinet:offers")).content.decode()
    assert 'id="offers-empty"' in html


def test_rules_and_faq_come_from_admin(client):
    FaqEntry.objects.create(question="Как копить?", answer="Покупайте.", question_en="How?")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    rules = client.get(reverse("cabinet:rules")).content.decode()
    # The numbers come from the settings; the marketer's text follows them, a paragraph per
    # blank line (its single line breaks joined: no mid-sentence breaks on a phone).
    assert "6 months from the day they are earned" in rules
    assert "<p>Points are earned on every purchase at your tier" in rules and "<br>" not in rules
    html = client.get(reverse("cabinet:faq")).content.decode()
    assert "How?" in html and "Покупайте." in html  # no English answer: the Russian one shows


def test_profile_changes_names_email_and_birth_date(member_client, member):
    response = member_client.post(
        reverse("cabinet:profile"),
        {"first_name": "Аня", "last_name": "К", "email": "A@b.ru", "birth_date": "1990-05-01"},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.first_name, member.email, member.birth_date) == (
        "Аня",
        "a@b.ru",
        dt.date(1990, 5, 1),
    )


def test_the_member_sets_their_time_zone_for_quiet_hours(member_client, member):
    url = reverse("cabinet:profile")
    assert member_client.post(url, {"time_zone": "Asia/Irkutsk"}).status_code == 302
    member.refresh_from_db()
    assert member.time_zone == "Asia/Irkutsk"
    page = member_client.get(url).content.decode()
    assert '<option value="Asia/Irkutsk" selected>' in page
    refused = member_client.post(url, {"time_zone": "Mars/Olympus"})
    assert refused.status_code == 400
    member.refresh_from_db()
    assert member.time_zone == "Asia/Irkutsk"


def test_profile_refuses_an_email_of_another_member(member_client):
    make_member(email="taken@example.com")
    response = member_client.post(reverse("cabinet:profile"), {"email": "taken@example.com"})
    assert response.status_code == 400
    assert b"This e-mail belongs to another member." in response.content


def test_important_dates_are_added_and_removed_only_by_their_owner(member_client, member, client):
    member_client.post(
        reverse("cabinet:date_add"), {"label": "День рождения сына", "date": "2015-03-08"}
    )
    (date,) = member.important_dates.all()
    assert date.yearly is False  # an unticked box is an unticked box
    other = make_member()
    other_date = ImportantDate.objects.create(member=other, label="x", date=dt.date(2000, 1, 1))
    assert (
        member_client.post(reverse("cabinet:date_remove", args=[other_date.pk])).status_code == 404
    )
    member_client.post(reverse("cabinet:date_remove", args=[date.pk]))
    assert not member.important_dates.exists()
    assert ImportantDate.objects.filter(pk=other_date.pk).exists()


def test_notification_choices_are_saved_per_channel_and_kind(member_client, member):
    # Everything on except SMS about offers.
    data = {
        f"{c}__{k}": "on"
        for c in NotificationPreference.Channel.values
        for k in NotificationPreference.Kind.values
        if (c, k) != ("sms", "offers")
    }
    member_client.post(reverse("cabinet:notifications"), data)
    stored = {
        (p.channel, p.kind): p.enabled for p in NotificationPreference.objects.filter(member=member)
    }
    assert stored[("sms", "offers")] is False
    assert stored[("email", "expiry")] is True
    html = member_client.get(reverse("cabinet:notifications")).content.decode()
    assert 'name="sms__offers"' in html and 'name="sms__offers" checked' not in html


def test_consents_are_given_and_withdrawn_with_their_history(member_client, member):
    member_client.post(reverse("cabinet:consent"), {"kind": "marketing_email", "action": "give"})
    member_client.post(
        reverse("cabinet:consent"), {"kind": "marketing_email", "action": "withdraw"}
    )
    rows = member.consents.filter(kind=Consent.Kind.MARKETING_EMAIL)
    assert rows.count() == 1 and rows.get().withdrawn_at is not None
    html = member_client.get(reverse("cabinet:profile")).content.decode()
    assert "History of consents" in html


def test_withdrawing_personal_data_consent_asks_to_close_the_account(member_client, member):
    member_client.post(reverse("cabinet:consent"), {"kind": "personal_data", "action": "withdraw"})
    member.refresh_from_db()
    assert member.closure_requested_at is None  # not without the confirmation box

    member_client.post(
        reverse("cabinet:consent"),
        {"kind": "personal_data", "action": "withdraw", "confirm": "1"},
    )
    member.refresh_from_db()
    assert member.closure_requested_at is not None
    html = member_client.get(reverse("cabinet:home")).content.decode()
    assert 'id="closure-notice"' in html


def test_language_switch_posts_to_set_language(member_client):
    html = member_client.get(reverse("cabinet:home")).content.decode()
    assert 'action="/i18n/setlang/"' in html
    response = member_client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302


def test_home_shows_the_members_tier_changes(member_client, member, partner, real_now):
    record_purchase(
        member_id=member.pk,
        partner=partner,
        external_id="BIG-1",
        amount="12000.00",
        now=real_now - dt.timedelta(hours=1),
    )
    html = member_client.get(reverse("cabinet:home")).content.decode()
    changes = html[html.index('id="tier-changes"') :]
    assert "Base → Silver" in changes
    assert "qualifying spend reached the threshold" in changes
    assert "joined the program" in changes


# --- Personal data: a copy and erasure (152-FZ) -----------------------------------------------


def test_the_member_downloads_everything_stored_about_them_and_nothing_of_others(
    member_client, member, bought, partner, real_now
):
    import json

    from customers.models import DataRequest, LoginCode

    other = make_member(phone="+79120000099", first_name="Иван")
    record_purchase(
        member_id=other.pk, partner=partner, external_id="OTHER-1", lines=LINES, now=real_now
    )
    ImportantDate.objects.create(member=member, label="Дочь", date=dt.date(2015, 3, 1))
    LoginCode.objects.create(
        target=member.phone, code_hash="secret-hash", created_at=real_now, expires_at=real_now
    )
    response = member_client.get(reverse("cabinet:data_export"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="kopilka-data-')
    body = response.content.decode()
    data = json.loads(body)

    assert data["member"]["profile"]["phone"] == member.phone
    assert data["member"]["profile"]["first_name"] == "Анна"
    assert data["member"]["consents"][0]["text"]
    assert data["member"]["important_dates"] == [
        {"label": "Дочь", "date": "2015-03-01", "yearly": True}
    ]
    assert [c["target"] for c in data["member"]["login_codes"]] == [member.phone]
    assert data["account"]["available"] == 75
    assert [p["external_id"] for p in data["purchases"]] == ["CHK-1"]
    assert [line["sku"] for line in data["purchases"][0]["lines"]] == ["MILK", "BREAD"]
    assert {e["kind"] for e in data["ledger"]} == {"earn", "adjust"}
    assert len(data["lots"]) == 2 and data["refunds"] == []
    assert "OTHER-1" not in body and "Иван" not in body and other.phone not in body
    assert "secret-hash" not in body
    # the copy holds what the history shows of an adjustment and the staff's reason behind it
    adjustments = [e for e in data["ledger"] if e["kind"] == "adjust"]
    assert [(e["note"], e["reason"]) for e in adjustments] == [
        ("Added by the store", "Извинения за очередь")
    ]
    assert DataRequest.objects.filter(member=member, kind="export", source="cabinet").count() == 1


def test_delete_my_data_asks_for_an_explicit_confirmation_first(member_client, member):
    page = member_client.get(reverse("cabinet:erase"))
    assert page.status_code == 200
    assert "I understand: my personal data will be erased" in page.content.decode()
    unconfirmed = member_client.post(reverse("cabinet:erase"), {})
    assert unconfirmed.status_code == 400
    member.refresh_from_db()
    assert member.erased_at is None and member.status == "active"


def test_delete_my_data_erases_the_member_and_ends_the_session(member_client, member, bought):
    from tests.loyalty.helpers import assert_ledger_ok

    response = member_client.post(reverse("cabinet:erase"), {"confirm": "on"})
    assert response.status_code == 302 and response["Location"] == reverse("cabinet:login")
    member.refresh_from_db()
    assert member.erased_at is not None and member.first_name == "" and member.status == "closed"
    assert_ledger_ok()
    history = member_client.get(reverse("cabinet:history"))
    assert history.status_code == 302 and history["Location"].startswith(reverse("cabinet:login"))


def test_another_session_of_an_erased_member_is_logged_out(client, member, real_now):
    from customers.services import erase_member

    login_as(client, member)
    erase_member(member_id=member.pk, now=real_now, source="admin")
    response = client.get(reverse("cabinet:profile"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("cabinet:login"))


def test_history_shows_one_row_per_purchase_with_its_amount_however_many_lots_it_used(
    member_client, member, partner, real_now
):
    """A redemption spread over three lots, the points earned and the check are one row."""
    for i in range(3):
        adjust_points(
            member_id=member.pk,
            points=100,
            reason=f"lot {i}",
            staff=None,
            now=real_now - dt.timedelta(days=10 - i),
        )
    record_purchase(
        member_id=member.pk,
        partner=partner,
        external_id="CHK-LOTS",
        lines=[{"sku": "TV", "name": "Телевизор", "price": "1000", "quantity": 1}],
        redeem_points=250,
        now=real_now - dt.timedelta(days=1),
    )
    html = member_client.get(reverse("cabinet:history"), {"kind": "purchase"}).content.decode()
    rows = re.findall(r'<li class="entry entry-purchase">', html)
    assert len(rows) == 1
    assert "Purchase CHK-LOTS at" in html and "1,000.00 ₽" in html
    assert "paid with 250 points" in html
    # 750 ₽ paid with money at 1 point per 50 ₽: 15 points; the row shows the net change.
    assert "earned 15 points" in html and 'entry-points minus">-235<' in html
    html = member_client.get(reverse("cabinet:history")).content.decode()
    assert html.count('class="entry entry-') == 4  # the purchase and the three adjustments


def test_history_rows_read_in_russian_with_declined_point_counts(
    member_client, member, partner, real_now
):
    adjust_points(member_id=member.pk, points=300, reason="x", staff=None, now=real_now)
    record_purchase(
        member_id=member.pk,
        partner=partner,
        external_id="CHK-RU",
        lines=[{"sku": "TV", "name": "Телевизор", "price": "1000", "quantity": 1}],
        redeem_points=251,
        now=real_now,
    )
    member_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ru"
    html = member_client.get(reverse("cabinet:history"), {"kind": "purchase"}).content.decode()
    assert "Покупка" in html and "оплачено 251 баллом" in html
    assert "начислено 14 баллов" in html  # 749 ₽ paid with money, 1 point per 50 ₽


def test_a_desk_sale_without_a_check_number_reads_as_its_own_number(
    member_client, member, partner, real_now, admin_client
):
    """The desk names such a sale `desk-<token>` to keep it unique; the member, the admin and
    the slip all see "№ <id>" instead."""
    purchase = record_purchase(
        member_id=member.pk,
        partner=partner,
        external_id="desk-5630ccca-0b7e-4f5e-9d1a-1c2b3d4e5f60",
        amount="500",
        now=real_now,
    ).purchase
    history = member_client.get(reverse("cabinet:history")).content.decode()
    assert f"Purchase № {purchase.pk} at" in history and "desk-5630" not in history
    page = member_client.get(reverse("cabinet:purchase", args=[purchase.pk])).content.decode()
    assert "desk-5630" not in page
    admin_list = admin_client.get("/admin/loyalty/purchase/", HTTP_ACCEPT_LANGUAGE="en")
    assert f"№ {purchase.pk}" in admin_list.content.decode()
    assert "desk-5630" not in admin_list.content.decode()
