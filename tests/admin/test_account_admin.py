"""Accounts in the back-office: balances, lots and entries read-only; points change by hand only
through the adjustment form, with a reason, by staff allowed to."""

import datetime as dt

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from loyalty.models import Account, LedgerEntry, PointLot, Tier, TierChange
from loyalty.services import adjust_points, record_purchase


def _adjust_url(member):
    return reverse("admin:loyalty_account_adjust", args=[member.pk])


@pytest.fixture
def shopper(member, partner):
    # Recently, so the points are still live when the adjustment runs at the real time.
    yesterday = timezone.now() - dt.timedelta(days=1)
    record_purchase(
        member_id=member.pk, partner=partner, external_id="A-1", amount="5000", now=yesterday
    )
    return member


def test_the_account_page_shows_balance_lots_and_entries(
    admin_client, shopper, en, django_assert_max_num_queries
):
    url = reverse("admin:loyalty_account_change", args=[shopper.pk])
    with django_assert_max_num_queries(25):
        response = admin_client.get(url, **en)
    page = response.content.decode()
    assert response.status_code == 200
    assert "A-1" in page  # the earn entry links its purchase
    assert _adjust_url(shopper) in page
    assert 'name="_save"' not in page  # nothing on the page itself is saved


def test_the_account_page_shows_only_the_newest_entries(admin_client, member, now, en):
    for i in range(60):
        adjust_points(member_id=member.pk, points=1, reason=f"r{i}", staff=None, now=now)
    url = reverse("admin:loyalty_account_change", args=[member.pk])
    response = admin_client.get(url, **en)
    entries = response.context["inline_admin_formsets"][1]
    assert len(list(entries)) == 50


def test_an_adjustment_writes_one_entry_with_the_reason_and_the_staff_user(
    admin_client, shopper, en
):
    before = Account.objects.get(pk=shopper.pk).available
    response = admin_client.post(
        _adjust_url(shopper), {"points": "150", "reason": "Компенсация за сбой"}, **en
    )
    assert response.status_code == 302
    entry = LedgerEntry.objects.get(account_id=shopper.pk, kind="adjust")
    assert (entry.points, entry.reason) == (150, "Компенсация за сбой")
    assert entry.staff.username == "admin"
    assert Account.objects.get(pk=shopper.pk).available == before + 150


def test_an_adjustment_keeps_the_internal_reason_and_the_text_for_the_member_apart(
    admin_client, shopper, en
):
    response = admin_client.post(
        _adjust_url(shopper),
        {"points": "-20", "reason": "Жалоба: кассир ошибся", "member_text": "Исправление ошибки"},
        **en,
    )
    assert response.status_code == 302
    entry = LedgerEntry.objects.get(account_id=shopper.pk, kind="adjust")
    assert (entry.points, entry.reason, entry.member_text) == (
        -20,
        "Жалоба: кассир ошибся",
        "Исправление ошибки",
    )
    history = admin_client.get(
        reverse("admin:loyalty_account_history", args=[shopper.pk]), **en
    ).content.decode()
    assert "Жалоба: кассир ошибся" in history and "Исправление ошибки" in history


def test_a_too_long_text_for_the_member_is_an_error_at_its_field(admin_client, shopper, en):
    response = admin_client.post(
        _adjust_url(shopper), {"points": "20", "reason": "r", "member_text": "x" * 301}, **en
    )
    assert response.status_code == 200
    assert response.context["form"].errors["member_text"]
    assert 'class="form-row errors field-member_text"' in response.content.decode()
    assert not LedgerEntry.objects.filter(account_id=shopper.pk, kind="adjust").exists()


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_adjustment_without_a_reason_is_refused(admin_client, shopper, en, reason):
    response = admin_client.post(_adjust_url(shopper), {"points": "150", "reason": reason}, **en)
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not LedgerEntry.objects.filter(kind="adjust").exists()


