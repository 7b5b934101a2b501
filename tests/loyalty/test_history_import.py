"""History import: members (with the date they joined), purchases (history, no points) and
opening balances (ledger entries) moved from another system; dry runs, the row report,
re-imports, XLSX, chunks."""

import datetime as dt
import io
import zoneinfo
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.utils import translation
from openpyxl import Workbook

from campaigns.models import Award, Campaign, Trigger
from campaigns.triggers import FINDERS
from customers.models import Consent, Member
from loyalty.models import (
    Account,
    HistoryImport,
    LedgerEntry,
    PointLot,
    Purchase,
    TierChange,
)
from loyalty.services import history
from loyalty.services.audit import ledger_problems
from loyalty.services.history import (
    ImportNotReady,
    process_history_import,
    run_for_real,
    start_history_import,
)
from tests.factories import make_campaign, make_member

pytestmark = pytest.mark.django_db
MSK = zoneinfo.ZoneInfo("Europe/Moscow")
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=MSK)
Kind = HistoryImport.Kind


@pytest.fixture(autouse=True)
def _files(settings, tmp_path):
    settings.HISTORY_IMPORT_DIR = tmp_path / "imports"
    with translation.override("en"):
        yield


def job_for(kind, text, *, dry_run=False, name="history.csv", partner=None, content=None):
    upload = ContentFile(content if content is not None else text.encode("utf-8"), name=name)
    return start_history_import(
        kind=kind, file=upload, dry_run=dry_run, partner=partner, language="en", now=NOW
    )


def run(job, **kwargs):
    return process_history_import(job_id=job.pk, now=NOW, **kwargs)


def report(job):
    """(row, column, message) of every failed row, and the rows skipped, as the admin shows."""
    problems = list(job.problems.order_by("row", "id"))
    failed = [(p.row, p.column, p.message) for p in problems if not p.skipped]
    skipped = [p.row for p in problems if p.skipped]
    return failed, skipped


MEMBERS = (
    "phone;email;first_name;last_name;birth_date;card_number;joined_at;"
    "opening_balance;balance_expires_at\n"
    "8 (916) 555-44-33;anna@example.com;Анна;Иванова;17.05.1990;2700000000014;"
    "01.03.2021 10:00;350;2027-06-30\n"
    "+79165554434;;Борис;;;;2022-07-15;;\n"
)


# --- members --------------------------------------------------------------------------------
def test_imported_members_keep_their_join_date_card_and_opening_balance():
    job = run(job_for(Kind.MEMBERS, MEMBERS))

    assert (job.status, job.rows_total, job.rows_imported, job.rows_failed) == ("done", 2, 2, 0)
    anna = Member.objects.get(phone="+79165554433")
    assert anna.created_at == dt.datetime(2021, 3, 1, 10, 0, tzinfo=MSK)
    assert (anna.card_number, anna.channel, anna.first_name) == ("2700000000014", "import", "Анна")
    assert anna.birth_date == dt.date(1990, 5, 17)
    assert anna.consents.filter(kind=Consent.Kind.PERSONAL_DATA).exists()
    account = Account.objects.get(member=anna)
    assert (account.available, account.pending) == (350, 0)
    [entry] = LedgerEntry.objects.filter(account=account)
    assert (entry.kind, entry.points) == (LedgerEntry.Kind.ADJUST, 350)
    assert entry.reason == f"Opening balance (import #{job.pk})"
    assert entry.lot.source == PointLot.Source.IMPORT
    assert entry.lot.expires_at == dt.datetime(2027, 7, 1, tzinfo=MSK)  # end of 30 June
    boris = Member.objects.get(phone="+79165554434")
    assert boris.created_at == dt.datetime(2022, 7, 15, tzinfo=MSK)
    assert Account.objects.get(member=boris).available == 0
    assert ledger_problems() == []


