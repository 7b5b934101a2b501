"""Staff roles match the jobs: a cashier works only at the desk, an analyst reads program figures
without members' personal data, and every export of personal data is allowed only to staff who
may take it out and is logged."""

import csv
import importlib
import io

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from import_export.admin import ExportMixin

from customers.admin import PersonalDataExportMixin
from customers.models import PersonalDataAccess
from loyalty.models import Account, Refund
from loyalty.selectors import staff_store
from loyalty.services import adjust_points, record_purchase, refund_purchase
from tests.factories import UserFactory, make_member

pytestmark = pytest.mark.django_db

PHONE = "+79161234567"


@pytest.fixture
def shopper(partner, store, now):
    member = make_member(phone=PHONE, now=now, first_name="Ольга", email="olga@example.com")
    adjust_points(member_id=member.pk, points=300, reason="gift", staff=None, now=now)
    result = record_purchase(
        member_id=member.pk,
        partner=partner,
        store=store,
        external_id="CHK-1",
        amount="1000.00",
        now=now,
    )
    refund_purchase(
        purchase_id=result.purchase.pk, external_id="RF-1", amount="100", now=now, partner=partner
    )
    return member


def _personal_bits(member) -> list[str]:
    return [member.phone, member.phone[2:], member.card_number, member.email, member.first_name]


def _csv_format_index(model) -> str:
    formats = admin.site._registry[model].get_export_formats()
    return str(next(i for i, f in enumerate(formats) if f().get_title() == "csv"))


# --- the cashier: the desk only -------------------------------------------------------------


def test_the_demo_cashier_cannot_sign_in_to_the_back_office(client, tmp_path, en):
    call_command("seed_demo", members=0, api_key_file=str(tmp_path / "k"), stdout=io.StringIO())
    make_member(phone=PHONE)

    response = client.post(
        "/admin/login/?next=/admin/", {"username": "cashier", "password": "cashier"}, **en
    )

    assert response.status_code == 200
    assert "for a staff account" in response.content.decode()
    assert "_auth_user_id" not in client.session
    for url in ("/admin/", "/admin/customers/member/", "/admin/customers/member/export/"):
        assert client.get(url).status_code == 302, url  # to the login page
    assert client.login(username="cashier", password="cashier")  # the desk's login still works
    assert client.get("/desk/").status_code == 200


def test_a_signed_in_cashier_reaches_no_member_list_and_no_export(cashier_client, shopper):
    for url in (
        "/admin/customers/member/",
        f"/admin/customers/member/{shopper.pk}/change/",
        "/admin/customers/member/export/",
        "/admin/loyalty/account/export/",
        "/admin/loyalty/purchase/",
    ):
        response = cashier_client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/"), url
    assert PersonalDataAccess.objects.count() == 0


def test_the_cashier_group_holds_no_back_office_permissions():
    assert list(Group.objects.get(name="cashier").permissions.all()) == []


def test_an_admin_makes_a_cashier_in_the_user_form_who_works_the_desk(admin_client, store, en):
    added = admin_client.post(
        "/admin/customers/user/add/",
        {
            "username": "kassa7",
            "usable_password": "true",
            "password1": "Till-pass-2026",
            "password2": "Till-pass-2026",
        },
        **en,
    )
    assert added.status_code == 302
    cashier = Group.objects.get(name="cashier")
    user = cashier.user_set.model.objects.get(username="kassa7")
    form = {
        "username": "kassa7",
        "is_active": "on",
        "groups": [str(cashier.pk)],
        # The store a cashier works at: loyalty's inline on the user page.
        "store_assignment-TOTAL_FORMS": "1",
        "store_assignment-INITIAL_FORMS": "0",
        "store_assignment-0-store": str(store.pk),
        "date_joined_0": "2026-12-01",
        "date_joined_1": "10:00:00",
    }
    url = f"/admin/customers/user/{user.pk}/change/"

    refused = admin_client.post(url, {**form, "is_staff": "on"}, **en)
    assert refused.status_code == 200
    assert "A cashier works only at the cashier desk" in refused.content.decode()

    assert admin_client.post(url, form, **en).status_code == 302
    user.refresh_from_db()
    assert (user.is_staff, staff_store(user)) == (False, store)
    desk = Client()
    desk.post("/desk/login/", {"username": "kassa7", "password": "Till-pass-2026"})
    assert desk.get("/desk/").status_code == 200
    assert desk.get("/admin/").status_code == 302


