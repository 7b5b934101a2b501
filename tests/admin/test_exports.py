"""Exports of the ledger and of the points liability from the admin lists: the list's rows with
its filters, streamed as CSV or XLSX, members as numbers for analysts, each export logged."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.http import StreamingHttpResponse
from openpyxl import load_workbook

from customers.models import PersonalDataAccess
from loyalty import exports
from loyalty.models import Account, LedgerEntry
from loyalty.services import adjust_points, record_purchase
from tests.factories import MOSCOW, make_member
from tests.loyalty.helpers import set_program

pytestmark = pytest.mark.django_db

# 01:30 in Moscow is still the day before in UTC: file names carry the program's date.
MOMENT = dt.datetime(2026, 3, 2, 1, 30, tzinfo=MOSCOW)
LEDGER = "/admin/loyalty/ledgerentry/stream-export/ledger"
LIABILITIES = "/admin/loyalty/account/stream-export/liabilities"
BY_MONTH = "/admin/loyalty/account/stream-export/liabilities-by-month"
SHEET_NS = {"s": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def at(year, month, day) -> dt.datetime:
    return dt.datetime(year, month, day, 12, 0, tzinfo=MOSCOW)


@pytest.fixture
def holders(partner):
    """Points lasting 6 months, one point worth 0.50 ₽:
    Anna holds 300 (last day 2026-08-19) and 200 (last day 2026-03-12);
    Boris holds 100 whose last day is 2026-04-30 (they expire at midnight on 1 May);
    Vera holds nothing."""
    set_program(point_value=Decimal("0.50"), points_lifetime_months=6)
    anna = make_member(phone="+79160000001", now=at(2025, 9, 1), first_name="Анна")
    boris = make_member(phone="+79160000002", now=at(2025, 9, 1), first_name="Борис")
    make_member(phone="+79160000003", now=at(2025, 9, 1), first_name="Вера")
    adjust_points(member_id=anna.pk, points=200, reason="old", staff=None, now=at(2025, 9, 12))
    adjust_points(member_id=boris.pk, points=100, reason="old", staff=None, now=at(2025, 10, 31))
    adjust_points(member_id=anna.pk, points=300, reason="gift", staff=None, now=at(2026, 2, 19))
    return anna, boris


def body(response) -> bytes:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content)


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body(response).decode("utf-8-sig"))))


def xlsx_sheets(data: bytes) -> list[list[list[str]]]:
    """Each sheet's rows as text, read with openpyxl: what a spreadsheet program opens (money
    is a number there; it is compared here with its two decimals)."""
    book = load_workbook(io.BytesIO(data), read_only=True)

    def text(value) -> str:
        if value is None:
            return ""
        return f"{value:.2f}" if isinstance(value, float) else str(value)

    return [
        [[text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        for sheet in book.worksheets
    ]


# --- the liability ---------------------------------------------------------------------------
def test_the_liability_lists_points_outstanding_per_member_with_their_value_and_expiry(
    analyst_client, holders
):
    anna, boris = holders
    with time_machine.travel(MOMENT, tick=False):
        response = analyst_client.get(f"{LIABILITIES}.csv")

    assert response["Content-Disposition"] == 'attachment; filename="liabilities-2026-03-02.csv"'
    assert csv_rows(response) == [
        {
            "member": str(anna.pk),
            "available": "500",
            "pending": "0",
            "debt": "0",
            "outstanding": "500",
            "outstanding_rub": "250.00",
            "nearest_expiry_day": "2026-03-12",
            "expiring_30_days": "200",
            "expiring_90_days": "200",
            "expiring_180_days": "500",
        },
        {
            "member": str(boris.pk),
            "available": "100",
            "pending": "0",
            "debt": "0",
            "outstanding": "100",
            "outstanding_rub": "50.00",
            "nearest_expiry_day": "2026-04-30",
            "expiring_30_days": "0",
            "expiring_90_days": "100",
            "expiring_180_days": "100",
        },
    ]


def test_the_liability_by_expiry_month_counts_points_in_the_month_of_their_last_day(
    analyst_client, holders
):
    with time_machine.travel(MOMENT, tick=False):
        rows = csv_rows(analyst_client.get(f"{BY_MONTH}.csv"))

    assert rows == [
        {"month": "2026-03", "points": "200", "rub": "100.00"},
        {"month": "2026-04", "points": "100", "rub": "50.00"},  # expire at midnight on 1 May
        {"month": "2026-08", "points": "300", "rub": "150.00"},
        {"month": "total", "points": "600", "rub": "300.00"},
    ]


def test_the_liability_follows_the_lists_filters(analyst_client, holders):
    anna, _boris = holders
    with time_machine.travel(MOMENT, tick=False):
        rows = csv_rows(analyst_client.get(f"{LIABILITIES}.csv?available__gte=200"))
    assert [row["member"] for row in rows] == [str(anna.pk)]


def test_the_liability_as_xlsx_has_the_accounts_and_the_months(analyst_client, holders):
    anna, boris = holders
    with time_machine.travel(MOMENT, tick=False):
        response = analyst_client.get(f"{LIABILITIES}.xlsx")

    assert response["Content-Disposition"] == 'attachment; filename="liabilities-2026-03-02.xlsx"'
    accounts, months = xlsx_sheets(body(response))
    assert accounts[0][:6] == [
        "member",
        "available",
        "pending",
        "debt",
        "outstanding",
        "outstanding_rub",
    ]
    assert [row[0] for row in accounts[1:]] == [str(anna.pk), str(boris.pk)]
    assert months[-1] == ["total", "600", "300.00"]


# --- the ledger ------------------------------------------------------------------------------
@pytest.fixture
def ledger(holders, partner, store):
    anna, _boris = holders
    record_purchase(
        member_id=anna.pk,
        partner=partner,
        store=store,
        external_id="CHK-7",
        amount="1000.00",
        now=at(2026, 3, 1),
    )
    return holders


def test_the_ledger_export_has_one_row_per_entry_with_the_lists_filters(analyst_client, ledger):
    anna, _boris = ledger
    with time_machine.travel(MOMENT, tick=False):
        response = analyst_client.get(f"{LEDGER}.csv?kind__exact=earn")

    assert response["Content-Disposition"] == 'attachment; filename="ledger-2026-03-02.csv"'
    earn = LedgerEntry.objects.get(kind="earn")
    assert csv_rows(response) == [
        {
            "entry": str(earn.pk),
            "created_at": "2026-03-01 12:00:00",
            "member": str(anna.pk),
            "kind": "earn",
            "points": str(earn.points),
            "pending_change": "0",
            "reason": earn.reason,
            "check_number": "CHK-7",
            "partner": earn.partner.name if earn.partner else "",
            "staff": "",
            "lot_expires_at": "2026-09-02 00:00:00",
        }
    ]


def test_the_ledger_export_sums_to_the_balances(analyst_client, ledger):
    with time_machine.travel(MOMENT, tick=False):
        rows = csv_rows(analyst_client.get(f"{LEDGER}.csv"))
    assert len(rows) == LedgerEntry.objects.count() == 4
    assert sum(int(row["points"]) for row in rows) == sum(
        a.available + a.pending - a.debt for a in Account.objects.all()
    )


def test_analysts_get_members_as_numbers_only(analyst_client, ledger):
    anna, boris = ledger
    with time_machine.travel(MOMENT, tick=False):
        files = [
            body(analyst_client.get(f"{LEDGER}.csv")).decode("utf-8-sig"),
            body(analyst_client.get(f"{LEDGER}.xlsx")).decode("latin-1"),
            body(analyst_client.get(f"{LIABILITIES}.csv")).decode("utf-8-sig"),
        ]
    for text in files:
        for member in (anna, boris):
            for bit in (member.phone, member.phone[2:], member.card_number, member.first_name):
                assert bit not in text
    assert "card_number" not in files[0] and "phone" not in files[2]


def test_a_marketer_gets_the_members_card_and_phone_and_the_export_is_logged(
    marketer_client, ledger
):
    anna, _boris = ledger
    with time_machine.travel(MOMENT, tick=False):
        rows = csv_rows(marketer_client.get(f"{LEDGER}.csv?kind__exact=earn"))

    assert (rows[0]["card_number"], rows[0]["phone"]) == (anna.card_number, anna.phone)
    log = PersonalDataAccess.objects.get()
    assert (log.user, log.action, log.model) == (
        marketer_client.user,
        "export",
        "loyalty.ledgerentry",
    )
    assert log.row_count == 1
    assert log.filters == {"kind__exact": ["earn"]}
    assert log.file_format == "CSV"
    assert log.columns[:4] == ["entry", "created_at", "member", "card_number"]


def test_an_analysts_export_is_logged_too_with_its_columns(analyst_client, holders):
    with time_machine.travel(MOMENT, tick=False):
        body(analyst_client.get(f"{LIABILITIES}.xlsx"))
    log = PersonalDataAccess.objects.get()
    assert (log.model, log.row_count, log.file_format) == ("loyalty.account", 2, "XLSX")
    assert "phone" not in log.columns


def test_the_lists_link_their_exports_with_the_current_filters(analyst_client, holders):
    page = analyst_client.get("/admin/loyalty/ledgerentry/?kind__exact=adjust")
    assert page.status_code == 200
    text = page.content.decode()
    assert f'{LEDGER}.csv?kind__exact=adjust"' in text
    assert f'{LEDGER}.xlsx?kind__exact=adjust"' in text
    accounts = analyst_client.get("/admin/loyalty/account/").content.decode()
    assert f'{LIABILITIES}.csv"' in accounts and f'{BY_MONTH}.xlsx"' in accounts


def test_staff_without_the_view_permission_get_no_export(client, holders):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="nobody", is_staff=True))
    assert client.get(f"{LEDGER}.csv").status_code == 403


# --- streaming in bounded chunks -------------------------------------------------------------
def test_rows_are_read_a_chunk_per_query_and_written_a_chunk_at_a_time(
    holders, django_assert_num_queries
):
    entries = LedgerEntry.objects.all()
    pages = list(exports.keyset_chunks(entries, ["pk", "points"], chunk=2))
    assert [len(page) for page in pages] == [2, 1]
    with django_assert_num_queries(3):  # two full pages and the empty one that ends it
        list(exports.keyset_chunks(entries, ["pk"], chunk=2))
    sheet = exports.Sheet("t", ["n"], iter([(i,) for i in range(5)]))
    assert len(list(exports.csv_chunks(sheet, rows_per_chunk=2))) == 3


def test_an_xlsx_sheet_stops_at_its_row_limit_and_says_so():
    sheet = exports.Sheet("t", ["n"], iter([(i,) for i in range(10)]))
    data = b"".join(exports.xlsx_chunks([sheet], max_rows=4))
    (rows,) = xlsx_sheets(data)
    assert rows[:4] == [["n"], ["0"], ["1"], ["2"]]
    assert rows[4][0].startswith("This sheet stops at 3 rows")


def test_text_that_a_spreadsheet_would_run_as_a_formula_is_written_as_text():
    sheet = exports.Sheet(
        "t", ["reason", "phone", "points"], iter([("=HYPERLINK(1)", "+79160000001", -5)])
    )
    text = b"".join(exports.csv_chunks(sheet)).decode("utf-8-sig")
    assert text.splitlines()[1] == "'=HYPERLINK(1),+79160000001,-5"