def test_imported_members_get_no_welcome_bonus_nor_welcome_series():
    make_campaign(kind=Campaign.Kind.WELCOME, effect=Campaign.Effect.FIXED, value=100)
    trigger = Trigger.objects.get(kind=Trigger.Kind.WELCOME)  # the default welcome series
    trigger.params = {"steps": [{"day": 0}, {"day": 1}], "max_delay_days": 2}
    trigger.save()
    yesterday = NOW - dt.timedelta(days=1)
    with time_machine.travel(yesterday, tick=False):
        newcomer = make_member(now=yesterday)  # joined Kopilka yesterday: in the series

    with time_machine.travel(NOW, tick=False):
        run(job_for(Kind.MEMBERS, MEMBERS))

    assert Award.objects.count() == 0
    found = {o.member_id for o in FINDERS[trigger.kind](trigger, NOW)}
    assert found == {newcomer.pk}  # the imported members joined years ago


def test_a_member_already_in_kopilka_is_skipped_and_keeps_their_balance():
    run(job_for(Kind.MEMBERS, MEMBERS))

    again = run(job_for(Kind.MEMBERS, MEMBERS))

    assert (again.rows_imported, again.rows_skipped, again.rows_failed) == (0, 2, 0)
    assert report(again) == ([], [2, 3])
    assert Member.objects.count() == 2
    assert Account.objects.get(member__phone="+79165554433").available == 350


def test_member_rows_with_errors_are_reported_by_row_and_column():
    text = (
        "phone,email,joined_at,card_number,consent_personal_data\n"
        "12345,,2021-01-01,,\n"  # row 2: bad phone
        "+79165550001,,31.02.2021,,\n"  # row 3: no such date
        "+79165550002,,2021-01-01,2700000000015,\n"  # row 4: bad check digit
        "+79165550003,,2021-01-01,,0\n"  # row 5: no consent
        "+79165550004,x@example.com,2031-01-01,,\n"  # row 6: joins in the future
        "+79165550005,,2021-01-01,,1\n"  # row 7: fine
    )
    job = run(job_for(Kind.MEMBERS, text))

    failed, _skipped = report(job)
    assert [(row, column) for row, column, _m in failed] == [
        (2, "phone"),
        (3, "joined_at"),
        (4, "card_number"),
        (5, "consent_personal_data"),
        (6, "joined_at"),
    ]
    assert failed[0][2] == "Not a valid phone number."
    assert (job.rows_imported, job.rows_failed) == (1, 5)
    assert list(Member.objects.values_list("phone", flat=True)) == ["+79165550005"]


# --- purchases ------------------------------------------------------------------------------
@pytest.fixture
def anna(db):
    return make_member(phone="+79165554433", now=NOW - dt.timedelta(days=400))


def test_imported_purchases_are_history_counted_for_spend_and_tier_with_no_points(
    anna, partner, store
):
    text = (
        "phone;partner;store;check_number;bought_at;total;paid_with_points\n"
        f"+7 916 555-44-33;{partner.name};{store.name};A-1;2026-06-01 18:40;6 000,00;500\n"
        f"+7 916 555-44-33;{partner.name};;A-2;2026-07-01;5000;\n"
        f"+7 916 555-44-33;{partner.name};;A-0;2024-01-01;100000;\n"  # outside the window
    )
    job = run(job_for(Kind.PURCHASES, text))

    assert (job.rows_imported, job.rows_failed) == (3, 0)
    purchases = Purchase.objects.filter(member=anna).order_by("external_id")
    assert [(p.external_id, p.total, p.discount, p.channel) for p in purchases] == [
        ("A-0", Decimal("100000.00"), Decimal("0.00"), "import"),
        ("A-1", Decimal("6000.00"), Decimal("500.00"), "import"),
        ("A-2", Decimal("5000.00"), Decimal("0.00"), "import"),
    ]
    assert purchases.get(external_id="A-1").store == store
    assert purchases.get(external_id="A-1").occurred_at == dt.datetime(
        2026, 6, 1, 18, 40, tzinfo=MSK
    )
    account = Account.objects.get(member=anna)
    assert account.purchases_count == 3
    assert account.lifetime_spend == Decimal("110500.00")
    assert (account.available, account.pending, account.lifetime_earned) == (0, 0, 0)
    assert not LedgerEntry.objects.filter(account=account).exists()
    # 5 500 + 5 000 paid in the last 12 months: silver (10 000), not gold (the old check).
    assert account.tier.code == "silver"
    assert TierChange.objects.filter(account=account, reason=TierChange.Reason.UPGRADE).exists()
    assert ledger_problems() == []


