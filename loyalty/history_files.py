"""Reading history files row by row, in constant memory: CSV (UTF-8 with or without a BOM,
`;` or `,` separated, a header row) and XLSX (the first sheet, a header row), the latter with
openpyxl in read-only mode, which streams the sheet instead of loading the workbook.
"""

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator

from openpyxl import load_workbook

XLSX_MAGIC = b"PK\x03\x04"


class UnreadableFile(ValueError):
    """The file is neither a CSV with a header row nor an XLSX workbook."""


def normalize_header(name) -> str:
    return str(name if name is not None else "").strip().lstrip("\ufeff").strip().lower()


def read_rows(handle) -> Iterator[tuple[int, dict]]:
    """Yield (row number as a spreadsheet shows it, {column: value}) for every non-empty row
    after the header; column names are lower-cased and stripped. `handle`: a binary file."""
    head = handle.read(4)
    handle.seek(0)
    rows = _xlsx_rows(handle) if head == XLSX_MAGIC else _csv_rows(handle)
    header = None
    for number, values in rows:
        if header is None:
            header = [normalize_header(v) for v in values]
            if not any(header):
                raise UnreadableFile("The file has no header row.")
            continue
        if not any(str(v).strip() for v in values if v is not None):
            continue
        yield (
            number,
            {name: (values[i] if i < len(values) else "") for i, name in enumerate(header) if name},
        )
    if header is None:
        raise UnreadableFile("The file is empty.")


def count_rows(handle) -> int:
    """How many data rows `read_rows` will yield (one streaming pass)."""
    return sum(1 for _row in read_rows(handle))


# --- CSV ----------------------------------------------------------------------------------------
def _csv_rows(handle) -> Iterator[tuple[int, list]]:
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
    try:
        first = text.readline()
    except UnicodeDecodeError as exc:
        raise UnreadableFile("The file is not UTF-8 text.") from exc
    delimiter = ";" if first.count(";") > first.count(",") else ","
    lines = _chain([first], text)
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        for values in reader:
            yield reader.line_num, values
    except UnicodeDecodeError as exc:
        raise UnreadableFile("The file is not UTF-8 text.") from exc
    except csv.Error as exc:
        raise UnreadableFile(f"Line {reader.line_num}: {exc}") from exc


def _chain(first, rest):
    yield from first
    yield from rest


# --- XLSX ---------------------------------------------------------------------------------------
def _xlsx_rows(handle) -> Iterator[tuple[int, list]]:
    try:
        book = load_workbook(handle, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnreadableFile("The file is not a valid XLSX workbook.") from exc
    try:
        if not book.worksheets:
            raise UnreadableFile("The workbook has no sheet.")
        # Read-only sheets yield every row from the first, gaps included: the count is the
        # row number a spreadsheet shows.
        for number, values in enumerate(book.worksheets[0].iter_rows(values_only=True), 1):
            yield number, [_cell_value(value) for value in values]
    finally:
        book.close()


def _cell_value(value):
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.replace(microsecond=0)
        return value.date() if value.time() == dt.time.min else value
    if isinstance(value, float) and value.is_integer():
        return int(value)  # a phone, a card or points typed as a number stay whole
    return value


def text_value(value) -> str:
    """A cell as text, as a CSV file would have written it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value).strip()