def test_removing_more_points_than_available_is_refused(admin_client, shopper, en):
    response = admin_client.post(_adjust_url(shopper), {"points": "-1000", "reason": "x"}, **en)
    assert "does not have that many points" in response.content.decode()
    assert not LedgerEntry.objects.filter(kind="adjust").exists()


def test_a_zero_adjustment_is_refused(admin_client, shopper, en):
    response = admin_client.post(_adjust_url(shopper), {"points": "0", "reason": "x"}, **en)
    assert "non-zero number of points" in response.content.decode()


def test_pinning_a_tier_lifts_the_member_and_records_who_and_why(admin_client, member, en):
    gold = Tier.objects.get(code="gold")
    url = reverse("admin:loyalty_account_pin_tier", args=[member.pk])
    response = admin_client.post(url, {"tier": gold.pk, "reason": "VIP партнёра"}, **en)
    assert response.status_code == 302
    account = Account.objects.get(pk=member.pk)
    assert (account.tier, account.pinned_tier) == (gold, gold)
    change = TierChange.objects.filter(account=account).latest("id")
    assert (change.reason, change.note, change.staff.username) == ("pin", "VIP партнёра", "admin")


def test_pinning_needs_a_reason(admin_client, member, en):
    url = reverse("admin:loyalty_account_pin_tier", args=[member.pk])
    response = admin_client.post(url, {"tier": "", "reason": ""}, **en)
    assert response.status_code == 200
    assert Account.objects.get(pk=member.pk).pinned_tier is None


def test_a_marketer_may_adjust_and_a_cashier_or_analyst_may_not(
    marketer_client, cashier_client, analyst_client, member, en
):
    data = {"points": "10", "reason": "Подарок"}
    assert marketer_client.post(_adjust_url(member), data, **en).status_code == 302
    entry = LedgerEntry.objects.get(kind="adjust")
    assert entry.staff == marketer_client.user
    refused = cashier_client.post(_adjust_url(member), data, **en)
    assert refused.status_code == 302  # a cashier has no back-office: off to its login
    assert refused["Location"].startswith("/admin/login/")
    assert analyst_client.post(_adjust_url(member), data, **en).status_code == 403
    assert LedgerEntry.objects.filter(kind="adjust").count() == 1


@pytest.mark.parametrize("model", [LedgerEntry, PointLot])
def test_entries_and_lots_cannot_be_added_changed_or_deleted_in_admin(admin_user, model):
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    model_admin = admin.site._registry[model]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    for inline in admin.site._registry[Account].get_inline_instances(request):
        if inline.model is model:
            assert not inline.has_add_permission(request, None)
            assert not inline.has_change_permission(request)
            assert not inline.has_delete_permission(request)


def test_entry_pages_refuse_writes(admin_client, shopper, en):
    entry = LedgerEntry.objects.get(account_id=shopper.pk)
    change = reverse("admin:loyalty_ledgerentry_change", args=[entry.pk])
    page = admin_client.get(change, **en)
    assert page.status_code == 200
    assert 'name="points"' not in page.content.decode()
    assert admin_client.post(change, {"points": "999999"}, **en).status_code == 403
    assert admin_client.get(reverse("admin:loyalty_ledgerentry_add"), **en).status_code == 403
    delete = reverse("admin:loyalty_ledgerentry_delete", args=[entry.pk])
    assert admin_client.post(delete, {"post": "yes"}, **en).status_code == 403
    entry.refresh_from_db()
    assert entry.points == 100


@pytest.mark.parametrize(
    ("language", "spend", "needed"),
    [("ru", "5\xa0000,00 ₽", "5\xa0000,00 ₽"), ("en", "5,000.00 ₽", "5,000.00 ₽")],
)
def test_the_tier_progress_writes_its_rubles_as_the_admins_language_does(
    admin_client, shopper, language, spend, needed
):
    """5 000 ₽ spent of Silver's 10 000 ₽: grouped thousands and the language's decimal mark."""
    url = reverse("admin:loyalty_account_change", args=[shopper.pk])
    page = admin_client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert spend in page and needed in page
    assert "5000.00" not in page
