"""CSV and XLSX exports of the ledger and of the points liability from their admin lists.

The file holds the rows the list shows — its filters and search — and is streamed as it is
read (loyalty/exports.py), so an export of millions of rows does not sit in memory. Members
appear as numbers; their card number, phone and name are added only for staff allowed to take
personal data out, and every export of member rows is logged (customers.PersonalDataAccess)
before the file is handed out.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect, StreamingHttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.spreadsheet_admin import export_file_name
from customers.staff_access import can_export_personal_data, record_personal_data_export
from loyalty import exports
from loyalty.models import Program
from loyalty.services.program import get_program, program_zone

FORMATS = {
    "csv": ("text/csv; charset=utf-8", "CSV"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX"),
}


@dataclass(frozen=True)
class Export:
    label: str
    file_stem: str
    # (the list's queryset, personal, program, now) → the sheets; CSV takes the first only.
    sheets: Callable[..., list[exports.Sheet]]
    has_members: bool = True


def _ledger(entries, *, personal: bool, program: Program, now: dt.datetime):
    upto = exports.last_entry_id(entries)
    return [exports.ledger_sheet(entries, personal=personal, program=program, upto=upto)]


def _liabilities(accounts, *, personal: bool, program: Program, now: dt.datetime):
    return [
        exports.liability_sheet(accounts, personal=personal, program=program, now=now),
        exports.expiry_month_sheet(accounts, program=program, now=now),
    ]


def _by_month(accounts, *, personal: bool, program: Program, now: dt.datetime):
    return [exports.expiry_month_sheet(accounts, program=program, now=now)]


EXPORTS = {
    "ledger": Export(_("Ledger"), "ledger", _ledger),
    "liabilities": Export(_("Liabilities by account"), "liabilities", _liabilities),
    "liabilities-by-month": Export(
        _("Liabilities by expiry month"), "liabilities-by-month", _by_month, has_members=False
    ),
}


class StreamingExportMixin:
    """Adds streamed CSV/XLSX exports (`stream_exports`, keys of EXPORTS) to an admin list,
    linked above the list with its current filters."""

    stream_exports: tuple[str, ...] = ()
    change_list_template = "admin/loyalty/stream_export_change_list.html"

    def _url_name(self) -> str:
        return f"{self.model._meta.app_label}_{self.model._meta.model_name}_stream_export"

    def get_urls(self):
        return [
            path(
                "stream-export/<str:name>.<str:file_format>",
                self.admin_site.admin_view(self.stream_export_view),
                name=self._url_name(),
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        query = request.GET.urlencode()
        links = []
        for name in self.stream_exports:
            urls = {
                fmt: reverse(f"admin:{self._url_name()}", args=[name, fmt])
                + (f"?{query}" if query else "")
                for fmt in FORMATS
            }
            links.append({"label": EXPORTS[name].label, **urls})
        extra_context = {
            **(extra_context or {}),
            "stream_exports": links,
            "stream_export_members_as_numbers": not can_export_personal_data(request.user),
            "stream_export_xlsx_rows": exports.XLSX_MAX_ROWS - 1,
        }
        return super().changelist_view(request, extra_context)

    def stream_export_view(self, request, name: str, file_format: str):
        """The list's rows as a file: the export `name` in `file_format` (csv or xlsx)."""
        if name not in self.stream_exports or file_format not in FORMATS:
            raise Http404
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            queryset = self.get_changelist_instance(request).get_queryset(request)
        except IncorrectLookupParameters:
            changelist = reverse(
                f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_changelist"
            )
            return HttpResponseRedirect(f"{changelist}?{ERROR_FLAG}=1")
        export = EXPORTS[name]
        now = timezone.now()
        program = get_program()
        personal = export.has_members and can_export_personal_data(request.user)
        sheets = export.sheets(queryset, personal=personal, program=program, now=now)
        content_type, title = FORMATS[file_format]
        if export.has_members:
            first = sheets[0]
            record_personal_data_export(
                user=request.user,
                resource=f"{name} ({first.title})",
                model=self.model._meta.label_lower,
                columns=first.columns,
                row_count=first.count() if first.count else 0,
                filters=dict(request.GET.lists()),
                selection=[],
                file_format=title,
                ip=request.META.get("REMOTE_ADDR"),
                now=now,
            )
        if file_format == "csv":
            chunks = exports.csv_chunks(sheets[0])
        else:
            chunks = exports.xlsx_chunks(sheets)
        response = StreamingHttpResponse(chunks, content_type=content_type)
        name = export_file_name(export.file_stem, file_format, now=now, zone=program_zone(program))
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "private, no-store"
        return response
