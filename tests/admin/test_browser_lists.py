"""Every back-office list fits a marketer's 1440 × 900 screen, in Russian and in English, with
the app menu and the filters open and rows of long names, long reasons and big amounts: nothing
runs off the side of the page, and no column of the table hides behind a sideways scroll."""

import datetime as dt

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from campaigns.models import WebhookEndpoint
from customers.models import DataRequest, PersonalDataAccess
from desk.models import DeskActivity
from loyalty.models import Program
from loyalty.services import adjust_points, record_purchase, refund_purchase
from loyalty.services.approvals import request_adjustment
from loyalty.services.guest_checks import record_guest_check
from loyalty.services.program import clear_cache
from tests.factories import PartnerFactory, StoreFactory, UserFactory, make_campaign, make_member

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SCREEN = {"width": 1440, "height": 900}
LONG_REASON = (
    "Компенсация: жалоба клиента на задержку доставки заказа и повреждённую упаковку, "
    "согласовано с руководителем смены"
)


@pytest.fixture
def wide_rows():
    build_wide_rows()


def build_wide_rows() -> None:
    """Rows as wide as real ones get: long names, e-mails, store names and reasons, big amounts,
    long check numbers, in every list the services fill."""
    Program.objects.filter(pk=1).update(approval_threshold=1000)
    clear_cache()
    now = timezone.now() - dt.timedelta(days=2)
    partner = PartnerFactory(name="Гипермаркет «Копилка Маркет Плюс» — сеть магазинов у дома")
    store = StoreFactory(
        partner=partner,
        name="Санкт-Петербург, ТРК «Галерея», Лиговский проспект, 30А, 3-й этаж",
        address="191036, Санкт-Петербург, Лиговский проспект, дом 30, литера А, помещение 3-Н",
    )
    staff = UserFactory(
        username="konstantin.konstantinopolsky-preobrazhensky",
        email="konstantin.konstantinopolsky-preobrazhensky@kopilka-back-office.example.org",
        first_name="Константин",
        last_name="Константинопольский-Преображенский",
        store=store,
    )
    campaign = make_campaign(
        code="december-electronics-weekends",
        name="Двойные баллы на всю бытовую технику и электронику в выходные дни декабря",
        value=3,
    )
    for i in range(4):
        member = make_member(
            now=now,
            first_name="Александра-Виктория",
            last_name=f"Константинопольская-Преображенская{i}",
            email=f"aleksandra.konstantinopolskaya-preobrazhenskaya{i}@mail.example.org",
        )
        adjust_points(member_id=member.pk, points=999, reason=LONG_REASON, staff=staff, now=now)
        purchase = record_purchase(
            member_id=member.pk,
            partner=partner,
            store=store,
            external_id=f"ЛИГ-2026-12-000{i}-КАССА-07-СМЕНА-3-ЧЕК-00012345{i}",
            lines=[
                {"sku": "TV-OLED-77", "name": "Телевизор OLED 77″", "price": "987654.32"},
                {"sku": "CABLE", "name": "Кабель", "price": "1999.90", "quantity": 3},
            ],
            redeem_points=900,
            cashier=staff,
            now=now + dt.timedelta(hours=1),
        ).purchase
        refund_purchase(
            purchase_id=purchase.pk,
            external_id=f"ВОЗВРАТ-{purchase.external_id}",
            amount="123456.78",
            partner=partner,
            now=now + dt.timedelta(hours=2),
        )
        request_adjustment(
            member_id=member.pk, points=50000, reason=LONG_REASON, staff=staff, now=now
        )
        record_guest_check(
            partner=partner,
            store=store,
            external_id=f"ГОСТЬ-2026-12-000{i}-КАССА-07-СМЕНА-3-ЧЕК-00054321{i}",
            total="1234567.89",
            occurred_at=now,
            channel="till",
            cashier=staff,
            now=now,
        )
        DataRequest.objects.create(
            member=member, kind="export", source="admin", staff=staff, created_at=now
        )
        PersonalDataAccess.objects.create(
            user=staff,
            username=staff.username,
            action="export",
            resource="Участники программы лояльности (все поля)",
            model="customers.member",
            row_count=1234567,
            file_format="xlsx",
            ip="2001:db8:85a3:8d3:1319:8a2e:370:7348",
            created_at=now,
        )
        DeskActivity.objects.create(
            user=staff,
            store=store,
            action="lookup",
            query="+7 903 ***-**-03",
            member=member,
            purchase=purchase,
            ip="2001:db8:85a3:8d3:1319:8a2e:370:7348",
            created_at=now,
        )
    WebhookEndpoint.objects.create(
        name="Учётная система франчайзи «Копилка Маркет Плюс» — Северо-Запад",
        url="https://erp.kopilka-market-plus.example.org/api/v2/loyalty/webhooks/incoming?"
        "source=kopilka&region=north-west",
        secret="s",
        secret_rotated_at=now,
        event_types=["purchase.created", "refund.created", "member.created"],
        partner=partner,
        created_at=now,
        updated_at=now,
    )
    assert campaign.pk


def changelist_urls() -> list[str]:
    return sorted(
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
    )


OVERFLOW = """() => {
  const page = document.documentElement;
  const table = document.querySelector('#result_list');
  const results = document.querySelector('#changelist-form .results');
  const filters = document.querySelector('#changelist-filter');
  return {
    page: page.scrollWidth - page.clientWidth,
    table: table ? Math.ceil(table.getBoundingClientRect().right - page.clientWidth) : 0,
    hidden: results ? results.scrollWidth - results.clientWidth : 0,
    filters: filters ? Math.ceil(filters.getBoundingClientRect().right - page.clientWidth) : 0,
    rows: table ? table.tBodies[0].rows.length : 0,
  };
}"""


@pytest.mark.parametrize("language", ["ru", "en"])
def test_every_admin_list_fits_a_1440_px_screen(live_server, page, wide_rows, language):
    """The page never scrolls sideways, the table ends within the screen and shows every column
    without a scrollbar of its own, and the filters stay on the screen."""
    client = Client()
    client.force_login(UserFactory(username="boss", is_superuser=True))
    page.context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": live_server.url,
            },
            {"name": "django_language", "value": language, "url": live_server.url},
        ]
    )
    page.set_viewport_size(SCREEN)
    page.set_default_timeout(15_000)
    too_wide, rows = {}, {}
    for url in changelist_urls():
        response = page.goto(f"{live_server.url}{url}")
        assert response.status == 200, url
        sizes = page.evaluate(OVERFLOW)
        rows[url] = sizes.pop("rows")
        over = {part: px for part, px in sizes.items() if px > 0}
        if over:
            too_wide[url] = over
    report = "; ".join(f"{url} {over}" for url, over in too_wide.items())
    assert not too_wide, f"px beyond a {SCREEN['width']} px screen ({language}): {report}"
    # The long rows were there to be measured.
    for url in ("customers/member", "loyalty/purchase", "loyalty/ledgerentry", "loyalty/refund"):
        assert rows[f"/admin/{url}/"] >= 4, url
