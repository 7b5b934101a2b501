"""Batch writes of the beat jobs: moved lots with their entries and balances (activation and
burning), and the tier review's compare-and-set of accounts with their tier changes."""

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from django.db import connection
from psycopg import sql

from loyalty.models import Account, LedgerEntry, PointLot, TierChange
from loyalty.store.names import column, columns, table, text

_ENTRY_COLUMNS = columns(
    LedgerEntry,
    [
        "account",
        "kind",
        "points",
        "pending_change",
        "lot",
        "expires_at",
        "created_at",
        "reason",
    ],
)
_INSERT_ENTRIES = text(
    sql.SQL(
        "INSERT INTO {entries} ({columns}) SELECT a, %s, p, pc, l, e, %s, '' FROM unnest("
        "%s::bigint[], %s::integer[], %s::integer[], %s::bigint[], %s::timestamptz[]"
        ") AS t(a, p, pc, l, e)"
    ).format(entries=table(LedgerEntry), columns=_ENTRY_COLUMNS)
)
_UPDATE_BALANCES = text(
    sql.SQL(
        "UPDATE {accounts} AS a SET {available} = t.av, {pending} = t.pe, {updated_at} = %s "
        "FROM unnest(%s::bigint[], %s::integer[], %s::integer[]) AS t(id, av, pe) "
        "WHERE {pk} = t.id"
    ).format(
        accounts=table(Account),
        available=column(Account, "available"),
        pending=column(Account, "pending"),
        updated_at=column(Account, "updated_at"),
        pk=column(Account, "pk", "a"),
    )
)


def write_moved_lots(
    *,
    kind: str,
    lot_ids: list[int],
    lot_changes: Mapping[str, object],
    entries: Sequence[tuple],
    balances: Mapping[int, Sequence[int]],
    now: dt.datetime,
) -> None:
    """Set `lot_changes` (field → value) on the lots, insert the entries of `kind` (rows of
    account id, points, pending change, lot id, expires_at) and write the accounts' new
    [available, pending]: three statements, whatever the batch size."""
    update_lots = sql.SQL("UPDATE {lots} SET {sets} WHERE {pk} = ANY(%s)").format(
        lots=table(PointLot),
        sets=sql.SQL(", ").join(
            sql.SQL("{} = %s").format(column(PointLot, name)) for name in lot_changes
        ),
        pk=column(PointLot, "pk"),
    )
    with connection.cursor() as cursor:
        cursor.execute(text(update_lots), [*lot_changes.values(), lot_ids])
        if entries:
            cursor.execute(_INSERT_ENTRIES, [kind, now, *(list(c) for c in zip(*entries))])
        if balances:
            ids, available, pending = zip(*((pk, b[0], b[1]) for pk, b in balances.items()))
            cursor.execute(_UPDATE_BALANCES, [now, list(ids), list(available), list(pending)])


# An account is written only if its tier state is still what the review read (a purchase or a
# pin since then wins; the UPDATE re-checks the condition on the row's newest version), a
# TierChange is inserted for each written account whose tier moved, and the written ids come
# back.
_TIER_CAS = text(
    sql.SQL(
        """
WITH v AS (
    SELECT * FROM unnest(
        %(ids)s::bigint[], %(old_tier)s::bigint[], %(old_pinned)s::bigint[],
        %(old_below)s::timestamptz[], %(new_tier)s::bigint[], %(new_below)s::timestamptz[],
        %(spend)s::numeric[]
    ) AS v(member_id, old_tier, old_pinned, old_below, new_tier, new_below, spend)
), written AS (
    UPDATE {accounts} AS a
    SET {tier} = v.new_tier,
        {tier_since} = CASE WHEN v.new_tier = {a_tier} THEN {a_tier_since} ELSE %(now)s END,
        {below} = v.new_below,
        {updated_at} = %(now)s
    FROM v
    WHERE {a_pk} = v.member_id
      AND {a_tier} = v.old_tier
      AND {a_pinned} IS NOT DISTINCT FROM v.old_pinned
      AND {a_below} IS NOT DISTINCT FROM v.old_below
    RETURNING {a_pk}, v.old_tier, v.new_tier, v.spend
), changes AS (
    INSERT INTO {changes} ({change_columns})
    SELECT member_id, old_tier, new_tier, %(reason)s, '', spend, %(now)s
    FROM written WHERE new_tier <> old_tier
)
SELECT member_id FROM written
"""
    ).format(
        accounts=table(Account),
        tier=column(Account, "tier"),
        tier_since=column(Account, "tier_since"),
        below=column(Account, "below_tier_since"),
        updated_at=column(Account, "updated_at"),
        a_pk=column(Account, "pk", "a"),
        a_tier=column(Account, "tier", "a"),
        a_tier_since=column(Account, "tier_since", "a"),
        a_pinned=column(Account, "pinned_tier", "a"),
        a_below=column(Account, "below_tier_since", "a"),
        changes=table(TierChange),
        change_columns=columns(
            TierChange,
            [
                "account",
                "from_tier",
                "to_tier",
                "reason",
                "note",
                "qualifying_spend",
                "created_at",
            ],
        ),
    )
)


def _array(values: Iterable) -> str:
    """A PostgreSQL array literal of ints, decimals or datetimes (one parameter, not thousands)."""
    return "{" + ",".join("NULL" if v is None else str(v).replace(" ", "T") for v in values) + "}"


def write_tier_review(decisions: Mapping, *, reason: str, now: dt.datetime) -> list[int]:
    """Write the review's decisions — member id → ((tier, pinned tier, below since) as read,
    current tier, target tier, new below-since, spend) — and their TierChange rows in one
    statement, each only if the account's tier state is unchanged; return the ids written."""
    seen = [d[0] for d in decisions.values()]
    params = {
        "now": now,
        "reason": reason,
        "ids": _array(decisions),
        "old_tier": _array(s[0] for s in seen),
        "old_pinned": _array(s[1] for s in seen),
        "old_below": _array(s[2] for s in seen),
        "new_tier": _array(d[2].pk for d in decisions.values()),
        "new_below": _array(d[3] for d in decisions.values()),
        "spend": _array(d[4] for d in decisions.values()),
    }
    with connection.cursor() as cursor:
        cursor.execute(_TIER_CAS, params)
        return [row[0] for row in cursor.fetchall()]
