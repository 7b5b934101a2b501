"""The hot reads of the ledger in one statement each: the account for a quote (with what it can
spend now), a member's qualifying spend, and the member summary of the till and the API.

Plain SQL, prepared (config.db.hot_cursor): the ORM's compilation of these reads cost more than
the reads themselves. Composed with `psycopg.sql` once per shape.
"""

import datetime as dt
import functools

from django.db import DEFAULT_DB_ALIAS, connection
from psycopg import sql

from config.db import hot_cursor
from customers.models import Consent, Member
from loyalty.models import Account, PointLot, Purchase
from loyalty.store.names import column, table, text

# "Net paid" of a purchase: money paid, less the money given back on its refunds. The one
# definition: the ORM expression (loyalty.services.tiers.NET_PAID) is built from it too.
NET_PAID_TERMS = (
    ("total", 1),
    ("discount", -1),
    ("refunded_total", -1),
    ("refunded_discount", 1),
)


def _net_paid(alias: str) -> sql.Composed:
    parts = []
    for i, (name, sign) in enumerate(NET_PAID_TERMS):
        operator = "" if i == 0 and sign > 0 else (" + " if sign > 0 else " - ")
        parts.append(sql.SQL("{}{}").format(sql.SQL(operator), column(Purchase, name, alias)))
    return sql.Composed(parts)


def _spend(member: sql.Composable, start: sql.Composable | None) -> sql.Composed:
    """The qualifying spend as one SELECT of a NUMERIC (NULL without purchases): the net paid
    of the member's purchases since `start` (None: the lifetime window). `member` and `start`
    are placeholders or columns of an outer query."""
    spend = sql.SQL("SELECT SUM({net}) FROM {purchases} p WHERE {member_id} = {member}").format(
        net=_net_paid("p"),
        purchases=table(Purchase),
        member_id=column(Purchase, "member", "p"),
        member=member,
    )
    if start is None:
        return spend
    return sql.SQL("{} AND {} >= {}").format(spend, column(Purchase, "occurred_at", "p"), start)


_SPEND = text(_spend(sql.Placeholder(), None))
_SPEND_SINCE = text(_spend(sql.Placeholder(), sql.Placeholder()))


def qualifying_spend_total(member_id: int, start: dt.datetime | None):
    """The SUM of the member's net paid since `start` (None: ever), or None."""
    statement, params = _SPEND, [member_id]
    if start is not None:
        statement, params = _SPEND_SINCE, [member_id, start]
    with hot_cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchone()[0]


# --- a quote's account -------------------------------------------------------------------------
_ACCOUNT_FIELDS = Account._meta.concrete_fields
_MEMBER_FIELDS = Member._meta.concrete_fields
_ACCOUNT_ATTNAMES = [f.attname for f in _ACCOUNT_FIELDS]
_MEMBER_ATTNAMES = [f.attname for f in _MEMBER_FIELDS]


# --- spendable now: the one definition -----------------------------------------------------------
# The points a member holds at a moment are the remaining points of the account's live lots
# (points left, not expired by then); of those, the lots available by then are spendable and the
# others pending — even before the beat has activated or burnt them. The lots are not read when
# the account's totals say it holds no points. Every read of a balance (the quote, the member
# summary, member_balance) takes it from `_balance_of_lots`; the ledger's own settling of the
# lots it locked (services/ledger.py) must agree with it (tests/loyalty/test_member_summary.py).
_NOW = sql.SQL("%(now)s::timestamptz")


def _live_lots() -> sql.Composed:
    """FROM and WHERE of the live lots of account `a` at %(now)s."""
    return sql.SQL(
        "FROM {lots} l WHERE {account} = {member_id} AND {remaining} > 0 "
        "AND {expires_at} > {now} AND ({available} <> 0 OR {pending} <> 0)"
    ).format(
        lots=table(PointLot),
        account=column(PointLot, "account", "l"),
        member_id=column(Account, "pk", "a"),
        remaining=column(PointLot, "remaining", "l"),
        expires_at=column(PointLot, "expires_at", "l"),
        now=_NOW,
        available=column(Account, "available", "a"),
        pending=column(Account, "pending", "a"),
    )


def _balance_of_lots() -> sql.Composed:
    """A lateral row `b` of account `a` at %(now)s: `available` (spendable now), `pending` and
    `next_activation`."""
    remaining = column(PointLot, "remaining", "l")
    available_at = column(PointLot, "available_at", "l")
    return sql.SQL(
        "CROSS JOIN LATERAL (SELECT "
        "COALESCE(SUM({remaining}) FILTER (WHERE {available_at} <= {now}), 0) AS available, "
        "COALESCE(SUM({remaining}) FILTER (WHERE {available_at} > {now}), 0) AS pending, "
        "MIN({available_at}) FILTER (WHERE {available_at} > {now}) AS next_activation "
        "{live}) b"
    ).format(remaining=remaining, available_at=available_at, now=_NOW, live=_live_lots())


_QUOTE_ACCOUNT = text(
    sql.SQL(
        "SELECT {account}, {member}, b.available FROM {accounts} a "
        "JOIN {members} m ON {m_id} = {a_id} {balance} WHERE {a_id} = %(member)s::bigint"
    ).format(
        account=sql.SQL(", ").join(sql.Identifier("a", f.column) for f in _ACCOUNT_FIELDS),
        member=sql.SQL(", ").join(sql.Identifier("m", f.column) for f in _MEMBER_FIELDS),
        balance=_balance_of_lots(),
        accounts=table(Account),
        members=table(Member),
        m_id=column(Member, "pk", "m"),
        a_id=column(Account, "pk", "a"),
    )
)

