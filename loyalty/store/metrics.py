"""The SQL of the program's figures (campaigns/metrics/, docs/METRICS.md): the statements that
turn purchases, checks without a card, refunds, ledger entries and members into day-level rows,
the sums the figures are read from, and the rollup's writes. Composed with `psycopg.sql` like
the rest of the store; the campaigns app passes its own models (the rollup tables, awards and
campaigns) as arguments, so the store imports nothing from it.

A scope is (kind, id): (PROGRAM, 0), (PARTNER, partner id) or (STORE, store id); `scopes=None`
means every scope at once (the rollup). Days are dates in the program's time zone:
`(moment AT TIME ZONE zone)::date`.
"""

import datetime as dt

from django.db import connection
from psycopg import sql

from customers.models import Member
from loyalty.models import GuestCheck, LedgerEntry, PointLot, Purchase, Refund
from loyalty.store.names import table

PROGRAM, PARTNER, STORE = 0, 1, 2

ADDITIVE_COLUMNS = (
    "checks",
    "checks_total",
    "paid",
    "refunded",
    "guest_checks",
    "guest_total",
    "points_issued",
    "points_redeemed",
    "points_expired",
    "points_taken_back",
    "points_delta",
    "new_members",
    "acquisition_points",
)
BUYER_COLUMNS = ("day", "scope_kind", "scope_id", "k", "back_day", "members")
COHORT_COLUMNS = ("month", "scope_kind", "scope_id", "join_month", "members")

S = sql.SQL
L = sql.Literal
# Up to this span, buyer rows read each buyer's history by index (see buyer_rows).
PER_MEMBER_SPAN = dt.timedelta(days=7)


class Params:
    """The named parameters of one statement."""

    def __init__(self):
        self.values: dict = {}

    def add(self, value) -> sql.Placeholder:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return sql.Placeholder(name)


def _names(names) -> sql.Composed:
    return S(", ").join(sql.Identifier(name) for name in names)


def _day(column: str, zone: sql.Composable) -> sql.Composed:
    return S("(({} AT TIME ZONE {}))::date").format(S(column), zone)


def _bounds(column: str, since, until, params: Params) -> sql.Composed:
    condition = S("{} < {}").format(S(column), params.add(until))
    if since is not None:
        condition = S("{} AND {} >= {}").format(condition, S(column), params.add(since))
    return condition


def _scope_pairs(scopes, params: Params, alias: str) -> sql.Composed:
    pairs = S(", ").join(
        S("({}, {}::bigint)").format(L(int(kind)), params.add(int(sid))) for kind, sid in scopes
    )
    return S("({a}.kind, {a}.sid::bigint) IN ({pairs})").format(
        a=sql.Identifier(alias), pairs=pairs
    )


def _narrow(partner_col: str, store_col: str, scopes, params: Params):
    """Rows of the wanted partners / stores only (None when the program is among the scopes)."""
    if scopes is None or any(kind == PROGRAM for kind, _ in scopes):
        return None
    return S(" OR ").join(
        S("{} = {}").format(S(partner_col if kind == PARTNER else store_col), params.add(int(sid)))
        for kind, sid in scopes
    )


def _expand(partner_col: str, store_col: str, scopes, params: Params, alias: str = "s"):
    """A LATERAL join giving each source row one (kind, sid) per scope it counts in, and the
    condition keeping the wanted scopes (dropping rows with no partner or no store)."""
    a = sql.Identifier(alias)
    lateral = S(
        "CROSS JOIN LATERAL (VALUES ({program}, 0), ({partner}, {pcol}), ({store}, {scol})) "
        "AS {a}(kind, sid)"
    ).format(
        program=L(PROGRAM),
        partner=L(PARTNER),
        store=L(STORE),
        pcol=S(partner_col),
        scol=S(store_col),
        a=a,
    )
    if scopes is None:
        return lateral, S("{}.sid IS NOT NULL").format(a)
    where = _scope_pairs(scopes, params, alias)
    narrow = _narrow(partner_col, store_col, scopes, params)
    if narrow is not None:
        where = S("{} AND ({})").format(where, narrow)
    return lateral, where


