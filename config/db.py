"""A cursor for the plain SQL of the hot paths (API, till): prepared statements on PostgreSQL.

Django's PostgreSQL cursors bind parameters on the client: every call quotes each value into the
statement text, and the server parses and plans the whole statement again. On the hot paths that
was a large share of the CPU of a request, on both sides (docs/PERFORMANCE.md). `hot_cursor()`
gives a cursor that binds parameters on the server instead, so psycopg prepares a statement after
`prepare_threshold` uses (settings: DB_PREPARE_THRESHOLD) and later calls send only the values.
It is still wrapped by Django, so execute wrappers and query logging (assertNumQueries) see its
statements, and errors arrive as django.db errors.

It also reads timestamps with psycopg's own (C) loader: Django registers a pure-Python subclass
of it to pin the time zone, which parsed a timestamp ~20x slower (a lot's two timestamps cost
more than the rest of its row). Django has already set the session's TimeZone to the
connection's zone, so the C loader returns the same aware datetimes. One such cursor serves
all the hot statements of a connection (its rows are read inside the `with` block).

Behind a transaction-pooling PgBouncer older than 1.21, set DB_PREPARE_THRESHOLD to an empty
value: statements are then never prepared (server-side binding still applies), and the
connection option that gives prepared statements generic plans (config/settings.py) is not set.
"""

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper


class _HotCursor(CursorWrapper):
    """Leaves its psycopg cursor open on leaving `with`: the connection's next hot statement
    runs on it again (a new cursor copied the connection's adapters map on each call)."""

    def __exit__(self, type, value, traceback):
        pass


class _HotDebugCursor(CursorDebugWrapper):
    """Also logs a hot statement as written (with %s and its params), since psycopg keeps no
    text of a prepared statement's call for Django to log."""

    def __exit__(self, type, value, traceback):
        pass

    def execute(self, sql, params=None):
        with self.debug_sql(sql, params):
            return super(CursorDebugWrapper, self).execute(sql, params)


def hot_cursor(using: str = DEFAULT_DB_ALIAS):
    """A cursor for one hot statement: execute it and read its rows inside the `with` block
    (the next hot statement on the connection reuses the cursor)."""
    # One lookup of the connection: each attribute read through django.db.connection is a
    # context-local lookup of its own.
    connection = connections[using]
    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw = getattr(connection, "hot_cursor", None)
    if raw is None or raw.closed or raw.connection is not connection.connection:
        import psycopg
        from psycopg.types.datetime import TimestamptzLoader

        raw = psycopg.Cursor(connection.connection)
        raw.adapters.register_loader("timestamptz", TimestamptzLoader)
        connection.hot_cursor = raw
    if connection.queries_logged:
        return _HotDebugCursor(raw, connection)
    return _HotCursor(raw, connection)
