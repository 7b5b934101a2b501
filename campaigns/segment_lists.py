"""Static segments: a list of members a marketer uploads (phones in any notation or card
numbers, one per row of a CSV, an XLSX sheet or plain text).

Each row is matched to a member by card number (13 digits) or by phone (normalised to E.164 the
way members are stored); rows that match nobody are reported with their line. The list either
replaces the segment's members or is added to them, in one transaction; the day's joined / left
go to the segment's counts over time.
"""

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from xml.etree import ElementTree

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from campaigns.models import Segment, SegmentMember
from campaigns.segments import CHUNK, _add_count, _chunks, _sizes
from core.errors import InvalidInput
from customers.errors import InvalidPhone
from customers.models import Member
from customers.phones import normalize_phone
from loyalty.services.program import get_program, program_zone

MAX_REPORTED = 200  # rows not found listed by line; the rest only counted
MAX_XLSX_BYTES = 64 * 1024 * 1024  # an unpacked sheet larger than this is refused
_SHEET = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
CARD = re.compile(r"\d{13}")


@dataclass
class Uploaded:
    rows: int = 0
    found: int = 0
    added: int = 0
    removed: int = 0
    not_found_count: int = 0
    not_found: list[tuple[int, str]] = field(default_factory=list)  # (line, text)


# --- reading the file ----------------------------------------------------------------------------
def read_rows(name: str, content: bytes) -> list[tuple[int, str]]:
    """The first cell of every non-empty row, with its line number. A first row without a
    digit (a header such as "phone") is skipped."""
    if name.lower().endswith(".xlsx") or content[:4] == b"PK\x03\x04":
        cells = _xlsx_first_cells(content)
    else:
        cells = _text_first_cells(content)
    rows = [(line, text.strip()) for line, text in cells if text and text.strip()]
    if rows and not any(ch.isdigit() for ch in rows[0][1]):
        rows = rows[1:]
    return rows


def _text_first_cells(content: bytes) -> Iterator[tuple[int, str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1251")
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    for line, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        yield line, row[0] if row else ""


def _xlsx_first_cells(content: bytes) -> Iterator[tuple[int, str]]:
    """Column A of the first sheet of an XLSX workbook (shared, inline and number cells)."""
    try:
        book = zipfile.ZipFile(io.BytesIO(content))
        names = set(book.namelist())
        sheet = min(
            (n for n in names if n.startswith("xl/worksheets/sheet") and n.endswith(".xml")),
            default=None,
        )
        if sheet is None:
            raise InvalidInput(_("The file is not a workbook with a sheet of members."))
        shared = []
        if "xl/sharedStrings.xml" in names:
            strings = _parse(book, "xl/sharedStrings.xml")
            shared = ["".join(t.text or "" for t in si.iter(f"{_SHEET}t")) for si in strings]
        root = _parse(book, sheet)
    except (zipfile.BadZipFile, ElementTree.ParseError, KeyError) as exc:
        raise InvalidInput(_("The file is not a readable XLSX workbook.")) from exc
    for row in root.iter(f"{_SHEET}row"):
        line = int(row.get("r", "0"))
        for cell in row.iter(f"{_SHEET}c"):
            if not re.fullmatch(r"A\d+", cell.get("r", "A")):
                continue
            yield line, _cell_text(cell, shared)
            break


def _parse(book: zipfile.ZipFile, name: str):
    """One XML part of the workbook. A part with a DOCTYPE is refused: entity expansion (the
    "billion laughs") needs one, and a workbook never has it. (No openpyxl or defusedxml in the
    project's dependencies; column A of one sheet is all a list needs.)"""
    if book.getinfo(name).file_size > MAX_XLSX_BYTES:
        raise InvalidInput(_("The file is not a workbook with a sheet of members."))
    data = book.read(name)
    if b"<!DOCTYPE" in data.upper():
        raise InvalidInput(_("The file is not a readable XLSX workbook."))
    return ElementTree.fromstring(data)  # noqa: S314 — no DTD, so no entities (see above)


def _cell_text(cell, shared: list[str]) -> str:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        return "".join(t.text or "" for t in cell.iter(f"{_SHEET}t"))
    value = cell.findtext(f"{_SHEET}v") or ""
    if kind == "s":
        return shared[int(value)] if value.isdigit() and int(value) < len(shared) else ""
    if kind == "n" and value:
        try:  # a phone typed as a number: 79123456789 (or 7.9123456789E10)
            return str(int(Decimal(value)))
        except (InvalidOperation, ValueError):
            return value
    return value


# --- matching and storing ------------------------------------------------------------------------
def _keys(text: str) -> tuple[str, str]:
    """("card", number) or ("phone", E.164) for a row; ("", text) when it is neither."""
    compact = re.sub(r"[\s\-]", "", text)
    if CARD.fullmatch(compact):
        return "card", compact
    try:
        return "phone", normalize_phone(text)
    except InvalidPhone:
        return "", text


def _match(rows: list[tuple[int, str]]) -> tuple[set[int], list[tuple[int, str]]]:
    keyed = [(line, text, *_keys(text)) for line, text in rows]
    phones = {value for _l, _t, kind, value in keyed if kind == "phone"}
    cards = {value for _l, _t, kind, value in keyed if kind == "card"}
    by_phone, by_card = {}, {}
    if phones or cards:
        for pk, phone, card in Member.objects.filter(
            Q(phone__in=phones) | Q(card_number__in=cards)
        ).values_list("pk", "phone", "card_number"):
            by_phone[phone], by_card[card] = pk, pk
    found, missing = set(), []
    for line, text, kind, value in keyed:
        pk = (by_card if kind == "card" else by_phone).get(value) if kind else None
        if pk is None:
            missing.append((line, text))
        else:
            found.add(pk)
    return found, missing


def upload_static(
    *, segment: Segment, rows: Iterable[tuple[int, str]], replace: bool, now: dt.datetime
) -> Uploaded:
    """Put the members these rows name into an uploaded-list segment: instead of its members
    (`replace`) or beside them. Rows naming nobody are reported, not fatal."""
    if segment.kind != Segment.Kind.STATIC:
        raise InvalidInput(_("Only an uploaded-list segment takes a list of members."))
    result = Uploaded()
    with transaction.atomic():
        Segment.objects.select_for_update().filter(pk=segment.pk).first()
        kept: set[int] = set()
        for chunk in _chunks(rows, CHUNK):
            result.rows += len(chunk)
            found, missing = _match(chunk)
            result.not_found_count += len(missing)
            room = MAX_REPORTED - len(result.not_found)
            result.not_found += missing[: max(room, 0)]
            new = found - kept
            kept |= found
            there = set(
                SegmentMember.objects.filter(segment=segment, member_id__in=new).values_list(
                    "member_id", flat=True
                )
            )
            SegmentMember.objects.bulk_create(
                [SegmentMember(segment=segment, member_id=pk, since=now) for pk in new - there],
                ignore_conflicts=True,
            )
            result.added += len(new - there)
        result.found = len(kept)
        if replace:
            gone = [
                pk
                for pk in SegmentMember.objects.filter(segment=segment).values_list(
                    "member_id", flat=True
                )
                if pk not in kept
            ]
            for chunk in _chunks(gone, CHUNK):
                SegmentMember.objects.filter(segment=segment, member_id__in=chunk).delete()
            result.removed = len(gone)
        size = _sizes([segment.pk]).get(segment.pk, 0)
        Segment.objects.filter(pk=segment.pk).update(member_count=size, computed_at=now)
        day = now.astimezone(program_zone(get_program())).date()
        _add_count(segment.pk, day, size, result.added, result.removed)
    return result
