"""Benchmark: burning expired points with the service vs. the plain SQL that does the same work.

    DATABASE_URL=postgres://postgres@127.0.0.1:55432/kopilka_bench_burn \
        .venv/bin/python bench/burn.py --lots 100000

The database must be a dedicated PostgreSQL one (it is created if missing, migrated, and its
members, accounts, lots and entries are replaced). The script creates N lots due to expire
(with their earn entries and consistent balances) with generate_series, times
`burn_expired_points` (the service behind `manage.py burn_points`) in a child process and
reads that process's peak memory (VmHWM, bench/memory.py), then recreates identical data and
times one plain SQL statement that zeroes the lots, writes one expire entry per lot and
updates the balances. It checks both left the same ledger and prints the ratio and a markdown row.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Benchmarks run with DEBUG=false, which refuses the public development key.
os.environ.setdefault("SECRET_KEY", "bench-only-secret-not-for-production")

NOW_SQL = "timestamptz '2026-07-01 03:00:00+00'"
NOW_ISO = "2026-07-01T03:00:00+00:00"


def setup_django():
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a dedicated PostgreSQL database (it will be overwritten).")
    ensure_database(url)
    import django

    django.setup()


def ensure_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    name = name.split("?")[0]
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _columns(cursor, table: str) -> list[str]:
    from django.db import connection

    return [c.name for c in connection.introspection.get_table_description(cursor, table)]


# How a cloned member differs from the template: unique phone, card and referral code, no e-mail.
MEMBER_CLONE = {
    "id": "t.id + g",
    "phone": "'+7901' || lpad(g::text, 7, '0')",
    "card_number": "lpad(g::text, 13, '0')",
    "referral_code": "'B' || g",
    "email": "''",
}


def clone_members(cursor, template_id: int, count: int, **columns: str) -> None:
    """`count` copies of the template member (ids template + 1 … template + count), each with
    its account copied too; `columns` overrides MEMBER_CLONE's SQL expressions (over `g`)."""
    from customers.models import Member
    from loyalty.models import Account

    member_t, account_t = Member._meta.db_table, Account._meta.db_table
    replace = {**MEMBER_CLONE, **columns}
    cols = _columns(cursor, member_t)
    values = ", ".join(replace.get(c, f"t.{c}") for c in cols)
    cursor.execute(
        f"INSERT INTO {member_t} ({', '.join(cols)}) SELECT {values} "
        f"FROM {member_t} t, generate_series(1, %s) g WHERE t.id = %s",
        [count, template_id],
    )
    cols = _columns(cursor, account_t)
    values = ", ".join("t.member_id + g" if c == "member_id" else f"t.{c}" for c in cols)
    cursor.execute(
        f"INSERT INTO {account_t} ({', '.join(cols)}) SELECT {values} "
        f"FROM {account_t} t, generate_series(1, %s) g WHERE t.member_id = %s",
        [count, template_id],
    )


def create_data(lots: int, per_account: int) -> int:
    """N lots due to expire over N / per_account members, one in ten still pending."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from customers.models import Member
    from loyalty.models import Account, LedgerEntry, PointLot
    from tests.factories import make_member

    call_command("migrate", verbosity=0)
    accounts = max(1, lots // per_account)
    member_t, account_t = Member._meta.db_table, Account._meta.db_table
    lot_t, entry_t = PointLot._meta.db_table, LedgerEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {entry_t}, {lot_t}, {account_t}, {member_t} CASCADE")
    template = make_member()  # every column filled the way the code does
    with transaction.atomic(), connection.cursor() as cursor:
        clone_members(cursor, template.pk, accounts)
        cursor.execute(
            f"""
            INSERT INTO {lot_t} (account_id, source, points, remaining, is_pending,
                                 available_at, expires_at, purchase_id, created_at)
            SELECT %(first)s + 1 + (g %% %(accounts)s), 'earn', 10 + g %% 90, 10 + g %% 90,
                   g %% 10 = 0,
                   {NOW_SQL} - interval '1 day' * (g %% 30) - interval '1 month',
                   {NOW_SQL} - interval '1 minute' * (g %% 10000),
                   NULL, {NOW_SQL} - interval '6 months'
            FROM generate_series(1, %(lots)s) g
            """,
            {"first": template.pk, "accounts": accounts, "lots": lots},
        )
        cursor.execute(
            f"""
            INSERT INTO {entry_t} (account_id, kind, points, pending_change, lot_id, reason,
                                   expires_at, created_at)
            SELECT account_id, 'earn', points, CASE WHEN is_pending THEN points ELSE 0 END,
                   id, '', expires_at, created_at
            FROM {lot_t}
            """
        )
        cursor.execute(
            f"""
            UPDATE {account_t} a
            SET available = s.av, pending = s.pe, lifetime_earned = s.av + s.pe
            FROM (SELECT account_id,
                         coalesce(sum(remaining) FILTER (WHERE NOT is_pending), 0) AS av,
                         coalesce(sum(remaining) FILTER (WHERE is_pending), 0) AS pe
                  FROM {lot_t} GROUP BY account_id) s
            WHERE a.member_id = s.account_id
            """
        )
    with connection.cursor() as cursor:
        for table in (member_t, account_t, lot_t, entry_t):
            cursor.execute(f"VACUUM ANALYZE {table}")
    return accounts


PLAIN_SQL = f"""
WITH due AS (
    SELECT id, account_id, remaining, is_pending, expires_at FROM loyalty_pointlot
    WHERE remaining > 0 AND expires_at <= {NOW_SQL}
    FOR NO KEY UPDATE
), zeroed AS (
    UPDATE loyalty_pointlot l SET remaining = 0, is_pending = false FROM due WHERE l.id = due.id
), entries AS (
    INSERT INTO loyalty_ledgerentry (account_id, kind, points, pending_change, lot_id, reason,
                                     expires_at, created_at)
    SELECT account_id, 'expire', -remaining, CASE WHEN is_pending THEN -remaining ELSE 0 END,
           id, '', expires_at, {NOW_SQL}
    FROM due
)
UPDATE loyalty_account a
SET available = a.available - s.av, pending = a.pending - s.pe, updated_at = {NOW_SQL}
FROM (SELECT account_id,
             coalesce(sum(remaining) FILTER (WHERE NOT is_pending), 0) AS av,
             coalesce(sum(remaining) FILTER (WHERE is_pending), 0) AS pe
      FROM due GROUP BY account_id) s
