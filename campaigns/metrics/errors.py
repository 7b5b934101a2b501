from django.utils.translation import gettext_lazy as _

from core.errors import InvalidInput


class WrongPeriod(InvalidInput):
    code = "metrics_wrong_period"
    default_detail = _("The period is not valid.")


class UnknownScope(InvalidInput):
    code = "metrics_unknown_scope"
    default_detail = _("No such partner or store.")
