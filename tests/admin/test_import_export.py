"""The back-office's spreadsheets: CSV and XLSX, columns titled in the admin's language, a file
exported in one language imports in the other, a template to download for each import, and
files dated by the program's calendar, not by UTC."""

import csv
import datetime as dt
import io

import openpyxl
import pytest
import time_machine
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from customers.models import Member
from customers.services import register_member
from loyalty.admin.members import MemberResource
from loyalty.models import Account, Purchase

pytestmark = pytest.mark.django_db

RU = {"HTTP_ACCEPT_LANGUAGE": "ru"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
EXPORT_URL = "/admin/customers/member/export/"
IMPORT_URL = "/admin/customers/member/import/"


def _format_index(model, title: str, *, kind: str = "export") -> str:
    model_admin = admin.site._registry[model]
    formats = getattr(model_admin, f"get_{kind}_formats")()
    return str(next(i for i, f in enumerate(formats) if f().get_title() == title))


def _export(client, title: str, headers) -> bytes:
    data = {"format": _format_index(Member, title), "resource": "0"}
    data |= {f"memberresource_{key}": "on" for key in MemberResource().get_export_order()}
    response = client.post(EXPORT_URL, data, **headers)
    assert response.status_code == 200, response.content[:500]
    return response.content


def _xlsx_rows(content: bytes) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _csv_rows(content: bytes) -> list[list]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def _import_preview(client, name: str, content: bytes, headers):
    title = name.rsplit(".", 1)[1]
    upload = SimpleUploadedFile(name, content)
    response = client.post(
        IMPORT_URL,
        {"import_file": upload, "format": _format_index(Member, title, kind="import")},
        **headers,
    )
    assert response.status_code == 200
    return response.context["result"]


@pytest.fixture
def members(now):
    """Two members who joined through the enrolment of `customers` (no points account), so the
    test can remove them and import them back."""
    anna = register_member(
        phone="+79161112233",
        email="anna@example.com",
        first_name="Анна",
        last_name="Иванова",
        birth_date=dt.date(1990, 5, 17),
        consents={"personal_data": True, "marketing_sms": True},
        channel=Member.Channel.ADMIN,
        source=Member.Channel.ADMIN,
        now=now,
    )
    boris = register_member(
        phone="+79162223344",
        email="",
        first_name="Борис",
        last_name="",
        birth_date=None,
        consents={"personal_data": True},
        channel=Member.Channel.ADMIN,
        source=Member.Channel.ADMIN,
        now=now,
    )
    return [anna, boris]


# --- formats ------------------------------------------------------------------------------------
@pytest.mark.parametrize("model", [Member, Account, Purchase])
def test_exports_are_offered_as_csv_and_xlsx(model):
    model_admin = admin.site._registry[model]
    assert [f().get_title() for f in model_admin.get_export_formats()] == ["csv", "xlsx"]


def test_members_are_imported_from_csv_or_xlsx():
    model_admin = admin.site._registry[Member]
    assert [f().get_title() for f in model_admin.get_import_formats()] == ["csv", "xlsx"]


# --- titled columns ------------------------------------------------------------------------------
def test_an_xlsx_export_in_russian_has_russian_headers(marketer_client, members):
    rows = _xlsx_rows(_export(marketer_client, "xlsx", RU))

    headers = rows[0]
    assert headers[:2] == ["Телефон", "Номер карты"]
    with translation.override("ru"):
        expected = [
            str(MemberResource.column_title(k)) for k in MemberResource().get_export_order()
        ]
    assert headers == expected
    assert "phone" not in headers and "card_number" not in headers
    assert sorted(row[0] for row in rows[1:]) == ["+79161112233", "+79162223344"]


def test_the_export_form_lists_the_columns_by_their_titles(marketer_client, members):
    page = marketer_client.get(EXPORT_URL, **EN).content.decode()

    assert ">Phone</label>" in page
    assert ">Consent to personal data processing</label>" in page
    assert "Consent Personal Data" not in page  # the library's title made of the key
    assert "(consent_personal_data)" not in page


def test_the_import_page_lists_the_importable_columns_by_their_titles(admin_client):
    page = admin_client.get(IMPORT_URL, **EN).content.decode()

    assert "Phone, First name, Last name, E-mail, Birth date" in page
    assert "consent_personal_data" not in page
    assert "Card number" not in page  # given by the program, not imported


# --- round trips ------------------------------------------------------------------------------
@pytest.mark.parametrize("title", ["csv", "xlsx"])
@pytest.mark.parametrize(("export_in", "import_in"), [(RU, RU), (RU, EN), (EN, RU)])
def test_an_exported_file_imports_back_in_either_language(
    admin_client, members, title, export_in, import_in
):
    content = _export(admin_client, title, export_in)
    Member.objects.filter(pk__in=[m.pk for m in members]).delete()

    result = _import_preview(admin_client, f"members.{title}", content, import_in)

    assert not result.has_errors(), [e.error for _line, errs in result.row_errors() for e in errs]
    assert not result.has_validation_errors(), [r.error_dict for r in result.invalid_rows]
    assert result.totals["new"] == 2
    previewed = {row.diff[0] for row in result.valid_rows()}
    assert any("+79161112233" in cell for cell in previewed)
    assert not Member.objects.exists()  # the preview is a dry run


def test_an_imported_xlsx_reads_consents_and_the_birth_date(admin_client, members, now):
    content = _export(admin_client, "xlsx", RU)
    Member.objects.filter(pk__in=[m.pk for m in members]).delete()
    result = MemberResource().import_data(_xlsx_dataset(content), raise_errors=True)

    assert result.totals["new"] == 2
    anna = Member.objects.get(phone="+79161112233")
    assert anna.birth_date == dt.date(1990, 5, 17)
    live = set(anna.consents.filter(withdrawn_at__isnull=True).values_list("kind", flat=True))
    assert live == {"personal_data", "marketing_sms"}


def _xlsx_dataset(content: bytes):
    from import_export.formats.base_formats import XLSX

    return XLSX().create_dataset(content)


def test_row_errors_on_the_import_page_name_the_column_by_its_title(admin_client, members):
    content = _export(admin_client, "csv", EN)  # the members still exist: every row is taken

    result = _import_preview(admin_client, "members.csv", content, EN)

    assert [set(row.error_dict) for row in result.invalid_rows] == [{"Phone"}, {"Phone"}]


# --- templates ----------------------------------------------------------------------------------
def test_the_import_page_links_its_templates(admin_client):
    page = admin_client.get(IMPORT_URL, **EN).content.decode()

    assert reverse("admin:customers_member_import_template", args=["xlsx"]) in page
    assert reverse("admin:customers_member_import_template", args=["csv"]) in page


@pytest.mark.parametrize("title", ["csv", "xlsx"])
def test_the_import_template_has_the_titled_columns_and_an_example_that_imports(
    admin_client, title
):
    url = reverse("admin:customers_member_import_template", args=[title])

    response = admin_client.get(url, **RU)

    assert response.status_code == 200
    assert f"Member-template.{title}" in response["Content-Disposition"]
    rows = _xlsx_rows(response.content) if title == "xlsx" else _csv_rows(response.content)
    assert rows[0][:2] == ["Телефон", "Имя"]
    assert len(rows) == 2  # the headers and one example
    result = _import_preview(admin_client, f"template.{title}", response.content, RU)
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["new"] == 1


def test_a_filled_in_template_imports_on_confirmation(admin_client):
    template = admin_client.get(reverse("admin:customers_member_import_template", args=["xlsx"]))
    upload = SimpleUploadedFile("members.xlsx", template.content)
    preview = admin_client.post(
        IMPORT_URL,
        {"import_file": upload, "format": _format_index(Member, "xlsx", kind="import")},
        **RU,
    )
    confirm = preview.context["confirm_form"].initial

    response = admin_client.post(reverse("admin:customers_member_process_import"), confirm, **RU)

    assert response.status_code == 302
    member = Member.objects.get()
    assert (member.phone, member.first_name, member.birth_date) == (
        "+79161234567",
        "Анна",
        dt.date(1990, 5, 17),
    )
    assert member.channel == Member.Channel.IMPORT
    assert Account.objects.filter(member=member).exists()


def test_staff_who_cannot_import_get_no_template(analyst_client):
    url = reverse("admin:customers_member_import_template", args=["xlsx"])
    assert analyst_client.get(url).status_code == 403


# --- file names ---------------------------------------------------------------------------------
def test_an_export_is_dated_by_the_programs_calendar_not_by_utc(marketer_client, members):
    # 22:30 UTC on the 7th is 01:30 on the 8th in Moscow.
    with time_machine.travel(dt.datetime(2026, 12, 7, 22, 30, tzinfo=dt.UTC), tick=False):
        data = {"format": _format_index(Member, "csv"), "resource": "0"}
        data["memberresource_phone"] = "on"
        response = marketer_client.post(EXPORT_URL, data)

    assert response.status_code == 200
    assert 'filename="Member-2026-12-08.csv"' in response["Content-Disposition"]
