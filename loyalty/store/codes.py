"""The one-time code that lets a purchase spend points, used inside the purchase's statement
budget: one UPDATE that checks and spends it."""

import datetime as dt

from django.db import connection
from psycopg import sql

from customers.models import LoginCode
from loyalty.store.names import column, table, text

_USE_LATEST_CODE = text(
    sql.SQL(
        "UPDATE {codes} SET {used_at} = %s WHERE {id} = ("
        "SELECT {id} FROM {codes} WHERE {target} = %s "
        "ORDER BY {created_at} DESC, {id} DESC LIMIT 1) "
        "AND {used_at} IS NULL AND {expires_at} > %s AND {attempts} < %s AND {code_hash} = %s "
        "RETURNING {id}"
    ).format(
        codes=table(LoginCode),
        used_at=column(LoginCode, "used_at"),
        id=column(LoginCode, "pk"),
        target=column(LoginCode, "target"),
        created_at=column(LoginCode, "created_at"),
        expires_at=column(LoginCode, "expires_at"),
        attempts=column(LoginCode, "attempts"),
        code_hash=column(LoginCode, "code_hash"),
    )
)


def use_latest_code(*, target: str, code_hash: str, max_attempts: int, now: dt.datetime) -> bool:
    """Mark the target's latest code used if its hash is `code_hash` and it is still live
    (unused, unexpired, under `max_attempts` tries); whether it was."""
    with connection.cursor() as cursor:
        cursor.execute(_USE_LATEST_CODE, [now, target, now, max_attempts, code_hash])
        return cursor.fetchone() is not None
