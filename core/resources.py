"""Spreadsheets of the back-office (django-import-export): CSV and XLSX, with column headers in
the reader's language.

A column has a stable key (the resource field's `column_name`, e.g. "phone") and a title shown
to people ("Phone" / "Телефон"). Files are written with titles in the active language; a file is
read back whatever language its headers are in — a title in any of the site's languages or the
bare key (files written before the titles existed) — so a file exported in Russian imports in an
English admin and back.
"""

import datetime as dt

import tablib
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.utils import translation
from django.utils.text import capfirst
from import_export import widgets
from import_export.formats.base_formats import CSV, XLSX

# The formats offered for import and export, in the order the admin lists them.
FORMATS = [CSV, XLSX]


def _normal(header) -> str:
    return " ".join(str(header if header is not None else "").split()).casefold()


class SheetDateWidget(widgets.DateWidget):
    """A date column that reads a spreadsheet's date cell (a datetime in XLSX) as a date."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, dt.datetime):
            return value.date()
        return super().clean(value, row=row, **kwargs)


class TitledColumnsMixin:
    """For a django-import-export resource: columns titled in the reader's language.

    `column_titles` maps a column's key to its (lazy, translated) title; a column without one
    takes the verbose name of the model field it reads, else its key. `template_row` is the
    example row of the import template (key → value)."""

    column_titles: dict = {}
    template_row: dict = {}

    # --- titles ---------------------------------------------------------------------------
    @classmethod
    def column_title(cls, key: str):
        """The title of column `key` (lazy: it follows the active language)."""
        if key in cls.column_titles:
            return cls.column_titles[key]
        field = cls.fields.get(key)
        model = getattr(cls._meta, "model", None)
        if field is not None and model is not None and field.attribute:
            try:
                verbose = _model_field(model, field.attribute).verbose_name
            except FieldDoesNotExist:
                return key
            return capfirst(verbose)
        return key

    @classmethod
    def column_key(cls, header) -> str | None:
        """The key of the column a file's header names — its title in any of the site's
        languages, or the key itself — or None when no column has that header."""
        wanted = _normal(header)
        for key in cls.fields:
            column = cls.fields[key].column_name
            if wanted in _aliases(column, cls.column_title(column)):
                return column
        return None

    # --- export -------------------------------------------------------------------------------
    def get_export_headers(self, selected_fields=None):
        return [str(self.column_title(key)) for key in super().get_export_headers(selected_fields)]

    # --- import -------------------------------------------------------------------------------
    def get_diff_headers(self):
        return [str(self.column_title(key)) for key in super().get_diff_headers()]

    def before_import(self, dataset, **kwargs):
        """The file's headers, in whatever language, become the columns' keys."""
        if dataset.headers:
            dataset.headers = [self.column_key(h) or h for h in dataset.headers]
        super().before_import(dataset, **kwargs)

    @classmethod
    def import_template(cls) -> tablib.Dataset:
        """An empty import file: the importable columns titled in the active language and one
        example row."""
        keys = [f.column_name for f in cls().get_import_fields() if not f.readonly]
        dataset = tablib.Dataset(headers=[str(cls.column_title(key)) for key in keys])
        if cls.template_row:
            dataset.append([cls.template_row.get(key, "") for key in keys])
        return dataset


def _aliases(key: str, title) -> set[str]:
    names = {_normal(key)}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            names.add(_normal(title))
    return names


def _model_field(model, path: str):
    """The model field at the end of an attribute path like "member__phone"."""
    *hops, last = path.split("__")
    for hop in hops:
        model = model._meta.get_field(hop).related_model
    return model._meta.get_field(last)