def _wants_program(scopes) -> bool:
    return scopes is None or any(kind == PROGRAM for kind, _ in scopes)


def additive_rows(
    *, zone: str, since, until, scopes, params: Params, award_model, campaign_model, kinds
) -> sql.Composed:
    """SELECT day, scope_kind, scope_id, <ADDITIVE_COLUMNS> for moments in [since, until).

    Points: issued = earn + bonus + positive adjust; redeemed = −(redeem + refund_return);
    expired = −expire; taken back = −(refund_clawback + negative adjust); delta = all. In a
    partner or store scope only entries linked to its purchases (or their refunds) count.
    Acquisition points: welcome and referral awards not held out (`kinds`), program-wide.
    """
    tz = params.add(zone)

    def part(values: dict, source: sql.Composable) -> sql.Composed:
        select = S(", ").join(
            S("{} AS {}").format(S(values.get(name, "0")), sql.Identifier(name))
            for name in ADDITIVE_COLUMNS
        )
        return S("SELECT day, kind, sid, {} FROM ({}) AS src").format(select, source)

    parts = []
    lateral, where = _expand("q.partner_id", "q.store_id", scopes, params)
    parts.append(
        part(
            {"checks": "n", "checks_total": "total", "paid": "paid"},
            S(
                "SELECT {day} AS day, s.kind, s.sid, count(*) AS n, sum(q.total) AS total, "
                "sum(q.total - q.discount) AS paid FROM {purchases} q {lateral} "
                "WHERE {bounds} AND {where} GROUP BY 1, 2, 3"
            ).format(
                day=_day("q.occurred_at", tz),
                purchases=table(Purchase),
                lateral=lateral,
                bounds=_bounds("q.occurred_at", since, until, params),
                where=where,
            ),
        )
    )
    lateral, where = _expand("q.partner_id", "q.store_id", scopes, params)
    parts.append(
        part(
            {"refunded": "refunded"},
            S(
                "SELECT {day} AS day, s.kind, s.sid, sum(r.amount - r.discount) AS refunded "
                "FROM {refunds} r JOIN {purchases} q ON q.id = r.purchase_id {lateral} "
                "WHERE {bounds} AND {where} GROUP BY 1, 2, 3"
            ).format(
                day=_day("r.created_at", tz),
                refunds=table(Refund),
                purchases=table(Purchase),
                lateral=lateral,
                bounds=_bounds("r.created_at", since, until, params),
                where=where,
            ),
        )
    )
    lateral, where = _expand("g.partner_id", "g.store_id", scopes, params)
    parts.append(
        part(
            {"guest_checks": "n", "guest_total": "total"},
            S(
                "SELECT {day} AS day, s.kind, s.sid, count(*) AS n, sum(g.total) AS total "
                "FROM {guests} g {lateral} WHERE {bounds} AND {where} GROUP BY 1, 2, 3"
            ).format(
                day=_day("g.occurred_at", tz),
                guests=table(GuestCheck),
                lateral=lateral,
                bounds=_bounds("g.occurred_at", since, until, params),
                where=where,
            ),
        )
    )
    lateral, where = _expand(
        "coalesce(ep.partner_id, rp.partner_id)",
        "coalesce(ep.store_id, rp.store_id)",
        scopes,
        params,
    )
    parts.append(
        part(
            {
                "points_issued": "issued",
                "points_redeemed": "redeemed",
                "points_expired": "expired",
                "points_taken_back": "taken_back",
                "points_delta": "delta",
            },
            S(
                "SELECT {day} AS day, s.kind, s.sid, "
                "sum(CASE WHEN e.kind IN ('earn', 'bonus') OR (e.kind = 'adjust' AND e.points > 0) "
                "THEN e.points ELSE 0 END) AS issued, "
                "sum(CASE WHEN e.kind IN ('redeem', 'refund_return') THEN -e.points ELSE 0 END) "
                "AS redeemed, "
                "sum(CASE WHEN e.kind = 'expire' THEN -e.points ELSE 0 END) AS expired, "
                "sum(CASE WHEN e.kind = 'refund_clawback' OR (e.kind = 'adjust' AND e.points < 0) "
                "THEN -e.points ELSE 0 END) AS taken_back, "
                "sum(e.points) AS delta "
                "FROM {entries} e "
                "LEFT JOIN {purchases} ep ON ep.id = e.purchase_id "
                "LEFT JOIN {refunds} er ON er.id = e.refund_id "
                "LEFT JOIN {purchases} rp ON rp.id = er.purchase_id {lateral} "
                "WHERE {bounds} AND {where} GROUP BY 1, 2, 3"
            ).format(
                day=_day("e.created_at", tz),
                entries=table(LedgerEntry),
                purchases=table(Purchase),
                refunds=table(Refund),
                lateral=lateral,
                bounds=_bounds("e.created_at", since, until, params),
                where=where,
            ),
        )
    )
    if _wants_program(scopes):
        parts.append(
            part(
                {"new_members": "n"},
                S(
                    "SELECT {day} AS day, {program} AS kind, 0 AS sid, count(*) AS n "
                    "FROM {members} m WHERE {bounds} GROUP BY 1"
                ).format(
                    day=_day("m.created_at", tz),
                    program=L(PROGRAM),
                    members=table(Member),
                    bounds=_bounds("m.created_at", since, until, params),
                ),
            )
        )
        parts.append(
            part(
                {"acquisition_points": "points"},
                S(
                    "SELECT {day} AS day, {program} AS kind, 0 AS sid, sum(a.points) AS points "
                    "FROM {awards} a JOIN {campaigns} c ON c.id = a.campaign_id "
                    "WHERE {bounds} AND NOT a.held_out AND c.kind = ANY({kinds}) GROUP BY 1"
                ).format(
                    day=_day("a.created_at", tz),
                    program=L(PROGRAM),
                    awards=table(award_model),
                    campaigns=table(campaign_model),
                    bounds=_bounds("a.created_at", since, until, params),
                    kinds=params.add(list(kinds)),
                ),
            )
        )
    sums = S(", ").join(
        S("sum({0}) AS {0}").format(sql.Identifier(name)) for name in ADDITIVE_COLUMNS
    )
    return S(
        "SELECT day, kind AS scope_kind, sid AS scope_id, {} FROM ({}) AS u GROUP BY day, kind, sid"
    ).format(sums, S(" UNION ALL ").join(parts))


