"""The history import's one batch statement: imported purchases counted on their accounts."""

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from django.db import connection
from psycopg import sql

from loyalty.models import Account
from loyalty.store.names import column, table, text

_COUNT_PURCHASES = text(
    sql.SQL(
        "UPDATE {accounts} AS a SET {count} = {count_a} + t.n, {spend} = {spend_a} + t.s, "
        "{updated_at} = %s FROM unnest(%s::bigint[], %s::integer[], %s::numeric[]) AS t(id, n, s) "
        "WHERE {pk} = t.id RETURNING {pk}, {tier}, {below}, {spend_a}"
    ).format(
        accounts=table(Account),
        count=column(Account, "purchases_count"),
        count_a=column(Account, "purchases_count", "a"),
        spend=column(Account, "lifetime_spend"),
        spend_a=column(Account, "lifetime_spend", "a"),
        updated_at=column(Account, "updated_at"),
        pk=column(Account, "pk", "a"),
        tier=column(Account, "tier", "a"),
        below=column(Account, "below_tier_since", "a"),
    )
)


def count_imported_purchases(
    added: Mapping[int, tuple[int, Decimal]], *, now: dt.datetime
) -> list[tuple[int, int, dt.datetime | None, Decimal]]:
    """Add to each account (by member id) its number of purchases and their money paid, in one
    statement (the caller has locked the accounts); return each account's member id, tier id,
    below-tier-since and new lifetime spend."""
    ids = list(added)
    with connection.cursor() as cursor:
        cursor.execute(
            _COUNT_PURCHASES,
            [
                now,
                ids,
                [added[i][0] for i in ids],
                [added[i][1] for i in ids],
            ],
        )
        return cursor.fetchall()