# --- the migration on an existing install ---------------------------------------------------


def test_the_roles_migration_strips_an_existing_cashier_group_and_staff_status(store):
    roles = importlib.import_module("customers.migrations.0006_staff_roles")
    cashier_group = Group.objects.get(name="cashier")
    old = Permission.objects.filter(
        codename__in=["view_member", "view_consent", "view_account", "view_purchase"]
    )
    cashier_group.permissions.set(old)
    desk_only = UserFactory(username="old-kassa", is_staff=True, store=store)
    desk_only.groups.add(cashier_group)
    also_marketer = UserFactory(username="kassa-and-marketer", is_staff=True)
    also_marketer.groups.add(cashier_group, Group.objects.get(name="marketer"))
    Group.objects.filter(name="analyst").delete()

    state = MigrationExecutor(connection).loader.project_state(("customers", "0006_staff_roles"))
    roles.apply_roles(state.apps, None)

    assert list(cashier_group.permissions.all()) == []
    desk_only.refresh_from_db()
    also_marketer.refresh_from_db()
    assert desk_only.is_staff is False  # no back-office any more, the desk as before
    assert also_marketer.is_staff is True  # a marketer keeps the back-office
    analyst = Group.objects.get(name="analyst")
    codenames = set(analyst.permissions.values_list("codename", flat=True))
    assert {"view_account", "view_ledgerentry", "view_purchase", "view_tier"} <= codenames
    assert not codenames & {"view_member", "view_consent", "export_personal_data"}
    assert all(code.startswith("view_") for code in codenames)


# --- the analyst: figures without personal data ---------------------------------------------


def test_the_analyst_reads_accounts_and_the_ledger_without_personal_data(analyst_client, shopper):
    pages = [
        "/admin/loyalty/account/",
        f"/admin/loyalty/account/{shopper.pk}/change/",
        f"/admin/loyalty/account/{shopper.pk}/history/",
        "/admin/loyalty/ledgerentry/",
        "/admin/loyalty/pointlot/",
        "/admin/loyalty/purchase/",
        f"/admin/loyalty/purchase/{shopper.purchases.get().pk}/change/",
        "/admin/loyalty/refund/",
        f"/admin/loyalty/refund/{Refund.objects.get().pk}/change/",
        "/admin/loyalty/tierchange/",
        "/admin/loyalty/tier/",
        "/admin/loyalty/partner/",
        "/admin/loyalty/store/",
    ]
    for url in pages:
        response = analyst_client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200, url
        page = response.content.decode()
        for bit in _personal_bits(shopper):
            assert bit not in page, (url, bit)
    listing = analyst_client.get("/admin/loyalty/account/").content.decode()
    assert f"#{shopper.pk}" in listing
    available = Account.objects.get(pk=shopper.pk).available
    assert f'<td class="field-available">{available}</td>' in listing  # the figures are there


def test_the_analyst_cannot_open_members_nor_export_nor_find_a_member_by_phone(
    analyst_client, shopper
):
    assert analyst_client.get("/admin/customers/member/").status_code == 403
    assert analyst_client.get(f"/admin/customers/member/{shopper.pk}/change/").status_code == 403
    for url in (
        "/admin/customers/member/export/",
        "/admin/customers/member/import/",
        "/admin/loyalty/account/export/",
        "/admin/loyalty/purchase/export/",
    ):
        assert analyst_client.get(url).status_code == 403, url
    assert "export_link" not in analyst_client.get("/admin/loyalty/account/").content.decode()
    found = analyst_client.get("/admin/loyalty/ledgerentry/", {"q": "8 916 123-45-67"})
    assert f"#{shopper.pk}" not in found.content.decode()