WHERE a.member_id = s.account_id
"""


def run_plain_sql() -> float:
    from django.db import connection, transaction

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(PLAIN_SQL)
    return time.perf_counter() - started


def ledger_state() -> dict:
    from django.db.models import Sum

    from loyalty.models import Account, LedgerEntry, PointLot

    return {
        "expire_entries": LedgerEntry.objects.filter(kind="expire").count(),
        "expired_points": LedgerEntry.objects.filter(kind="expire").aggregate(s=Sum("points"))["s"],
        "points_left": PointLot.objects.aggregate(s=Sum("remaining"))["s"],
        "balances": Account.objects.aggregate(a=Sum("available"), p=Sum("pending")),
    }


def child(batch_size: int | None) -> None:
    """Run the service alone in this process, so its peak memory (bench/memory.py) is its own."""
    import datetime as dt

    setup_django()
    from loyalty.services import burn_expired_points

    now = dt.datetime.fromisoformat(NOW_ISO)
    kwargs = {"batch_size": batch_size} if batch_size else {}
    started = time.perf_counter()
    count = burn_expired_points(now=now, **kwargs)
    seconds = time.perf_counter() - started
    from memory import peak_mb

    peak = peak_mb()
    print(json.dumps({"seconds": seconds, "count": count, "peak_mb": peak}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lots", type=int, default=1_000_000)
    parser.add_argument("--lots-per-account", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.batch_size)
        return

    setup_django()
    from loyalty.services.audit import ledger_problems

    print(f"Creating {args.lots:,} due lots…", file=sys.stderr)
    started = time.perf_counter()
    accounts = create_data(args.lots, args.lots_per_account)
    print(f"  {time.perf_counter() - started:.1f} s; running the service…", file=sys.stderr)
    command = [sys.executable, __file__, "--child"]
    if args.batch_size:
        command += ["--batch-size", str(args.batch_size)]
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=os.environ)
    service = json.loads(out.stdout.strip().splitlines()[-1])
    service_state = ledger_state()
    problems = ledger_problems() if args.lots <= 200_000 else []

    print("  recreating the same data; running the plain SQL…", file=sys.stderr)
    create_data(args.lots, args.lots_per_account)
    sql_seconds = run_plain_sql()
    sql_state = ledger_state()

    assert service["count"] == args.lots, service
    assert service_state == sql_state, (service_state, sql_state)
    assert problems == [], problems[:5]
    ratio = service["seconds"] / sql_seconds
    print(
        f"service {service['seconds']:.2f} s, plain SQL {sql_seconds:.2f} s, "
        f"ratio {ratio:.2f}×, service peak memory {service['peak_mb']:.0f} MB "
        f"(targets: ≤ 3×, < 300 MB)"
    )
    print("| lots | accounts | service, s | plain SQL, s | ratio | peak memory, MB |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {args.lots:,} | {accounts:,} | {service['seconds']:.2f} | {sql_seconds:.2f} "
        f"| {ratio:.2f}× | {service['peak_mb']:.0f} |"
    )


if __name__ == "__main__":
    main()
