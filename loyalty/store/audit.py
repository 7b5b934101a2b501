"""The settings pghistory's triggers read to record who changed a tracked row
(loyalty/admin/history.py `audit_context`): set for the database session, cleared with ""."""

from django.db import connection

_SET_CONTEXT = (
    "SELECT set_config('pghistory.context_id', %s, false), "
    "set_config('pghistory.context_metadata', %s, false)"
)


def set_audit_context(context_id: str, metadata: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_SET_CONTEXT, [context_id, metadata])