_WINDOWS = {
    PROGRAM: "PARTITION BY member_id",
    PARTNER: "PARTITION BY member_id, partner_id",
    STORE: "PARTITION BY member_id, store_id",
}
_SCOPE_COLUMN = {PROGRAM: "0", PARTNER: "partner_id", STORE: "store_id"}


def buyer_rows(*, zone: str, since, until, scopes, params: Params) -> sql.Composed:
    """SELECT day, scope_kind, scope_id, k, back_day, members for purchases in [since, until).

    For each purchase in a scope, back_day (k=1) is the day of the member's previous purchase
    in that scope and (k=2) the day of the one before it (NULL when there is none); a member's
    purchases are ordered by (occurred_at, id). Counting these by (day, k, back_day) lets any
    range of days count its distinct buyers exactly (docs/METRICS.md).
    """
    tz = params.add(zone)
    kinds = [PROGRAM, PARTNER, STORE] if scopes is None else sorted({k for k, _ in scopes})
    lags = S(", ").join(
        S("lag(day, 1) {over} AS {b1}, lag(day, 2) {over} AS {b2}").format(
            over=S("OVER (" + _WINDOWS[kind] + " ORDER BY occurred_at, id)"),
            b1=sql.Identifier(f"b{kind}_1"),
            b2=sql.Identifier(f"b{kind}_2"),
        )
        for kind in kinds
    )
    narrow = _narrow("partner_id", "store_id", scopes, params)
    narrow = S("") if narrow is None else S(" AND ({})").format(narrow)
    if since is None:
        source = S(
            "SELECT id, member_id, partner_id, store_id, occurred_at FROM {} WHERE "
            "occurred_at < {}{}"
        ).format(table(Purchase), params.add(until), narrow)
    else:
        # The members who bought in [since, until), then each one's purchases before `until`
        # through purchase_by_member (member, occurred_at): a day reads its buyers' histories,
        # not the whole table. For a few days OFFSET 0 keeps PostgreSQL from flattening the
        # LATERAL into a hash join over every purchase; over a long range that join is cheaper.
        source = S(
            "SELECT q.id, q.member_id, q.partner_id, q.store_id, q.occurred_at "
            "FROM (SELECT DISTINCT member_id FROM {purchases} WHERE {bounds}{narrow}) AS t "
            "CROSS JOIN LATERAL (SELECT id, member_id, partner_id, store_id, occurred_at "
            "FROM {purchases} WHERE member_id = t.member_id AND occurred_at < {until}{narrow}"
            "{keep_lateral}) AS q"
        ).format(
            purchases=table(Purchase),
            bounds=_bounds("occurred_at", since, until, params),
            narrow=narrow,
            until=params.add(until),
            keep_lateral=S(" OFFSET 0") if until - since <= PER_MEMBER_SPAN else S(""),
        )
    values = S(", ").join(
        S("({}, {}, {}, {})").format(
            L(kind), S(_SCOPE_COLUMN[kind]), L(k), sql.Identifier(f"b{kind}_{k}")
        )
        for kind in kinds
        for k in (1, 2)
    )
    keep = S("s.sid IS NOT NULL") if scopes is None else _scope_pairs(scopes, params, "s")
    if since is not None:
        keep = S("{} AND occurred_at >= {}").format(keep, params.add(since))
    return S(
        "SELECT day, s.kind AS scope_kind, s.sid AS scope_id, s.k, s.back_day, "
        "count(*) AS members FROM ("
        "SELECT id, occurred_at, day, partner_id, store_id, {lags} FROM ("
        "SELECT id, member_id, partner_id, store_id, occurred_at, {day} AS day "
        "FROM ({source}) AS src) AS q) AS w "
        "CROSS JOIN LATERAL (VALUES {values}) AS s(kind, sid, k, back_day) "
        "WHERE {keep} GROUP BY 1, 2, 3, 4, 5"
    ).format(
        lags=lags,
        day=_day("occurred_at", tz),
        source=source,
        values=values,
        keep=keep,
    )


