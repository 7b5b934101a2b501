"""Staff roles: who may see and take out members' personal data, and the log of what was
taken out.

A cashier (the "cashier" group, no staff status) works only at the desk. Personal data (phone,
e-mail, names, birth date, card number) is visible in the back-office to staff who may view
members (marketers, admins); analysts see program figures with members as bare numbers. Taking
personal data out of the back-office — an export — needs its own permission and is logged.
"""

import datetime as dt
from collections.abc import Mapping, Sequence

from customers.models import PersonalDataAccess, User

CASHIER_GROUP = "cashier"
MARKETER_GROUP = "marketer"
ANALYST_GROUP = "analyst"
VIEW_PERMISSION = "customers.view_member"
EXPORT_PERMISSION = "customers.export_personal_data"


def can_see_personal_data(user) -> bool:
    """Staff who may view members see phones, names and e-mails wherever a member appears."""
    return user.is_active and user.has_perm(VIEW_PERMISSION)


def can_export_personal_data(user) -> bool:
    """Exports carry personal data, so only staff who see it and hold the export permission
    may take them."""
    return can_see_personal_data(user) and user.has_perm(EXPORT_PERMISSION)


def record_personal_data_export(
    *,
    user: User,
    resource: str,
    model: str,
    columns: Sequence[str],
    row_count: int,
    filters: Mapping[str, Sequence[str]],
    selection: Sequence[str],
    file_format: str,
    ip: str | None,
    now: dt.datetime,
) -> PersonalDataAccess:
    """Log one export: who, when, which resource and columns, how many rows, and the list's
    filters or the rows picked by hand. The export is handed out only after this row is saved."""
    return PersonalDataAccess.objects.create(
        user=user,
        username=user.get_username(),
        action=PersonalDataAccess.Action.EXPORT,
        resource=resource,
        model=model,
        row_count=row_count,
        columns=list(columns),
        filters={key: list(values) for key, values in filters.items()},
        selection=[str(pk) for pk in selection],
        file_format=file_format,
        ip=ip or None,
        created_at=now,
    )
