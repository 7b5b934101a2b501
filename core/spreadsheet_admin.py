"""The admin side of the back-office's spreadsheets (django-import-export): CSV and XLSX, column
titles in the admin's language on the export form and the import page, an import template to
download, and file names dated by the local calendar.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.urls import path, reverse
from django.utils import timezone
from import_export.admin import ExportMixin, ImportMixin
from import_export.forms import SelectableFieldsExportForm

from core.resources import FORMATS


def export_file_name(stem: str, extension: str, *, now: dt.datetime, zone: dt.tzinfo) -> str:
    """A downloaded file's name: its stem and the day it was made, by the calendar of `zone`
    (the program's time zone), not by UTC — a file made at 01:00 in Moscow on the 8th is
    dated the 8th."""
    return f"{stem}-{now.astimezone(zone):%Y-%m-%d}.{extension}"


def _titled(resource_class, keys) -> list[str]:
    title = getattr(resource_class, "column_title", None)
    return [str(title(key)) if title else key for key in keys]


class TitledExportForm(SelectableFieldsExportForm):
    """The export form's list of columns shows each column's title in the admin's language."""

    def _get_field_label(self, resource, field_name: str):
        field = resource.fields.get(field_name)
        title = getattr(resource, "column_title", None)
        if field is None or title is None:
            return super()._get_field_label(resource, field_name)
        return title(field.column_name)


class SpreadsheetExportMixin(ExportMixin):
    """Exports as CSV or XLSX, columns titled in the admin's language, the file dated by the
    local calendar."""

    formats = FORMATS
    export_form_class = TitledExportForm
    to_encoding = "utf-8-sig"  # a BOM, so spreadsheet programs read Cyrillic in a CSV

    def export_zone(self) -> dt.tzinfo:
        """The time zone whose calendar dates the file (settings.TIME_ZONE, the program's)."""
        return timezone.get_default_timezone()

    def get_export_filename(self, request, queryset, file_format):
        return export_file_name(
            self.model.__name__,
            file_format.get_extension(),
            now=timezone.now(),
            zone=self.export_zone(),
        )

    def init_request_context_data(self, request, form):
        context = super().init_request_context_data(request, form)
        context["fields_list"] = [
            (res.get_display_name(), _titled(res, [f.column_name for f in fields]))
            for res, fields in (
                (res, res(**self.get_export_resource_kwargs(request)).get_user_visible_fields())
                for res in self.get_export_resource_classes(request)
            )
        ]
        return context


class ImportTemplateMixin(ImportMixin):
    """Imports from CSV or XLSX whose headers are in either language, and offers on the import
    page a template to fill in: the importable columns titled in the admin's language and one
    example row, as XLSX or CSV."""

    formats = FORMATS
    import_template_name = "admin/import_export/import_with_template.html"

    def _template_url_name(self) -> str:
        return f"{self.model._meta.app_label}_{self.model._meta.model_name}_import_template"

    def get_urls(self):
        return [
            path(
                "import/template.<str:file_format>",
                self.admin_site.admin_view(self.import_template_view),
                name=self._template_url_name(),
            ),
            *super().get_urls(),
        ]

    def get_import_context_data(self, **kwargs):
        context = super().get_import_context_data(**kwargs)
        context["import_templates"] = [
            (fmt().get_title().upper(), reverse(f"admin:{self._template_url_name()}", args=[ext]))
            for fmt, ext in ((f, f().get_extension()) for f in self.get_import_formats())
        ]
        return context

    def import_template_view(self, request, file_format: str):
        """The import template of the admin's first import resource, in `file_format`."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        formats = {f().get_extension(): f() for f in self.get_import_formats()}
        if file_format not in formats:
            raise Http404
        resource_class = self.get_import_resource_classes(request)[0]
        fmt = formats[file_format]
        data = fmt.export_data(resource_class.import_template())
        if not fmt.is_binary():
            data = data.encode("utf-8-sig")
        response = HttpResponse(data, content_type=fmt.get_content_type())
        name = f"{self.model.__name__}-template.{file_format}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None)
        if context is None:
            return response
        context["fields_list"] = [
            (
                res.get_display_name(),
                _titled(res, [f.column_name for f in res().get_import_fields() if not f.readonly]),
            )
            for res in self.get_import_resource_classes(request)
        ]
        result = context.get("result")
        if result is None:
            return response
        resource_class = self.choose_import_resource_class(context["form"], request)
        for row in result.invalid_rows:
            row.error_dict = {
                _error_key(resource_class, key): errors for key, errors in row.error_dict.items()
            }
        return response


def _error_key(resource_class, key: str) -> str:
    if key in getattr(resource_class, "fields", {}) and hasattr(resource_class, "column_title"):
        return str(resource_class.column_title(resource_class.fields[key].column_name))
    return key
