"""The columns of the three history files and how each cell is read (django-import-export
Resources, fields and widgets): members, purchases, opening balances.

The import service (loyalty.services.history) cleans every row with these fields, a chunk at a
time, and writes the chunk in bulk: import-export's own row loop (`import_data`: an instance,
a diff and a result object per row, a save per row) costs more than the whole write of a
history row, and its report holds every row in memory — too much for 1 000 000 purchases.
The same Resources give the downloadable templates (their headers and an example row).
"""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from customers.cards import is_valid_card_number
from customers.errors import InvalidPhone
from customers.phones import normalize_phone
from loyalty.history_files import text_value

DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y")
DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
)


class RowInvalid(ValueError):
    """A cell that cannot be read; the message is shown in the import report."""


class TextWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        return text_value(value)


class PhoneWidget(widgets.Widget):
    """A phone in any notation, stored in E.164 (the members' own rule)."""

    def clean(self, value, row=None, **kwargs):
        text = text_value(value)
        if not text:
            return ""
        try:
            return normalize_phone(text)
        except InvalidPhone as exc:
            raise RowInvalid(_("Not a valid phone number.")) from exc


class CardWidget(widgets.Widget):
    """A loyalty card number: EAN-13 (13 digits, the last a check digit)."""

    def clean(self, value, row=None, **kwargs):
        text = re.sub(r"[\s-]", "", text_value(value))
        if text and not is_valid_card_number(text):
            raise RowInvalid(_("Not a valid card number (13 digits, EAN-13)."))
        return text


class MoneyWidget(widgets.DecimalWidget):
    """Rubles with kopecks: "1 234,50" and "1234.5" alike; never below zero."""

    def clean(self, value, row=None, **kwargs):
        text = re.sub(r"[\s\u00a0₽]", "", text_value(value)).replace(",", ".")
        if not text:
            return None
        try:
            amount = Decimal(text)
        except InvalidOperation as exc:
            raise RowInvalid(_("Not an amount of money.")) from exc
        if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
            raise RowInvalid(_("Not an amount of money."))
        if amount < 0:
            raise RowInvalid(_("Must not be negative."))
        if amount >= Decimal("1e12"):
            raise RowInvalid(_("Too large an amount."))
        return amount.quantize(Decimal("0.01"))


class PointsWidget(widgets.IntegerWidget):
    """A whole, positive number of points."""

    def clean(self, value, row=None, **kwargs):
        text = re.sub(r"[\s\u00a0]", "", text_value(value))
        if not text:
            return None
        if not re.fullmatch(r"\d+", text):
            raise RowInvalid(_("Enter a whole, positive number of points."))
        points = int(text)
        if points <= 0 or points > 10_000_000:
            raise RowInvalid(_("Enter a whole, positive number of points."))
        return points


class DayWidget(widgets.DateWidget):
    """A date: 2024-03-31 or 31.03.2024 (or a spreadsheet date)."""

    def __init__(self):
        super().__init__()
        self.formats = DATE_FORMATS

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return super().clean(text_value(value), row, **kwargs)
        except ValueError as exc:
            raise RowInvalid(_("Not a date (use 2024-03-31 or 31.03.2024).")) from exc


class MomentWidget(widgets.DateTimeWidget):
    """A date and time (2024-03-31 14:05, 31.03.2024 14:05, ISO 8601 with an offset), or a
    date alone (midnight). Without an offset it is a time in the program's zone: the service
    makes it aware, so it is returned naive here."""

    def __init__(self):
        super().__init__()
        self.formats = DATETIME_FORMATS

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, dt.datetime):
            return value
        if isinstance(value, dt.date):
            return dt.datetime.combine(value, dt.time.min)
        text = text_value(value)
        if not text:
            return None
        for fmt in DATETIME_FORMATS:
            try:
                return dt.datetime.strptime(text, fmt)  # noqa: DTZ007 (zone: the service)
            except ValueError:
                pass
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            pass
        for fmt in DATE_FORMATS:
            try:
                return dt.datetime.strptime(text, fmt)  # noqa: DTZ007 (zone: the service)
            except ValueError:
                pass
        raise RowInvalid(_("Not a date and time (use 2024-03-31 14:05 or 31.03.2024 14:05)."))


