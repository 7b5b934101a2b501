"""The base of every domain error: a stable `code`, a human `detail` and optional `fields`.

Services raise subclasses of `DomainError`; the pages show them as form errors and the partner
API (api.errors, one table there) maps them to HTTP statuses. A domain error knows nothing of
HTTP: the same refusal is a form error at the desk and a 409 in the API.
"""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A rule refused the request; `code` is stable and names the rule, `detail` explains it."""

    code = "invalid"
    default_detail = _("The request is not valid.")

    def __init__(self, detail=None, *, fields: dict | None = None, **extra):
        self.detail = detail if detail is not None else self.default_detail
        self.fields = fields or {}
        self.extra = extra
        super().__init__(str(self.detail))


class InvalidInput(DomainError):
    """The input itself is malformed (a field per problem in `fields`)."""

    code = "invalid_input"
    default_detail = _("Some fields are not valid.")
