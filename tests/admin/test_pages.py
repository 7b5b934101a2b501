"""Every back-office list opens, and its number of queries does not grow with its rows."""

import datetime as dt

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from loyalty.services import adjust_points, record_purchase, refund_purchase
from loyalty.services.program import clear_cache
from tests.factories import make_member

# Lists from other engineers' apps are checked by their own tests.
MINE = {"customers", "loyalty"}


def _shoppers(count, partner, store, now, start=0):
    for i in range(start, start + count):
        member = make_member(now=now)
        record_purchase(
            member_id=member.pk,
            partner=partner,
            store=store,
            external_id=f"P-{i}",
            lines=[{"sku": "1", "price": "1000"}, {"sku": "2", "price": "500"}],
            now=now,
        )
        adjust_points(member_id=member.pk, points=50, reason="gift", staff=None, now=now)
        purchase = member.purchases.get()
        refund_purchase(
            purchase_id=purchase.pk, external_id=f"R-{i}", amount="500", now=now, partner=partner
        )


def _changelists():
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label in MINE:
            yield model, model_admin


def _queries(client, url) -> int:
    # The program settings are cached for a few seconds: start each count without them, so a
    # slow run whose cache expired between the two rounds counts the same.
    clear_cache()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code in (200, 302), url
    return len(ctx)


@pytest.mark.slow
def test_admin_lists_open_and_do_not_grow_queries_with_rows(admin_client, partner, store, now):
    _shoppers(2, partner, store, now)
    urls = [
        reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist")
        for m, _a in _changelists()
    ]
    small = {url: _queries(admin_client, url) for url in urls}
    _shoppers(8, partner, store, now + dt.timedelta(days=1), start=2)
    large = {url: _queries(admin_client, url) for url in urls}
    assert large == small


def test_change_pages_open_for_every_model(admin_client, partner, store, now):
    _shoppers(1, partner, store, now)
    for model, _model_admin in _changelists():
        obj = model._default_manager.first()
        if obj is None:
            continue
        url = reverse(
            f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk]
        )
        response = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200, url


def test_a_purchase_page_shows_the_balance_it_left(admin_client, partner, now):
    member = make_member(now=now)
    adjust_points(member_id=member.pk, points=777, reason="gift", staff=None, now=now)
    result = record_purchase(
        member_id=member.pk, partner=partner, external_id="P-1", amount="1000.00", now=now
    )
    url = reverse("admin:loyalty_purchase_change", args=[result.purchase.pk])
    page = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Points available after" in page
    assert f'<div class="readonly">{result.account.available}</div>' in page
    ru = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Доступно баллов после покупки" in ru