def cohort_rows(*, zone: str, months, scopes, params: Params) -> sql.Composed:
    """SELECT month, scope_kind, scope_id, join_month, members: distinct members who bought in
    the scope in each purchase month, by the month they joined.

    `months` is a list of (month, month_start, since, until): a member counts in `month` when
    they bought in [since, until) and did not buy in [month_start, since) — so a count stored
    up to `since` plus this one is the month's exact count.
    """
    tz = params.add(zone)
    rows = S(", ").join(
        S("({}::date, {}::timestamptz, {}::timestamptz, {}::timestamptz)").format(
            params.add(month), params.add(start), params.add(since), params.add(until)
        )
        for month, start, since, until in months
    )
    lateral, where = _expand("p.partner_id", "p.store_id", scopes, params)
    q_lateral, q_where = _expand("q.partner_id", "q.store_id", scopes, params, alias="qs")
    return S(
        "WITH mm(month, month_start, since, until) AS (VALUES {rows}) "
        "SELECT mm.month, s.kind AS scope_kind, s.sid AS scope_id, "
        "date_trunc('month', mem.created_at AT TIME ZONE {tz})::date AS join_month, "
        "count(DISTINCT p.member_id) AS members "
        "FROM mm JOIN {purchases} p ON p.occurred_at >= mm.since AND p.occurred_at < mm.until "
        "JOIN {members} mem ON mem.id = p.member_id {lateral} "
        "WHERE {where} AND NOT EXISTS (SELECT 1 FROM {purchases} q {q_lateral} "
        "WHERE q.member_id = p.member_id AND q.occurred_at >= mm.month_start "
        "AND q.occurred_at < mm.since AND {q_where} AND qs.kind = s.kind AND qs.sid = s.sid) "
        "GROUP BY 1, 2, 3, 4"
    ).format(
        rows=rows,
        tz=tz,
        purchases=table(Purchase),
        members=table(Member),
        lateral=lateral,
        where=where,
        q_lateral=q_lateral,
        q_where=q_where,
    )


# --- reading and writing -------------------------------------------------------------------


def fetch(statement: sql.Composable, params: Params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement.as_string(), params.values)
        return cursor.fetchall()


