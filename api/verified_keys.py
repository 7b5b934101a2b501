"""Keys this process has verified, so that a partner's next request skips the key's query.

Checking a key is one indexed read and a hash, but it is one of two statements of a lookup and
one of four of a purchase (docs/PERFORMANCE.md). So a process remembers the keys it verified —
the prefix, the SHA-512 of the whole key, and the row the query gave — and is told by
PostgreSQL when to forget them: triggers on the key and partner tables send a notification
(channel `CHANNEL`, migration loyalty 0008) with every statement that writes them, the
process's database connection LISTENs to it, and any notification empties the memory. So a
revoked key, a changed expiry or a deactivated partner is refused, in every process, from the
first request after the notification reaches the process: PostgreSQL sends it when the change
commits, asynchronously, so it arrives within milliseconds of that commit (a request in that
gap is still served, as it would have been a moment earlier). An expiry date is checked on every
request (the remembered row has it), and nothing is remembered for longer than
`API_KEY_CACHE_SECONDS` either way.

The memory is used only where the notifications can reach it: on PostgreSQL, with a persistent
connection (CONN_MAX_AGE ≠ 0), outside a transaction (a request inside one — a test's, say —
would not see a change committed meanwhile notified), and only as long as the connection that
LISTENs is the one open: the memory belongs to the connection (so to its thread, as Django's
connections do), and a new connection starts with an empty one. Behind a transaction-pooling
PgBouncer (where LISTEN does not work) set API_KEY_CACHE_SECONDS=0.
"""

import hashlib
import hmac
import time

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from loyalty.store.partners import listen

CHANNEL = "kopilka_api_keys"


class Memory:
    """The keys verified on one psycopg connection, which LISTENs to CHANNEL."""

    def __init__(self, raw):
        self.raw = raw
        self.entries: dict[str, tuple[bytes, float, tuple]] = {}
        self.generation = 0  # moves on with every notification

    def forget(self, *_args, **_kwargs) -> None:
        self.entries.clear()
        self.generation += 1


class VerifiedKeys:
    def __init__(self, using: str = DEFAULT_DB_ALIAS):
        self.using = using

    def memory(self) -> Memory | None:
        """The memory of the current connection, when it may be used now, else None."""
        seconds = settings.API_KEY_CACHE_SECONDS
        connection = connections[self.using]
        if not seconds:
            return None
        if connection.settings_dict["CONN_MAX_AGE"] == 0:
            return None
        raw = connection.connection
        if raw is None or raw.closed or connection.in_atomic_block:
            return None
        from psycopg.pq import TransactionStatus

        if raw.info.transaction_status != TransactionStatus.IDLE:
            return None
        memory = getattr(connection, "verified_keys", None)
        if memory is not None and memory.raw is raw:
            return memory
        # A new connection: listen before any key is read, so that no change committed after
        # that read can go unnoticed.
        try:
            listen(raw, CHANNEL)
        except Exception:  # a broken connection: the key's query will say so
            return None
        memory = Memory(raw)
        # Notifications read while a statement runs go to the handler; those that arrive while
        # none runs wait on the socket, read in get().
        raw.add_notify_handler(memory.forget)
        connection.verified_keys = memory
        return memory

    def get(self, prefix: str, key: str) -> tuple[tuple | None, int | None]:
        """(the remembered row of a key, None) — or (None, a token) when the key must be
        queried: pass the token to `remember` with the row; or (None, None) when the memory
        cannot be used now."""
        memory = self.memory()
        if memory is None:
            return None, None
        pgconn = memory.raw.pgconn
        try:
            pgconn.consume_input()
        except Exception:  # a broken connection: the key's query will say so
            memory.forget()
            return None, None
        if pgconn.notifies() is not None:
            while pgconn.notifies() is not None:
                pass
            memory.forget()
            return None, memory.generation
        entry = memory.entries.get(prefix)
        if entry is None:
            return None, memory.generation
        digest, stored_at, row = entry
        if time.monotonic() - stored_at > settings.API_KEY_CACHE_SECONDS:
            del memory.entries[prefix]
            return None, memory.generation
        if not hmac.compare_digest(digest, hashlib.sha512(key.encode()).digest()):
            return None, memory.generation
        return row, None

    def remember(self, prefix: str, key: str, row: tuple, token: int | None) -> None:
        """Remember a key verified against the database, unless a notification came since
        `get` gave the token (the row may predate the change)."""
        memory = self.memory()
        if token is None or memory is None or token != memory.generation:
            return
        memory.entries[prefix] = (hashlib.sha512(key.encode()).digest(), time.monotonic(), row)


verified_keys = VerifiedKeys()
