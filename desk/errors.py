"""Domain errors shown on desk forms: on the field they name, or on top of the form."""

import re

from django.utils.translation import gettext as _

from customers.errors import DomainError

LINE_FIELD = re.compile(r"^lines\[(\d+)\]")


def show_error(form, exc: DomainError, fields: dict[str, str], codes: dict[str, str] | None = None):
    """Put `exc` on `form`: `fields` maps the service's field names to the form's, `codes`
    maps an error code without fields to the form field it is about."""
    if not exc.fields:
        field = (codes or {}).get(exc.code)
        form.add_error(field if field in form.fields else None, _detail(exc))
        return
    for name, messages in exc.fields.items():
        field = fields.get(name)
        line = LINE_FIELD.match(name)
        for message in messages:
            if line and field is None:
                message = _("Line %(n)s: %(message)s") % {
                    "n": int(line.group(1)) + 1,
                    "message": message,
                }
            form.add_error(field if field in form.fields else None, str(message))


def _detail(exc: DomainError) -> str:
    detail = str(exc.detail)
    if "max_redeem_points" in exc.extra:
        detail += " " + _("At most %(n)s points on this check.") % {
            "n": exc.extra["max_redeem_points"]
        }
    elif "available" in exc.extra:
        detail += " " + _("Available: %(n)s.") % {"n": exc.extra["available"]}
    return detail


def form_errors_json(*forms) -> dict[str, list[str]]:
    """Errors of forms (and formsets) as {field: [messages]}; "__all__" for the form's own."""
    out: dict[str, list[str]] = {}
    for form in forms:
        if hasattr(form, "forms"):  # a formset: its rows' errors, numbered
            for i, row in enumerate(form.forms, start=1):
                for messages in row.errors.values():
                    out.setdefault("lines", []).extend(
                        _("Line %(n)s: %(message)s") % {"n": i, "message": m} for m in messages
                    )
            out.setdefault("lines", []).extend(str(m) for m in form.non_form_errors())
            if not out["lines"]:
                del out["lines"]
            continue
        for field, messages in form.errors.items():
            out.setdefault(field, []).extend(str(m) for m in messages)
    return out