def lock_day(key: int, ordinal: int) -> None:
    """Serialise two rollups of one day (or month) until the transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [key, ordinal])


def insert_rows(model, columns, select: sql.Composable, params: Params) -> None:
    """INSERT INTO the model's table the rows of `select` (NULL sums stored as 0)."""
    names = _names(columns)
    with connection.cursor() as cursor:
        cursor.execute(
            S("INSERT INTO {} ({}) SELECT {} FROM ({}) AS r")
            .format(table(model), names, names, select)
            .as_string(),
            params.values,
        )


def stored_union(
    model, columns, *, scopes, end, before, live_parts, params: Params, since_or_first=None
):
    """The stored rows of the scopes up to `end` (before `before` if given) UNION ALL the live
    rows of the days not stored. `since_or_first` (buyer rows): only days from that day on, or
    first purchases (back_day NULL) of any day."""
    names = _names(columns)
    in_scopes = S(" OR ").join(
        S("(scope_kind = {} AND scope_id = {})").format(L(int(kind)), params.add(int(sid)))
        for kind, sid in scopes
    )
    where = S("({}) AND day <= {}").format(in_scopes, params.add(end))
    if before is not None:
        where = S("{} AND day < {}").format(where, params.add(before))
    if since_or_first is not None:
        where = S("{} AND (day >= {} OR back_day IS NULL)").format(
            where, params.add(since_or_first)
        )
    parts = [S("SELECT {} FROM {} WHERE {}").format(names, table(model), where)]
    parts += [S("SELECT {} FROM ({}) AS l").format(names, part) for part in live_parts]
    return S(" UNION ALL ").join(parts)


def additive_sums(union: sql.Composable, *, scope, start, end, params: Params) -> list[tuple]:
    """Per day of [start, end] (and one row, day NULL, for all days before `start`): the
    scope's sums of ADDITIVE_COLUMNS, then the program's new members and expired points."""
    kind, sid = scope
    in_scope = S("scope_kind = {} AND scope_id = {}").format(L(int(kind)), params.add(int(sid)))
    sums = S(", ").join(
        S("sum({}) FILTER (WHERE {})").format(sql.Identifier(name), in_scope)
        for name in ADDITIVE_COLUMNS
    )
    return fetch(
        S(
            "SELECT CASE WHEN day >= {start} THEN day END AS d, {sums}, "
            "sum(new_members) FILTER (WHERE scope_kind = {program}), "
            "sum(points_expired) FILTER (WHERE scope_kind = {program}) "
            "FROM ({union}) AS u WHERE day <= {end} GROUP BY 1"
        ).format(
            start=params.add(start),
            sums=sums,
            program=L(PROGRAM),
            union=union,
            end=params.add(end),
        ),
        params,
    )


def buyer_sums(union: sql.Composable, *, scope, start, end, prev_start, params: Params):
    """(active, first-time buyers, active + repeat buyers, active in the previous period,
    buyers ever by `end`) of the scope, from the back-day counts (docs/METRICS.md)."""
    kind, sid = scope
    a, b, pa = params.add(start), params.add(end), params.add(prev_start)
    pb = params.add(start - dt.timedelta(days=1))
    row = fetch(
        S(
            "SELECT "
            "sum(members) FILTER (WHERE k = 1 AND day >= {a} "
            "AND (back_day IS NULL OR back_day < {a})), "
            "sum(members) FILTER (WHERE k = 1 AND day >= {a} AND back_day IS NULL), "
            "sum(members) FILTER (WHERE k = 2 AND day >= {a} "
            "AND (back_day IS NULL OR back_day < {a})), "
            "sum(members) FILTER (WHERE k = 1 AND day >= {pa} AND day <= {pb} "
            "AND (back_day IS NULL OR back_day < {pa})), "
            "sum(members) FILTER (WHERE k = 1 AND back_day IS NULL) "
            "FROM ({union}) AS u WHERE scope_kind = {kind} AND scope_id = {sid} "
            "AND day <= {b} AND (day >= {pa} OR back_day IS NULL)"
        ).format(a=a, b=b, pa=pa, pb=pb, union=union, kind=L(int(kind)), sid=params.add(int(sid))),
        params,
    )[0]
    return tuple(int(value or 0) for value in row)