def test_a_marketer_still_sees_the_member_on_accounts(marketer_client, shopper):
    page = marketer_client.get("/admin/loyalty/account/").content.decode()
    assert shopper.phone in page
    found = marketer_client.get("/admin/loyalty/ledgerentry/", {"q": "8 916 123-45-67"})
    assert shopper.phone in found.content.decode()


# --- exports are logged ---------------------------------------------------------------------


def test_a_member_export_is_logged_with_who_how_many_and_which_columns(
    marketer_client, shopper, now
):
    make_member(now=now)  # a second member, filtered out below
    url = "/admin/customers/member/export/?q=%2B79161234567"
    from customers.models import Member

    data = {
        "format": _csv_format_index(Member),
        "resource": "0",
        "memberresource_phone": "on",
        "memberresource_email": "on",
        "memberresource_card_number": "on",
    }

    response = marketer_client.post(url, data)

    assert response.status_code == 200
    _header, *rows = csv.reader(io.StringIO(response.content.decode("utf-8-sig")))
    assert [row[0] for row in rows] == [PHONE]  # headers are titled (test_import_export.py)
    log = PersonalDataAccess.objects.get()
    assert log.user == marketer_client.user
    assert log.username == "marketer-test"
    assert (log.action, log.model, log.resource) == ("export", "customers.member", "MemberResource")
    assert log.row_count == 1
    assert log.columns == ["phone", "card_number", "email"]
    assert log.filters == {"q": [PHONE]}
    assert log.file_format == "csv"


@pytest.mark.parametrize(
    ("path", "model_label"),
    [("loyalty/account", "loyalty.account"), ("loyalty/purchase", "loyalty.purchase")],
)
def test_exports_of_accounts_and_purchases_are_logged_too(
    marketer_client, shopper, path, model_label
):
    from django.apps import apps

    model = apps.get_model(model_label)
    resource = admin.site._registry[model].resource_classes[0].__name__.lower()
    data = {"format": _csv_format_index(model), "resource": "0", f"{resource}_phone": "on"}

    response = marketer_client.post(f"/admin/{path}/export/", data)

    assert response.status_code == 200
    assert PHONE in response.content.decode("utf-8-sig")
    log = PersonalDataAccess.objects.get()
    assert (log.model, log.row_count, log.columns) == (model_label, 1, ["phone"])


def test_every_export_in_the_back_office_goes_through_the_logging_mixin():
    exporting = [a for a in admin.site._registry.values() if isinstance(a, ExportMixin)]
    assert exporting  # members, accounts, purchases
    for model_admin in exporting:
        assert isinstance(model_admin, PersonalDataExportMixin), type(model_admin).__name__


def test_the_export_log_is_read_only_and_shown_to_marketers_only(
    admin_client, marketer_client, analyst_client, shopper
):
    assert (
        marketer_client.post(
            "/admin/customers/member/export/",
            {
                "format": _csv_format_index(type(shopper)),
                "resource": "0",
                "memberresource_phone": "on",
            },
        ).status_code
        == 200
    )
    row = PersonalDataAccess.objects.get()
    log_url = reverse("admin:customers_personaldataaccess_changelist")
    assert "marketer-test" in marketer_client.get(log_url).content.decode()
    row_page = marketer_client.get(f"{log_url}{row.pk}/change/", HTTP_ACCEPT_LANGUAGE="en")
    assert row_page.status_code == 200
    assert "MemberResource" in row_page.content.decode()
    assert admin_client.get(log_url).status_code == 200
    assert analyst_client.get(log_url).status_code == 403
    assert admin_client.get(f"{log_url}add/").status_code == 403
    delete = reverse("admin:customers_personaldataaccess_delete", args=[row.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert PersonalDataAccess.objects.filter(pk=row.pk).exists()