def test_purchase_rows_with_errors_are_reported_and_the_rest_imported(anna, partner):
    text = (
        "card_number,phone,check_number,bought_at,total\n"
        f"{anna.card_number},,B-1,2026-05-01,100\n"  # row 2: fine, by card
        ",+79990000000,B-2,2026-05-01,100\n"  # row 3: no such member
        f"{anna.card_number},,B-3,yesterday,100\n"  # row 4: bad date
        f"{anna.card_number},,B-4,2026-05-01,-5\n"  # row 5: negative total
        f"{anna.card_number},,B-1,2026-05-02,200\n"  # row 6: the same check as row 2
        f",{anna.phone},B-6,2026-05-01,0\n"  # row 7: zero total
        ",,B-7,2026-05-01,10\n"  # row 8: no member given
    )
    job = run(job_for(Kind.PURCHASES, text, partner=partner))

    failed, skipped = report(job)
    assert [(row, column) for row, column, _m in failed] == [
        (3, "phone"),
        (4, "bought_at"),
        (5, "total"),
        (6, "check_number"),
        (7, "total"),
        (8, "phone"),
    ]
    assert failed[0][2] == "No member with this phone or card."
    assert failed[2][2] == "Must not be negative."
    assert failed[3][2] == "The same check number is on row 2."
    assert skipped == []
    assert (job.rows_total, job.rows_imported, job.rows_failed) == (7, 1, 6)
    assert list(Purchase.objects.values_list("external_id", flat=True)) == ["B-1"]


def test_reimporting_purchases_skips_the_checks_already_recorded(anna, partner):
    text = (
        "phone,check_number,bought_at,total\n"
        f"{anna.phone},C-1,2026-05-01,100\n"
        f"{anna.phone},C-2,2026-05-01,200\n"
    )
    run(job_for(Kind.PURCHASES, text, partner=partner))
    more = text + f"{anna.phone},C-3,2026-05-02,300\n"

    again = run(job_for(Kind.PURCHASES, more, partner=partner))

    assert (again.status, again.rows_imported, again.rows_skipped, again.rows_failed) == (
        "done",
        1,
        2,
        0,
    )
    assert report(again)[1] == [2, 3]
    account = Account.objects.get(member=anna)
    assert (account.purchases_count, account.lifetime_spend) == (3, Decimal("600.00"))
    assert ledger_problems() == []


def test_a_partner_named_nowhere_is_a_row_error(anna):
    job = run(
        job_for(
            Kind.PURCHASES, f"phone,check_number,bought_at,total\n{anna.phone},1,2026-01-01,5\n"
        )
    )
    assert report(job)[0] == [(2, "partner", "Name the partner (or choose one for the file).")]


# --- opening balances -----------------------------------------------------------------------
def test_opening_balances_become_adjustments_with_their_own_lots_and_pass_the_audit(anna):
    boris = make_member(now=NOW - dt.timedelta(days=10))
    text = (
        "phone,card_number,points,expires_at\n"
        f"{anna.phone},,120,2027-01-31\n"
        f",{boris.card_number},80,\n"
    )
    job = run(job_for(Kind.BALANCES, text))

    assert (job.rows_imported, job.rows_failed) == (2, 0)
    lot = PointLot.objects.get(account_id=anna.pk)
    assert (lot.points, lot.remaining, lot.source) == (120, 120, PointLot.Source.IMPORT)
    assert lot.expires_at == dt.datetime(2027, 2, 1, tzinfo=MSK)
    boris_lot = PointLot.objects.get(account_id=boris.pk)
    assert boris_lot.expires_at == dt.datetime(2027, 6, 2, tzinfo=MSK)  # the program's 6 months
    assert Account.objects.get(member=boris).available == 80
    assert set(LedgerEntry.objects.values_list("reason", flat=True)) == {
        f"Opening balance (import #{job.pk})"
    }
    assert ledger_problems() == []

    again = run(job_for(Kind.BALANCES, text))
    assert (again.rows_imported, again.rows_skipped) == (0, 2)
    assert Account.objects.get(member=anna).available == 120


