"""Exports of the ledger and of the points liability, written as they are read.

A table is a header and an iterator of rows read in chunks by primary key (keyset: each chunk
is a short query, nothing is held open between them), so millions of rows never sit in memory;
the writers turn the rows into CSV or XLSX bytes chunk by chunk for a streaming response.

Members are identified by their number (`member`, the account's id); the card number, phone and
name are added only for staff allowed to take personal data out (`personal`). Times are written
in the program's time zone.
"""

import csv
import datetime as dt
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

from django.db.models import (
    CharField,
    DateTimeField,
    ExpressionWrapper,
    F,
    Func,
    Max,
    Min,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import TruncMonth

from loyalty.models import Program
from loyalty.money import CENT
from loyalty.selectors import last_spend_day, live_lots
from loyalty.services.program import program_zone

CHUNK = 5000
# An XLSX sheet holds 1 048 576 rows: the header and this many rows of data.
XLSX_MAX_ROWS = 1_048_575
EXPIRY_HORIZONS = (30, 90, 180)
PERSONAL_COLUMNS = ("card_number", "phone", "first_name", "last_name")


@dataclass
class Sheet:
    """One table of an export: its name (an XLSX sheet), column names and rows."""

    title: str
    columns: list[str]
    rows: Iterable[tuple]
    count: Callable[[], int] | None = None  # the number of rows, asked before they are read


def _local_text(field: str, zone_name: str) -> Func:
    """A time as text in the program's time zone, written by the database: a datetime made and
    formatted per cell in Python cost five times the rest of a row."""
    in_zone = Func(Value(zone_name), F(field), function="timezone")
    return Func(
        in_zone, Value("YYYY-MM-DD HH24:MI:SS"), function="to_char", output_field=CharField()
    )


def keyset_chunks(queryset, fields: list[str], *, chunk: int = CHUNK) -> Iterator[list[tuple]]:
    """`fields` of the queryset's rows (the first must be "pk"), in primary-key order, a chunk
    per query: `pk > last` each time, so a query is as cheap at the millionth row as at the
    first and no cursor stays open while the rows are sent."""
    queryset = queryset.order_by("pk").values_list(*fields)
    last = None
    while True:
        page = list((queryset if last is None else queryset.filter(pk__gt=last))[:chunk])
        if not page:
            return
        yield page
        last = page[-1][0]


# --- the ledger --------------------------------------------------------------------------------
def ledger_sheet(entries, *, personal: bool, program: Program, upto: int | None) -> Sheet:
    """Ledger entries (a filtered queryset) oldest first: one row per entry with its member,
    kind, signed points, pending change, reason, check, partner, staff and the lot's expiry.
    `upto`: the last entry id to include (the export's snapshot of an append-only table)."""
    member_fields = [f"account__member__{name}" for name in PERSONAL_COLUMNS] if personal else []
    fields = [
        "pk",
        "created_local",
        "account_id",
        *member_fields,
        "kind",
        "points",
        "pending_change",
        "reason",
        "purchase__external_id",
        "partner__name",
        "staff__username",
        "expires_local",
    ]
    columns = [
        "entry",
        "created_at",
        "member",
        *(PERSONAL_COLUMNS if personal else ()),
        "kind",
        "points",
        "pending_change",
        "reason",
        "check_number",
        "partner",
        "staff",
        "lot_expires_at",
    ]
    if upto is not None:
        entries = entries.filter(pk__lte=upto)
    rows = (
        row
        for page in keyset_chunks(
            entries.annotate(
                created_local=_local_text("created_at", program.time_zone),
                expires_local=_local_text("expires_at", program.time_zone),
            ),
            fields,
        )
        for row in page
    )
    return Sheet("ledger", columns, rows, entries.count)


def last_entry_id(entries) -> int | None:
    """The newest entry id of the export: entries written after it are not in the file."""
    return entries.aggregate(top=Max("pk"))["top"]


# --- the liability -----------------------------------------------------------------------------
def liability_sheet(accounts, *, personal: bool, program: Program, now: dt.datetime) -> Sheet:
    """Points outstanding per account (a filtered queryset): available, pending, debt, the
    outstanding points (available + pending − debt) and their value in ₽ at the program's point
    value, the nearest expiry of points held, and the points expiring within 30, 90 and 180
    days of `now`. Accounts with nothing held and no debt are left out."""
    zone = program_zone(program)
    member_fields = [f"member__{name}" for name in PERSONAL_COLUMNS] if personal else []
    fields = ["pk", *member_fields, "available", "pending", "debt"]
    columns = [
        "member",
        *(PERSONAL_COLUMNS if personal else ()),
        "available",
        "pending",
        "debt",
        "outstanding",
        "outstanding_rub",
        "nearest_expiry_day",
        *(f"expiring_{days}_days" for days in EXPIRY_HORIZONS),
    ]
    accounts = accounts.filter(Q(available__gt=0) | Q(pending__gt=0) | Q(debt__gt=0))
    point_value = program.point_value

    def rows():
        for page in keyset_chunks(accounts, fields):
            expiry = _expiry_by_account([row[0] for row in page], now=now)
            for pk, *rest in page:
                available, pending, debt = rest[-3:]
                outstanding = available + pending - debt
                nearest, *within = expiry.get(pk, (None, *(0 for _ in EXPIRY_HORIZONS)))
                yield (
                    pk,
                    *rest[:-3],
                    available,
                    pending,
                    debt,
                    outstanding,
                    (outstanding * point_value).quantize(CENT),
                    _local_date(nearest, zone),
                    *within,
                )

    return Sheet("liabilities", columns, rows(), accounts.count)


def _local_date(expires_at: dt.datetime | None, zone) -> str:
    return "" if expires_at is None else last_spend_day(expires_at, zone).isoformat()


def _expiry_by_account(account_ids: list[int], *, now: dt.datetime) -> dict[int, tuple]:
    """For each account: the nearest expiry of the points it holds and the points expiring
    within each horizon — one query for the chunk."""
    horizons = {
        f"d{days}": Sum("remaining", filter=Q(expires_at__lte=now + dt.timedelta(days=days)))
        for days in EXPIRY_HORIZONS
    }
    rows = (
        live_lots(now=now)
        .filter(account_id__in=account_ids)
        .values("account_id")
        .annotate(nearest=Min("expires_at"), **horizons)
    )
    return {
        row["account_id"]: (row["nearest"], *(row[f"d{days}"] or 0 for days in EXPIRY_HORIZONS))
        for row in rows
    }


def expiry_month_sheet(accounts, *, program: Program, now: dt.datetime) -> Sheet:
    """The points held by the accounts (a filtered queryset) by the month of the last day they
    can be spent (points expiring at midnight on the 1st belong to the month before), nearest
    first, with their value in ₽, and the total."""
    zone = program_zone(program)
    last_day = ExpressionWrapper(
        F("expires_at") - dt.timedelta(microseconds=1), output_field=DateTimeField()
    )
    by_month = (
        live_lots(now=now)
        .filter(account_id__in=accounts.values("pk"))
        .annotate(month=TruncMonth(last_day, tzinfo=zone))
        .values("month")
        .annotate(points=Sum("remaining"))
        .order_by("month")
    )

    def rows():
        total = 0
        for row in by_month:
            total += row["points"]
            month = row["month"].astimezone(zone).strftime("%Y-%m")
            yield (month, row["points"], (row["points"] * program.point_value).quantize(CENT))
        yield ("total", total, (total * program.point_value).quantize(CENT))

    return Sheet("by_expiry_month", ["month", "points", "rub"], rows())


# --- writers -----------------------------------------------------------------------------------
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SIGNED_NUMBER = re.compile(r"[+-]?[0-9][0-9.,]*")


def _csv_cell(value):
    # A text cell a spreadsheet would run as a formula is written as text (CSV injection); a
    # signed number (a phone in E.164) is no formula and stays as it is.
    if (
        isinstance(value, str)
        and value.startswith(_FORMULA_START)
        and not _SIGNED_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


class _Buffer:
    """A file-like object that keeps what is written until it is taken."""

    def __init__(self):
        self.parts: list[bytes] = []

    def write(self, data) -> int:
        self.parts.append(data.encode() if isinstance(data, str) else bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def csv_chunks(sheet: Sheet, *, rows_per_chunk: int = CHUNK) -> Iterator[bytes]:
    """The sheet as UTF-8 CSV with a BOM (so spreadsheet programs read Cyrillic), a chunk of
    bytes per `rows_per_chunk` rows."""
    buffer = _Buffer()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(sheet.columns)
    for i, row in enumerate(sheet.rows, start=1):
        writer.writerow([_csv_cell(value) for value in row])
        if i % rows_per_chunk == 0:
            yield buffer.take()
    yield buffer.take()


# --- XLSX, written as a streamed zip ------------------------------------------------------------
# Not openpyxl: its write-only mode keeps memory flat but finishes the whole file before the first
# byte can be sent, so a million-row export would answer nothing for minutes. Here the sheet XML
# goes into the zip as rows are read and each chunk is sent at once; tests open the result with
# openpyxl.
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# One font, fill, border and cell format: the least a spreadsheet program needs to open the file.
_STYLES = (
    _XML + f'<styleSheet xmlns="{_NS}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _xlsx_cell(value) -> str:
    if isinstance(value, bool) or value is None:
        value = "" if value is None else str(value).lower()
    if isinstance(value, int | Decimal):
        return f"<c><v>{value}</v></c>"
    text = escape(_NOT_XML.sub("", str(value)))
    return f'<c t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _xlsx_row(values) -> str:
    return "<row>" + "".join(_xlsx_cell(v) for v in values) + "</row>"


def _xlsx_package(titles: list[str]) -> dict[str, str]:
    sheets = "".join(
        f'<sheet name="{escape(title[:31])}" sheetId="{i}" r:id="rId{i}"/>'
        for i, title in enumerate(titles, start=1)
    )
    sheet_rels = "".join(
        f'<Relationship Id="rId{i}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(titles) + 1)
    )
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, len(titles) + 1)
    )
    styles_id = len(titles) + 1
    return {
        "[Content_Types].xml": _XML
        + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>' + overrides + "</Types>",
        "_rels/.rels": _XML + f'<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
        f'Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": _XML
        + f'<workbook xmlns="{_NS}" xmlns:r="{_REL_NS}"><sheets>{sheets}</sheets></workbook>',
        "xl/_rels/workbook.xml.rels": _XML
        + f'<Relationships xmlns="{_PKG_REL}">{sheet_rels}<Relationship Id="rId{styles_id}" '
        f'Type="{_REL_NS}/styles" Target="styles.xml"/></Relationships>',
        "xl/styles.xml": _STYLES,
    }


def xlsx_chunks(
    sheets: list[Sheet], *, max_rows: int = XLSX_MAX_ROWS, rows_per_chunk: int = CHUNK
) -> Iterator[bytes]:
    """The sheets as one XLSX workbook, streamed: the zip is written to a buffer emptied after
    every `rows_per_chunk` rows. A sheet holds at most `max_rows` rows under its header (the
    format's limit): when there are more, the last of them says so (the CSV export has them
    all), and the rest are not read."""
    buffer = _Buffer()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as package:
        for name, text in _xlsx_package([sheet.title for sheet in sheets]).items():
            package.writestr(name, text)
        yield buffer.take()
        for number, sheet in enumerate(sheets, start=1):
            with package.open(f"xl/worksheets/sheet{number}.xml", "w", force_zip64=True) as out:
                out.write(f'{_XML}<worksheet xmlns="{_NS}"><sheetData>'.encode())
                out.write(_xlsx_row(sheet.columns).encode())
                rows = iter(sheet.rows)
                for i, row in enumerate(rows, start=1):
                    out.write(_xlsx_row(row).encode())
                    if i % rows_per_chunk == 0:
                        yield buffer.take()
                    if i == max_rows - 1:
                        break
                if next(rows, None) is not None:
                    note = f"This sheet stops at {max_rows - 1} rows: export CSV for all rows."
                    out.write(_xlsx_row([note]).encode())
                out.write(b"</sheetData></worksheet>")
            yield buffer.take()
    yield buffer.take()
