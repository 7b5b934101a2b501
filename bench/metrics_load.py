"""Benchmark: the program metrics (campaigns/metrics/) on a big history — the daily rollup and
the dashboard's program_metrics.

    DATABASE_URL=postgres://postgres@127.0.0.1:55432/kopilka_bench_metrics \
        .venv/bin/python bench/metrics_load.py --purchases 10000000

    # a quick check
    DATABASE_URL=… .venv/bin/python bench/metrics_load.py --purchases 200000
    # time again on the data already built (and rolled up) by an earlier run
    DATABASE_URL=… .venv/bin/python bench/metrics_load.py --purchases 200000 --reuse
    # … without rolling the whole history up again (migrate the database first if needed)
    DATABASE_URL=… .venv/bin/python bench/metrics_load.py --reuse --skip-history-rollup

The database must be a dedicated PostgreSQL one (it is created if missing, migrated, and its
members, purchases, ledger, checks without a card and rollups are replaced). The script builds,
in SQL with generate_series (members cloned like bench/burn.py does): N purchases over --days
days up to "now" (2026-12-16 12:00 Moscow) by N / 20 members at --stores stores of 5 partners,
one in ten paying 50 points; an earn entry per purchase (and a redeem entry when it paid with
points); a lot per purchase of the last 6 months; N / 4 checks without a card; a refund of
half the check for one purchase in a hundred, three days later. Then it times:
  - the rollup of one day (yesterday) and of the whole history (every day, each in its own
    transaction, then the cohort months);
  - program_metrics (what the dashboard asks for) for the last month, quarter and year, for the
    whole program and for one store, with the rollups in place and today read live.
It prints a markdown table for docs/PERFORMANCE.md.
"""

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-not-for-production")

from bench.burn import _columns, clone_members, setup_django  # noqa: E402

MSK = ZoneInfo("Europe/Moscow")
NOW = dt.datetime(2026, 12, 16, 12, 0, tzinfo=MSK)
PARTNERS = 5


