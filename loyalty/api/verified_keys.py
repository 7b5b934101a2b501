"""Keys this process has verified, so that a partner's next request skips the key's query.

Checking a key is one indexed read and a hash, but it is one of two statements of a lookup and
one of four of a purchase (docs/PERFORMANCE.md). So a process remembers the keys it verified —
the prefix, the SHA-512 of the whole key, and the row the query gave — and is told by
PostgreSQL when to forget them: triggers on the key and partner tables send a notification
(channel `CHANNEL`, migration loyalty 0008) with every statement that writes them, the
process's database connection LISTENs to it, and any notification empties the memory. So a
revoked key, a changed expiry or a deactivated partner is refused from the first request after
the change commits, in every process, as without the memory. An expiry date is checked on every
request (the remembered row has it), and nothing is remembered for longer than
`API_KEY_CACHE_SECONDS` either way.

The memory is used only where the notifications can reach it: on PostgreSQL, with a persistent
connection (CONN_MAX_AGE ≠ 0), outside a transaction (a request inside one — a test's, say —
would not see a change committed meanwhile notified), and only as long as the connection that
LISTENs is the one open; a new connection starts with an empty memory. Behind a
transaction-pooling PgBouncer (where LISTEN does not work) set API_KEY_CACHE_SECONDS=0.
"""

import hashlib
import hmac
import time

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

CHANNEL = "kopilka_api_keys"


class VerifiedKeys:
    def __init__(self, using: str = DEFAULT_DB_ALIAS):
        self.using = using
        self.entries: dict[str, tuple[bytes, float, tuple]] = {}
        self.listening = None  # the psycopg connection that LISTENs to CHANNEL
        self.generation = 0  # moves on with every notification

    def forget(self, *_args, **_kwargs) -> None:
        self.entries.clear()
        self.generation += 1

    def _usable(self):
        """The open psycopg connection when the memory may be used now, else None."""
        seconds = settings.API_KEY_CACHE_SECONDS
        connection = connections[self.using]
        if not seconds or connection.vendor != "postgresql":
            return None
        if connection.settings_dict["CONN_MAX_AGE"] == 0:
            return None
        raw = connection.connection
        if raw is None or raw.closed or connection.in_atomic_block:
            return None
        from psycopg.pq import TransactionStatus

        if raw.info.transaction_status != TransactionStatus.IDLE:
            return None
        return raw

    def get(self, prefix: str, key: str) -> tuple[tuple | None, int | None]:
        """(the remembered row of a key, None) — or (None, a token) when the key must be
        queried: pass the token to `remember` with the row; or (None, None) when the memory
        cannot be used now."""
        raw = self._usable()
        if raw is None:
            return None, None
        if raw is not self.listening:
            # A new connection: listen before the key is read, so that no change committed
            # after that read can go unnoticed.
            self.forget()
            try:
                with raw.cursor() as cursor:
                    cursor.execute(f"LISTEN {CHANNEL}")
            except Exception:  # a broken connection: the key's query will say so
                return None, None
            # Notifications read while a statement runs go to the handler; those that arrive
            # while none runs wait on the socket, read below.
            raw.add_notify_handler(self.forget)
            self.listening = raw
            return None, self.generation
        pgconn = raw.pgconn
        try:
            pgconn.consume_input()
        except Exception:
            self.forget()
            return None, None
        if pgconn.notifies() is not None:
            while pgconn.notifies() is not None:
                pass
            self.forget()
            return None, self.generation
        entry = self.entries.get(prefix)
        if entry is None:
            return None, self.generation
        digest, stored_at, row = entry
        if time.monotonic() - stored_at > settings.API_KEY_CACHE_SECONDS:
            del self.entries[prefix]
            return None, self.generation
        if not hmac.compare_digest(digest, hashlib.sha512(key.encode()).digest()):
            return None, self.generation
        return row, None

    def remember(self, prefix: str, key: str, row: tuple, token: int | None) -> None:
        """Remember a key verified against the database, unless a notification came since
        `get` gave the token (the row may predate the change)."""
        if token is None or token != self.generation:
            return
        self.entries[prefix] = (hashlib.sha512(key.encode()).digest(), time.monotonic(), row)


verified_keys = VerifiedKeys()
