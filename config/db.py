"""A cursor for the plain SQL of the hot paths (API, till): prepared statements on PostgreSQL.

Django's PostgreSQL cursors bind parameters on the client: every call quotes each value into the
statement text, and the server parses and plans the whole statement again. On the hot paths that
was a large share of the CPU of a request, on both sides (docs/PERFORMANCE.md). `hot_cursor()`
gives a cursor that binds parameters on the server instead, so psycopg prepares a statement after
`prepare_threshold` uses (settings: DB_PREPARE_THRESHOLD) and later calls send only the values.
It is still wrapped by Django, so execute wrappers and query logging (assertNumQueries) see its
statements, and errors arrive as django.db errors. On other databases it is the plain cursor.

It also reads timestamps with psycopg's own (C) loader: Django registers a pure-Python subclass
of it to pin the time zone, which parsed a timestamp ~20x slower (a lot's two timestamps cost
more than the rest of its row). Django has already set the session's TimeZone to the
connection's zone, so the C loader returns the same aware datetimes.

Behind a transaction-pooling PgBouncer older than 1.21, set DB_PREPARE_THRESHOLD to an empty
value: statements are then never prepared (server-side binding still applies).
"""

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.utils import CursorDebugWrapper


class _HotDebugCursor(CursorDebugWrapper):
    """Logs a hot statement as written (with %s and its params), since psycopg keeps no text
    of a prepared statement's call for Django to log."""

    def execute(self, sql, params=None):
        with self.debug_sql(sql, params):
            return super(CursorDebugWrapper, self).execute(sql, params)


def hot_cursor(using: str = DEFAULT_DB_ALIAS):
    # One lookup of the connection: each attribute read through django.db.connection is a
    # context-local lookup of its own.
    connection = connections[using]
    if connection.vendor != "postgresql":
        return connection.cursor()
    import psycopg
    from psycopg.types.datetime import TimestamptzLoader

    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw = psycopg.Cursor(connection.connection)
    raw.adapters.register_loader("timestamptz", TimestamptzLoader)
    if connection.queries_logged:
        return _HotDebugCursor(raw, connection)
    return connection.make_cursor(raw)