def test_balance_rows_with_errors(anna):
    text = (
        "phone,points,expires_at\n"
        f"{anna.phone},-5,\n"
        f"{anna.phone},10,2020-01-01\n"
        f"{anna.phone},1.5,\n"
        "+79990000000,10,\n"
        f"{anna.phone},10,\n"
        f"{anna.phone},20,\n"
    )
    job = run(job_for(Kind.BALANCES, text))
    assert [(r, c) for r, c, _m in report(job)[0]] == [
        (2, "points"),
        (3, "expires_at"),
        (4, "points"),
        (5, "phone"),
        (6, ""),
        (7, ""),
    ]
    assert not PointLot.objects.exists()


# --- dry runs, files, chunks ----------------------------------------------------------------
def test_a_dry_run_checks_every_row_and_writes_nothing(anna, partner):
    members = job_for(Kind.MEMBERS, MEMBERS, dry_run=True)
    purchases = job_for(
        Kind.PURCHASES,
        f"phone,check_number,bought_at,total\n{anna.phone},D-1,2026-05-01,100\n,D-2,x,1\n",
        dry_run=True,
        partner=partner,
    )
    balances = job_for(Kind.BALANCES, f"phone,points\n{anna.phone},100\n", dry_run=True)

    results = [run(job) for job in (members, purchases, balances)]

    counts = [(j.rows_imported, j.rows_skipped, j.rows_failed) for j in results]
    assert counts == [(1, 1, 0), (1, 0, 1), (1, 0, 0)]  # Anna is a member already
    assert Member.objects.count() == 1
    assert not Purchase.objects.exists()
    assert not LedgerEntry.objects.exists()
    assert Account.objects.get(member=anna).purchases_count == 0


def test_a_clean_dry_run_can_be_run_for_real_on_the_same_file():
    checked = run(job_for(Kind.MEMBERS, MEMBERS, dry_run=True))

    real = run(run_for_real(job=checked, now=NOW))

    assert (real.dry_run, real.checked_by, real.rows_imported) == (False, checked, 2)
    assert Member.objects.count() == 2


def test_a_dry_run_with_errors_cannot_be_run_for_real():
    checked = run(job_for(Kind.MEMBERS, "phone,joined_at\nbad,2020-01-01\n", dry_run=True))
    with pytest.raises(ImportNotReady):
        run_for_real(job=checked, now=NOW)


def test_an_xlsx_file_is_read_like_a_csv(anna, partner):
    book = xlsx(
        [
            ["phone", "check_number", "bought_at", "total", "partner"],
            [79165554433, "X-1", dt.datetime(2026, 5, 1, 18, 30), 1234.5, partner.name],
            [anna.phone, "X-2", dt.date(2026, 5, 2), 100, partner.name],
        ]
    )
    job = run(job_for(Kind.PURCHASES, "", name="history.xlsx", content=book))

    assert (job.rows_total, job.rows_imported, job.rows_failed) == (2, 2, 0)
    first = Purchase.objects.get(external_id="X-1")
    assert (first.total, first.occurred_at) == (
        Decimal("1234.50"),
        dt.datetime(2026, 5, 1, 18, 30, tzinfo=MSK),
    )
    assert Purchase.objects.get(external_id="X-2").occurred_at == dt.datetime(
        2026, 5, 2, tzinfo=MSK
    )


def test_a_csv_with_a_bom_and_comma_separators_is_read(anna, partner):
    text = f'\ufeffphone,check_number,bought_at,total\n{anna.phone},Y-1,2026-05-01,"1,5"\n'
    job = run(job_for(Kind.PURCHASES, text, partner=partner))
    assert job.rows_imported == 1
    assert Purchase.objects.get().total == Decimal("1.50")


def test_a_file_missing_a_required_column_fails_the_job_with_the_reason():
    job = run(job_for(Kind.PURCHASES, "phone,total\n+79165554433,5\n"))
    assert job.status == "failed"
    assert "check_number" in job.failure and "bought_at" in job.failure