def build(purchases: int, days: int, stores: int) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from campaigns.models import (
        CohortActivity,
        DailyBuyers,
        DailyMetrics,
        MetricsDay,
        MetricsMonth,
    )
    from customers.models import Member
    from loyalty.models import (
        Account,
        GuestCheck,
        LedgerEntry,
        Partner,
        PointLot,
        Purchase,
        Refund,
        Store,
    )
    from tests.factories import make_member

    call_command("migrate", verbosity=0)
    t = {
        m.__name__: m._meta.db_table
        for m in (
            Member,
            Account,
            Purchase,
            Refund,
            GuestCheck,
            LedgerEntry,
            PointLot,
            Partner,
            Store,
            DailyMetrics,
            DailyBuyers,
            MetricsDay,
            MetricsMonth,
            CohortActivity,
        )
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE {DailyMetrics}, {DailyBuyers}, {MetricsDay}, {MetricsMonth}, "
            "{CohortActivity}, {LedgerEntry}, {PointLot}, {Refund}, {GuestCheck}, {Purchase}, "
            "{Account}, {Member}, {Store}, {Partner} CASCADE".format(**t)
        )
    partners = [Partner.objects.create(name=f"Partner {i}") for i in range(PARTNERS)]
    store_ids = [
        Store.objects.create(partner=partners[i % PARTNERS], name=f"Store {i}", address="-").pk
        for i in range(stores)
    ]
    members = max(10, purchases // 20)
    start = NOW - dt.timedelta(days=days)
    template = make_member(now=start)
    first = template.pk
    params = {
        "n": purchases,
        "m": members,
        "first": first,
        "start": start,
        "span": (NOW - start).total_seconds(),
        "stores": store_ids,
        "partners": [Store.objects.get(pk=s).partner_id for s in store_ids],
        "k": len(store_ids),
        "half_year": NOW - dt.timedelta(days=183),
    }
    with transaction.atomic(), connection.cursor() as cursor:
        clone_members(
            cursor,
            first,
            members,
            created_at=(
                f"timestamptz '{start.isoformat()}' + interval '1 second' "
                f"* (g::float8 * {(NOW - start).total_seconds()} / {members})"
            ),
        )
        print("  members cloned", file=sys.stderr)
        # Member of purchase g: spread pseudo-randomly; time: in g order (like real inserts).
        cursor.execute(
            """
            INSERT INTO {Purchase} (partner_id, store_id, external_id, member_id, occurred_at,
                total, discount, redeemed_points, earned_points, bonus_points, channel,
                earn_base, refunded_total, refunded_discount, returned_points,
                clawed_back_points, forfeited_points, idempotency_key, created_at)
            SELECT (%(partners)s::bigint[])[1 + g %% %(k)s], (%(stores)s::bigint[])[1 + g %% %(k)s],
                'B' || g, %(first)s + 1 + (g::bigint * 2654435761 %% %(m)s), ts,
                total, disc, disc::int, floor((total - disc) / 50)::int, 0, 'till',
                total - disc, 0, 0, 0, 0, 0, '', ts
            FROM (
                SELECT g, %(start)s + interval '1 second' * (g::float8 * %(span)s / %(n)s) AS ts,
                       (100 + (g::bigint * 7919 %% 5000))::numeric(14, 2) AS total,
                       CASE WHEN g %% 10 = 0 THEN 50 ELSE 0 END AS disc
                FROM generate_series(1, %(n)s) g
            ) s
            """.format(**t),
            params,
        )
        print("  purchases", file=sys.stderr)
        cursor.execute(
            """
            INSERT INTO {LedgerEntry} (account_id, kind, points, pending_change, purchase_id,
                reason, created_at)
            SELECT member_id, 'earn', earned_points, 0, id, '', created_at FROM {Purchase}
            WHERE earned_points > 0
            UNION ALL
            SELECT member_id, 'redeem', -redeemed_points, 0, id, '', created_at FROM {Purchase}
            WHERE redeemed_points > 0
            """.format(**t)
        )
        cursor.execute(
            """
            INSERT INTO {PointLot} (account_id, source, points, remaining, is_pending,
                available_at, expires_at, purchase_id, created_at)
            SELECT member_id, 'earn', earned_points, earned_points, false, occurred_at,
                occurred_at + interval '6 months', id, occurred_at
            FROM {Purchase} WHERE occurred_at >= %(half_year)s AND earned_points > 0
            """.format(**t),
            params,
        )
        print("  ledger", file=sys.stderr)
        cursor.execute(
            """
            INSERT INTO {GuestCheck} (partner_id, store_id, external_id, occurred_at, total,
                channel, created_at)
            SELECT (%(partners)s::bigint[])[1 + g %% %(k)s], (%(stores)s::bigint[])[1 + g %% %(k)s],
                'G' || g, ts, (80 + (g::bigint * 104729 %% 4000))::numeric(14, 2), 'till', ts
            FROM (SELECT g, %(start)s + interval '1 second' * (g::float8 * 4 * %(span)s / %(n)s)
                  AS ts FROM generate_series(1, %(n)s / 4) g) s
            """.format(**t),
            params,
        )
        refund_cols = set(_columns(cursor, t["Refund"]))
        assert "request_hash" in refund_cols
        cursor.execute(
            """
            INSERT INTO {Refund} (purchase_id, external_id, amount, discount, clawed_back_points,
                returned_points, forfeited_points, shortfall_points, shortfall_amount,
                request_hash, idempotency_key, created_at)
            SELECT id, 'R' || id, round(total / 2, 2), 0, 0, 0, 0, 0, 0, '', '',
                least(occurred_at + interval '3 days', %(now)s - interval '1 hour')
            FROM {Purchase} WHERE id %% 100 = 0
            """.format(**t),
            {**params, "now": NOW},
        )
        print("  checks without a card, refunds", file=sys.stderr)
    with connection.cursor() as cursor:
        for name in (
            "Member",
            "Account",
            "Purchase",
            "LedgerEntry",
            "PointLot",
            "GuestCheck",
            "Refund",
        ):
            cursor.execute(f"VACUUM ANALYZE {t[name]}")


def timed(label: str, results: list, fn):
    started = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - started
    results.append((label, seconds))
    print(f"  {label}: {seconds:.2f} s", file=sys.stderr)
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--purchases", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=730, help="history length")
    parser.add_argument("--stores", type=int, default=50)
    parser.add_argument("--reuse", action="store_true", help="time the data already built")
    parser.add_argument(
        "--skip-history-rollup",
        action="store_true",
        help="with --reuse: the history is rolled up already; time the rest",
    )
    args = parser.parse_args()
    setup_django()

    from django.db import connection

    from campaigns.metrics import program_metrics
    from campaigns.metrics.rollups import rollup_day, rollup_days, snapshot_expiry_forecast
    from campaigns.models import DailyBuyers
    from loyalty.models import Purchase, Store

    results: list = []
    if not args.reuse:
        print(f"Building {args.purchases:,} purchases over {args.days} days…", file=sys.stderr)
        timed("build the data", results, lambda: build(args.purchases, args.days, args.stores))
    today = NOW.date()
    yesterday = today - dt.timedelta(days=1)
    first = Purchase.objects.order_by("occurred_at").values_list("occurred_at", flat=True)[0]
    first = first.astimezone(MSK).date() - dt.timedelta(days=1)
    history = [first + dt.timedelta(days=i) for i in range((yesterday - first).days + 1)]
    if not (args.reuse and args.skip_history_rollup):
        timed(
            f"rollup of the whole history ({len(history)} days)",
            results,
            lambda: rollup_days(days=history, now=NOW),
        )
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {DailyBuyers._meta.db_table}")
    timed("rollup of one day (yesterday)", results, lambda: rollup_day(day=yesterday, now=NOW))
    timed(
        "count of the expiry forecast (nightly)",
        results,
        lambda: snapshot_expiry_forecast(now=NOW),
    )
    store = Store.objects.order_by("id").values_list("id", flat=True).first()
    periods = {
        "month": today.replace(day=1) if today.day > 1 else today - dt.timedelta(days=30),
        "quarter": today - dt.timedelta(days=90),
        "year": today - dt.timedelta(days=364),
    }
    for scope_label, scope in (("program", {}), ("store", {"store_id": store})):
        for period_label, start in periods.items():
            program_metrics(start=start, end=today, now=NOW, **scope)  # warm the caches once
            timed(
                f"program_metrics, {scope_label}, {period_label} ({start} – {today})",
                results,
                lambda start=start, scope=scope: program_metrics(
                    start=start, end=today, now=NOW, **scope
                ),
            )
    print(f"\n{Purchase.objects.count():,} purchases, {args.days} days, {args.stores} stores\n")
    print("| step | seconds |")
    print("|---|---:|")
    for label, seconds in results:
        print(f"| {label} | {seconds:.2f} |")


if __name__ == "__main__":
    main()