class Column(fields.Field):
    """A column of a history file: its name in the header, how a cell is read, whether it must
    be filled, and an example value for the template."""

    def __init__(self, name: str, widget, *, required=False, example=""):
        super().__init__(attribute=name, column_name=name, widget=widget)
        self.required = required
        self.example = example


class HistoryResource(resources.Resource):
    """A history file's columns (subclasses declare them as `Column`s)."""

    def columns(self) -> list[Column]:
        return [f for f in self.fields.values() if isinstance(f, Column)]

    def missing_columns(self, header: set[str]) -> list[str]:
        """Required columns the file's header lacks (one of a group of alternatives is enough:
        see `alternatives`)."""
        missing = []
        for column in self.columns():
            if not column.required or column.column_name in header:
                continue
            missing.append(column.column_name)
        for group in self.alternatives:
            if not header & set(group):
                missing.append(" / ".join(group))
        return missing

    alternatives: tuple[tuple[str, ...], ...] = ()

    def clean_row(self, row: dict) -> tuple[dict, list[tuple[str, str]]]:
        """The row's values by column, and its problems as (column, message)."""
        values, problems = {}, []
        for column in self.columns():
            name = column.column_name
            try:
                value = column.widget.clean(row.get(name, ""), row)
            except RowInvalid as exc:
                problems.append((name, str(exc)))
                continue
            if column.required and value in (None, ""):
                problems.append((name, _("Required.")))
                continue
            values[name] = value
        for group in self.alternatives:
            given = any(values.get(name) for name in group)
            if not given and not any(name in group for name, _msg in problems):
                problems.append((group[0], _("Give the member's phone or card number.")))
        return values, problems

    def template_rows(self) -> list[list[str]]:
        columns = self.columns()
        return [[c.column_name for c in columns], [c.example for c in columns]]


class MemberHistoryResource(HistoryResource):
    phone = Column("phone", PhoneWidget(), required=True, example="+7 916 555-44-33")
    email = Column("email", TextWidget(), example="anna@example.com")
    first_name = Column("first_name", TextWidget(), example="Анна")
    last_name = Column("last_name", TextWidget(), example="Иванова")
    birth_date = Column("birth_date", DayWidget(), example="1990-05-17")
    card_number = Column("card_number", CardWidget(), example="2700000000014")
    joined_at = Column("joined_at", MomentWidget(), required=True, example="2021-03-01 10:00")
    consent_personal_data = Column("consent_personal_data", TextWidget(), example="1")
    consent_marketing_email = Column("consent_marketing_email", TextWidget(), example="1")
    consent_marketing_sms = Column("consent_marketing_sms", TextWidget(), example="0")
    opening_balance = Column("opening_balance", PointsWidget(), example="350")
    balance_expires_at = Column("balance_expires_at", DayWidget(), example="2027-06-30")


class PurchaseHistoryResource(HistoryResource):
    phone = Column("phone", PhoneWidget(), example="+7 916 555-44-33")
    card_number = Column("card_number", CardWidget(), example="")
    partner = Column("partner", TextWidget(), example="")
    store = Column("store", TextWidget(), example="")
    check_number = Column("check_number", TextWidget(), required=True, example="A-000123")
    bought_at = Column("bought_at", MomentWidget(), required=True, example="2024-11-02 18:40")
    total = Column("total", MoneyWidget(), required=True, example="1499.90")
    paid_with_points = Column("paid_with_points", MoneyWidget(), example="0")

    alternatives = (("phone", "card_number"),)


class BalanceHistoryResource(HistoryResource):
    phone = Column("phone", PhoneWidget(), example="+7 916 555-44-33")
    card_number = Column("card_number", CardWidget(), example="")
    points = Column("points", PointsWidget(), required=True, example="350")
    expires_at = Column("expires_at", DayWidget(), example="2027-06-30")

    alternatives = (("phone", "card_number"),)
