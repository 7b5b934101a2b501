"""Domain errors shown on desk forms: on the field they name, or on top of the form."""

import re

from django.utils.translation import gettext as _

from customers.errors import DomainError

# A line's key in a service's `fields`: lines.0.price (the API's form; lines[0].price is the
# older one refunds still use), or the whole line: lines.0.
LINE_FIELD = re.compile(r"^lines(?:\.(\d+)|\[(\d+)\])(?:\.(\w+))?$")

# The check's `fields` keys and error codes → the check form's fields.
CHECK_FIELDS = {"amount": "total", "redeem_points": "redeem_points", "external_id": "check_number"}
CHECK_CODES = {
    "redeem_limit_exceeded": "redeem_points",
    "insufficient_points": "redeem_points",
    "purchase_exists": "check_number",
    "confirmation_required": "confirmation_code",
    "confirmation_invalid": "confirmation_code",
}


def show_error(
    form,
    exc: DomainError,
    fields: dict[str, str],
    codes: dict[str, str] | None = None,
    *,
    lines=(),
):
    """Put `exc` on `form`: `fields` maps the service's field names to the form's, `codes`
    maps an error code without fields to the form field it is about. A line's messages go on
    its row of `lines` (the line forms in the order the service numbered the lines), next to
    the cell they are about; without such a row, on top of the form, numbered."""
    if not exc.fields:
        field = (codes or {}).get(exc.code)
        form.add_error(field if field in form.fields else None, _detail(exc))
        return
    for name, messages in exc.fields.items():
        field = fields.get(name)
        line = LINE_FIELD.match(name)
        if field is None and line is not None:
            index = int(line.group(1) or line.group(2))
            if index < len(lines):
                row, cell = lines[index], line.group(3)
                for message in messages:
                    row.add_error(cell if cell in row.fields else None, str(message))
                continue
        for message in messages:
            if line and field is None:
                message = _("Line %(n)s: %(message)s") % {
                    "n": int(line.group(1) or line.group(2)) + 1,
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
                for cell, messages in row.errors.items():
                    out.setdefault("lines", []).extend(
                        _line_message(i, row.fields.get(cell), m) for m in messages
                    )
            out.setdefault("lines", []).extend(str(m) for m in form.non_form_errors())
            if not out["lines"]:
                del out["lines"]
            continue
        for field, messages in form.errors.items():
            out.setdefault(field, []).extend(str(m) for m in messages)
    return out


def _line_message(n: int, field, message) -> str:
    if field is None:
        return _("Line %(n)s: %(message)s") % {"n": n, "message": message}
    return _("Line %(n)s, %(field)s: %(message)s") % {
        "n": n,
        "field": field.label,
        "message": message,
    }