_BALANCE = text(
    sql.SQL(
        "SELECT {debt}, b.available, b.pending, b.next_activation FROM {accounts} a {balance} "
        "WHERE {a_id} = %(member)s::bigint"
    ).format(
        debt=column(Account, "debt", "a"),
        accounts=table(Account),
        balance=_balance_of_lots(),
        a_id=column(Account, "pk", "a"),
    )
)


def balance_row(member_id: int, now: dt.datetime) -> tuple | None:
    """The account's (debt, available, pending, next activation) at `now`; None if none."""
    with hot_cursor() as cursor:
        cursor.execute(_BALANCE, {"now": now, "member": member_id})
        return cursor.fetchone()


def account_with_spendable(member_id: int, now: dt.datetime) -> tuple[Account, int] | None:
    """The account (with its member) and the points it can spend at `now`; None if none."""
    with hot_cursor() as cursor:
        cursor.execute(_QUOTE_ACCOUNT, {"now": now, "member": member_id})
        row = cursor.fetchone()
    if row is None:
        return None
    split, alias = len(_ACCOUNT_FIELDS), connection.alias
    account = Account.from_db(alias, _ACCOUNT_ATTNAMES, row[:split])
    member = Member.from_db(alias, _MEMBER_ATTNAMES, row[split:-1])
    Account.member.field.set_cached_value(account, member)
    return account, row[-1]


# --- the member summary ------------------------------------------------------------------------
# One row with the account's tier and debt, the balance and the expiring groups aggregated from
# the live lots, the qualifying spend, and the member. The lots are only read when the account
# holds points. Every value is a parameter, typed where the context does not fix it (the
# statement is prepared).
# A partner's own members: bought at its stores or joined through it (their consent's source).
_SCOPE = sql.SQL(
    " AND (EXISTS (SELECT 1 FROM {purchases} p WHERE {p_member} = {a_id} "
    "AND {p_partner} = %(partner)s::bigint) OR EXISTS (SELECT 1 FROM {consents} c "
    "WHERE {c_member} = {a_id} AND {c_source} = %(source)s::text))"
).format(
    purchases=table(Purchase),
    p_member=column(Purchase, "member", "p"),
    a_id=column(Account, "pk", "a"),
    p_partner=column(Purchase, "partner", "p"),
    consents=table(Consent),
    c_member=column(Consent, "member", "c"),
    c_source=column(Consent, "source", "c"),
)

SUMMARY_KEYS = {
    "member_id": column(Account, "pk", "a"),
    "phone": column(Member, "phone", "m"),
    "card_number": column(Member, "card_number", "m"),
}


@functools.cache
def _summary_sql(key: str, windowed: bool, scoped: bool) -> str:
    """The statement for one lookup column (SUMMARY_KEYS), with or without a window start and
    a partner's scope (built once each)."""
    remaining = column(PointLot, "remaining", "l")
    start = sql.SQL("%(start)s::timestamptz") if windowed else None
    return text(
        sql.SQL(
            "SELECT {tier}, {debt}, b.available, b.pending, b.next_activation, x.days, x.points, "
            # The spend only matters below the top tier.
            "CASE WHEN {tier} <> %(top)s::bigint THEN ({spend}) END, {member} "
            "FROM {accounts} a JOIN {members} m ON {m_id} = {a_id} "
            # Balance: available and pending points, the next activation.
            "{balance} "
            # Expiring points by the last day they can be spent: points live up to the moment
            # before expires_at, so that moment's date in the program zone; the nearest `limit`
            # days.
            "CROSS JOIN LATERAL (SELECT array_agg(g.day ORDER BY g.day) AS days, "
            "array_agg(g.points ORDER BY g.day) AS points FROM (SELECT "
            "(({expires_at} - interval '1 microsecond') AT TIME ZONE %(zone)s::text)::date AS day,"
            " SUM({remaining}) AS points {live} "
            "GROUP BY 1 ORDER BY 1 LIMIT %(limit)s::bigint) g) x "
            "WHERE {where} = %(key)s{scope}"
        ).format(
            tier=column(Account, "tier", "a"),
            debt=column(Account, "debt", "a"),
            spend=_spend(column(Account, "pk", "a"), start),
            member=sql.SQL(", ").join(sql.Identifier("m", f.column) for f in _MEMBER_FIELDS),
            accounts=table(Account),
            members=table(Member),
            m_id=column(Member, "pk", "m"),
            a_id=column(Account, "pk", "a"),
            remaining=remaining,
            balance=_balance_of_lots(),
            live=_live_lots(),
            expires_at=column(PointLot, "expires_at", "l"),
            where=SUMMARY_KEYS[key],
            scope=_SCOPE if scoped else sql.SQL(""),
        )
    )


def member_summary_row(*, key: str, params: dict, windowed: bool, scoped: bool):
    """The summary row found by `key` (a SUMMARY_KEYS name, its value in params["key"]):
    (tier id, debt, available, pending, next activation, expiry days, their points, spend or
    None) and the Member; None if no such member."""
    with hot_cursor() as cursor:
        cursor.execute(_summary_sql(key, windowed, scoped), params)
        row = cursor.fetchone()
    if row is None:
        return None
    return row[:8], Member.from_db(DEFAULT_DB_ALIAS, _MEMBER_ATTNAMES, row[8:])


def repeatable_read() -> None:
    """Make the current transaction read one snapshot (call it first in the transaction)."""
    with connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
