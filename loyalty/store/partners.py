"""The partner API's hot reads: an API key with its partner, found by the key's prefix."""

from psycopg import sql

from config.db import hot_cursor
from loyalty.models import Partner, PartnerAPIKey
from loyalty.store.names import column, table, text

# The key and its partner in one statement. Plain SQL: this runs on every request, and the ORM
# spent ~0.7 ms of CPU building and reading it (measured; docs/PERFORMANCE.md).
_KEY_BY_PREFIX = text(
    sql.SQL(
        "SELECT {k_id}, {k_name}, {k_hashed}, {k_expiry}, {p_id}, {p_name}, {p_active} "
        "FROM {keys} k JOIN {partners} p ON {p_id} = {k_partner} "
        "WHERE {k_prefix} = %s AND NOT {k_revoked}"
    ).format(
        k_id=column(PartnerAPIKey, "pk", "k"),
        k_name=column(PartnerAPIKey, "name", "k"),
        k_hashed=column(PartnerAPIKey, "hashed_key", "k"),
        k_expiry=column(PartnerAPIKey, "expiry_date", "k"),
        p_id=column(Partner, "pk", "p"),
        p_name=column(Partner, "name", "p"),
        p_active=column(Partner, "is_active", "p"),
        keys=table(PartnerAPIKey),
        partners=table(Partner),
        k_partner=column(PartnerAPIKey, "partner", "k"),
        k_prefix=column(PartnerAPIKey, "prefix", "k"),
        k_revoked=column(PartnerAPIKey, "revoked", "k"),
    )
)


def api_key_by_prefix(prefix: str) -> tuple | None:
    """(key id, key name, hashed key, expiry date, partner id, partner name, partner active) of
    the unrevoked key with this prefix, or None."""
    with hot_cursor() as cursor:
        cursor.execute(_KEY_BY_PREFIX, [prefix])
        return cursor.fetchone()


def listen(raw_connection, channel: str) -> None:
    """LISTEN to `channel` on a raw psycopg connection (outside Django's cursor wrappers)."""
    with raw_connection.cursor() as cursor:
        cursor.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