def test_progress_counters_advance_chunk_by_chunk(anna, partner, monkeypatch):
    rows = "".join(f"{anna.phone},P-{i},2026-05-01,10\n" for i in range(5))
    job = job_for(Kind.PURCHASES, "phone,check_number,bought_at,total\n" + rows, partner=partner)
    seen = []
    real = history._process_chunk

    def observed(job, importer, chunk, *, first_index):
        seen.append(HistoryImport.objects.values_list("rows_processed", "rows_imported").get())
        real(job, importer, chunk, first_index=first_index)

    monkeypatch.setattr(history, "_process_chunk", observed)
    done = run(job, chunk_size=2)

    assert seen == [(0, 0), (2, 2), (4, 4)]
    assert (done.rows_processed, done.rows_imported, done.percent) == (5, 5, 100)


def test_a_job_cut_short_resumes_after_its_last_committed_chunk(anna, partner):
    rows = "".join(f"{anna.phone},R-{i},2026-05-01,10\n" for i in range(4))
    job = job_for(Kind.PURCHASES, "phone,check_number,bought_at,total\n" + rows, partner=partner)
    # As if the worker died after committing the first chunk (rows 2 and 3 of the file).
    HistoryImport.objects.filter(pk=job.pk).update(status="running", rows_processed=2)

    done = run(job, chunk_size=2)

    assert done.rows_processed == 4
    assert sorted(Purchase.objects.values_list("external_id", flat=True)) == ["R-2", "R-3"]


def test_a_finished_job_is_not_run_again(anna, partner):
    job = run(job_for(Kind.BALANCES, f"phone,points\n{anna.phone},10\n"))
    assert run(job) is None
    assert Account.objects.get(member=anna).available == 10


def xlsx(rows) -> bytes:
    """A workbook written by openpyxl, as a spreadsheet program would save it (dates as
    date-formatted numbers, strings shared)."""
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- the admin ------------------------------------------------------------------------------
def staff_client(username, group):
    from django.contrib.auth.models import Group
    from django.test import Client

    from tests.factories import UserFactory

    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=group))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_a_marketer_uploads_checks_with_a_dry_run_then_runs_it_for_real(
    settings, django_capture_on_commit_callbacks
):
    settings.LANGUAGE_CODE = "en"
    marketer = staff_client("importer", "marketer")
    page = marketer.get("/admin/loyalty/historyimport/add/")
    assert page.status_code == 200
    assert b"/admin/loyalty/historyimport/template/members.csv" in page.content

    upload = ContentFile(MEMBERS.encode("utf-8"), name="members.csv")
    with django_capture_on_commit_callbacks(execute=True):
        sent = marketer.post(
            "/admin/loyalty/historyimport/add/",
            {"kind": "members", "file": upload, "dry_run": "on"},
        )
    checked = HistoryImport.objects.get()
    assert sent.status_code == 302 and sent["Location"].endswith(f"/{checked.pk}/change/")
    assert (checked.status, checked.dry_run, checked.rows_imported) == ("done", True, 2)
    assert not Member.objects.exists()
    progress = marketer.get(f"/admin/loyalty/historyimport/{checked.pk}/progress/").json()
    assert (progress["finished"], progress["percent"], progress["rows_failed"]) == (True, 100, 0)
    job_page = marketer.get(sent["Location"])
    assert b'id="run-for-real"' in job_page.content
    assert b"backoffice/progress.js" in job_page.content

    with django_capture_on_commit_callbacks(execute=True):
        ran = marketer.post(f"/admin/loyalty/historyimport/{checked.pk}/run/")
    real = HistoryImport.objects.get(dry_run=False)
    assert ran["Location"].endswith(f"/{real.pk}/change/")
    assert (real.status, real.rows_imported, real.checked_by) == ("done", 2, checked)
    assert Member.objects.count() == 2
    assert b'id="run-for-real"' not in marketer.get(ran["Location"]).content