def members_by_join_month(*, zone: str, since, until) -> dict:
    params = Params()
    rows = fetch(
        S(
            "SELECT date_trunc('month', created_at AT TIME ZONE {tz})::date, count(*) "
            "FROM {members} WHERE created_at >= {since} AND created_at < {until} GROUP BY 1"
        ).format(
            tz=params.add(zone),
            members=table(Member),
            since=params.add(since),
            until=params.add(until),
        ),
        params,
    )
    return dict(rows)


def live_points_by_expiry_month(*, zone: str, after, until) -> dict:
    """Remaining points of live lots expiring in (after, until], by the month of their last
    day (a lot expires at the end of its last day: midnight of the next)."""
    params = Params()
    rows = fetch(
        S(
            "SELECT date_trunc('month', (expires_at - interval '1 microsecond') "
            "AT TIME ZONE {tz})::date, sum(remaining) FROM {lots} "
            "WHERE remaining > 0 AND expires_at > {after} AND expires_at <= {until} GROUP BY 1"
        ).format(
            tz=params.add(zone),
            lots=table(PointLot),
            after=params.add(after),
            until=params.add(until),
        ),
        params,
    )
    return {month: int(points or 0) for month, points in rows}


def first_moment_with_data():
    """The earliest purchase, check without a card, ledger entry or member (None: none)."""
    firsts = []
    for model, column in (
        (Purchase, "occurred_at"),
        (GuestCheck, "occurred_at"),
        (LedgerEntry, "created_at"),
        (Member, "created_at"),
    ):
        rows = fetch(
            S("SELECT min({}) FROM {}").format(sql.Identifier(column), table(model)), Params()
        )
        if rows[0][0] is not None:
            firsts.append(rows[0][0])
    return min(firsts) if firsts else None


def late_rows(*, zone: str, rolled_model, since) -> tuple[set, set]:
    """Rolled-up days that got a purchase or a check without a card recorded (created_at)
    after their rollup, among rows recorded since `since`; and the rolled-up days holding the
    later purchases of those purchases' members (their previous purchase changed)."""
    params = Params()
    tz, after = params.add(zone), params.add(since)
    rolled = table(rolled_model)
    found: set = set()
    members: dict = {}
    for member_id, first_at, days in fetch(
        S(
            "SELECT p.member_id, min(p.occurred_at), array_agg(DISTINCT d.day) "
            "FROM {purchases} p JOIN {rolled} d "
            "ON d.day = (p.occurred_at AT TIME ZONE {tz})::date AND p.created_at > d.computed_at "
            "WHERE p.created_at > {after} GROUP BY p.member_id"
        ).format(purchases=table(Purchase), rolled=rolled, tz=tz, after=after),
        params,
    ):
        members[member_id] = first_at
        found.update(days)
    params = Params()
    tz, after = params.add(zone), params.add(since)
    found.update(
        day
        for (day,) in fetch(
            S(
                "SELECT DISTINCT d.day FROM {guests} g JOIN {rolled} d "
                "ON d.day = (g.occurred_at AT TIME ZONE {tz})::date "
                "AND g.created_at > d.computed_at WHERE g.created_at > {after}"
            ).format(guests=table(GuestCheck), rolled=rolled, tz=tz, after=after),
            params,
        )
    )
    later: set = set()
    if members:
        params = Params()
        tz = params.add(zone)
        later = {
            day
            for (day,) in fetch(
                S(
                    "SELECT DISTINCT (p.occurred_at AT TIME ZONE {tz})::date FROM {purchases} p "
                    "JOIN unnest({ids}::bigint[], {firsts}::timestamptz[]) AS t(member_id, at) "
                    "ON p.member_id = t.member_id AND p.occurred_at > t.at "
                    "WHERE (p.occurred_at AT TIME ZONE {tz})::date IN (SELECT day FROM {rolled})"
                ).format(
                    tz=tz,
                    purchases=table(Purchase),
                    ids=params.add(list(members)),
                    firsts=params.add(list(members.values())),
                    rolled=rolled,
                ),
                params,
            )
        }
    return found, later