def test_the_job_page_lists_row_errors_and_the_report_downloads_them_all(
    settings, django_capture_on_commit_callbacks
):
    settings.LANGUAGE_CODE = "en"
    marketer = staff_client("importer", "marketer")
    bad = "phone;joined_at\nnope;2021-01-01\n+79165550001;someday\n"
    with django_capture_on_commit_callbacks(execute=True):
        marketer.post(
            "/admin/loyalty/historyimport/add/",
            {"kind": "members", "file": ContentFile(bad.encode(), name="m.csv"), "dry_run": "on"},
        )
    job = HistoryImport.objects.get()
    page = marketer.get(f"/admin/loyalty/historyimport/{job.pk}/change/").content.decode()
    assert "Not a valid phone number." in page
    assert 'id="run-for-real"' not in page
    report_csv = b"".join(
        marketer.get(f"/admin/loyalty/historyimport/{job.pk}/report.csv").streaming_content
    ).decode("utf-8-sig")
    assert report_csv.splitlines()[1:] == [
        "2;phone;Not a valid phone number.;error",
        "3;joined_at;Not a date and time (use 2024-03-31 14:05 or 31.03.2024 14:05).;error",
    ]


def test_a_wrong_file_type_is_a_form_error_not_a_job(settings):
    settings.LANGUAGE_CODE = "en"
    marketer = staff_client("importer", "marketer")
    page = marketer.post(
        "/admin/loyalty/historyimport/add/",
        {"kind": "members", "file": ContentFile(b"x", name="m.pdf"), "dry_run": "on"},
    )
    assert page.status_code == 200
    assert "Choose a .csv or .xlsx file." in page.content.decode()
    assert not HistoryImport.objects.exists()


def test_an_analyst_sees_jobs_read_only():
    checked = run(job_for(Kind.MEMBERS, MEMBERS, dry_run=True))
    analyst = staff_client("analyst", "analyst")

    assert analyst.get("/admin/loyalty/historyimport/").status_code == 200
    page = analyst.get(f"/admin/loyalty/historyimport/{checked.pk}/change/")
    assert page.status_code == 200 and b'id="run-for-real"' not in page.content
    assert analyst.get("/admin/loyalty/historyimport/add/").status_code == 403
    assert analyst.post(f"/admin/loyalty/historyimport/{checked.pk}/run/").status_code == 403
    assert not HistoryImport.objects.filter(dry_run=False).exists()


def test_each_kind_has_a_template_the_import_reads_back():
    marketer = staff_client("importer", "marketer")
    for kind in Kind.values:
        response = marketer.get(f"/admin/loyalty/historyimport/template/{kind}.csv")
        text = response.content.decode("utf-8-sig")
        header = text.splitlines()[0].split(";")
        assert set(history.RESOURCES[kind]().missing_columns(set(header))) == set()


def test_the_documented_samples_import_cleanly_in_order(store):
    samples = Path(__file__).resolve().parents[2] / "docs" / "samples"
    for kind in (Kind.MEMBERS, Kind.PURCHASES, Kind.BALANCES):
        content = (samples / f"history-{kind}.csv").read_bytes()
        job = run(job_for(kind, "", name=f"{kind}.csv", content=content))
        assert (job.status, job.rows_failed, job.rows_skipped) == ("done", 0, 0), report(job)
    assert Purchase.objects.filter(channel="import").count() == 2
    assert ledger_problems() == []


def test_an_unexpected_error_fails_the_job_instead_of_leaving_it_running(anna, monkeypatch):
    def broken(self, chunk):
        raise RuntimeError("database went away")

    monkeypatch.setattr(history.BalanceImporter, "process", broken)
    job = job_for(Kind.BALANCES, f"phone,points\n{anna.phone},10\n")
    with pytest.raises(RuntimeError):
        run(job)
    job.refresh_from_db()
    assert (job.status, job.failure) == ("failed", "The import stopped on an unexpected error.")


def test_a_join_date_can_be_given_and_everyone_else_joins_now():
    from django.utils import timezone

    joined = dt.datetime(2019, 4, 1, 10, 0, tzinfo=MSK)
    kept = Member.objects.create(
        phone="+79165550099",
        card_number="2700000000021",
        referral_code="KEEPDATE",
        created_at=joined,
    )
    before = timezone.now()
    newcomer = make_member()

    assert Member.objects.get(pk=kept.pk).created_at == joined
    assert before <= newcomer.created_at <= timezone.now()
