"""Benchmark of the tier review (`loyalty.services.review_tiers`) on a large member base.

    DATABASE_URL=postgres://postgres@127.0.0.1:55432/kopilka_bench \
        .venv/bin/python bench/review_tiers.py --members 100000

Builds M members with accounts and a purchase history directly in SQL (generate_series):
1–7 purchases each (about 4), spread over the 18 months before the review, about 3 % refunded
whole and 3 % half; every account starts at the tier its 18-month spend would have reached
(as if upgrades happened and no review ran), 10 % with a grace period that began 40 days ago,
1 % pinned to Silver. Then it times three reviews, each in a fresh Python process so its peak
memory (VmHWM, bench/memory.py) is its own: the first review, the same review again (nothing
left to do), and a review 31 days later (the downgrades due). It prints markdown rows for
docs/PERFORMANCE.md, with a baseline: one SQL aggregate of every member's qualifying spend.

The database must be empty, or a bench database made by this script earlier (`--reset`
rebuilds everything; `--keep` keeps members and purchases and rebuilds only the accounts).
"""

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Benchmarks run with DEBUG=false, which refuses the public development key.
os.environ.setdefault("SECRET_KEY", "bench-only-secret-not-for-production")

MOSCOW = ZoneInfo("Europe/Moscow")
NOW = dt.datetime(2026, 11, 20, 3, 30, tzinfo=MOSCOW)


def setup_django():
    import django

    django.setup()  # settings refuse any database but PostgreSQL
    from django.db import connection

    return connection


MEMBERS_SQL = """
INSERT INTO customers_member (id, phone, email, first_name, last_name, card_number, status,
    channel, referral_code, language, created_at, updated_at)
SELECT g, '+7900' || lpad(g::text, 7, '0'), '', '', '', lpad(g::text, 13, '0'), 'active',
    'import', 'B' || lpad(g::text, 11, '0'), 'ru', %(start)s, %(start)s
FROM generate_series(1, %(members)s) g;
SELECT setval(pg_get_serial_sequence('customers_member', 'id'), %(members)s);
"""

PURCHASES_SQL = """
SELECT setseed(0.42);
INSERT INTO loyalty_purchase (external_id, occurred_at, total, discount, redeemed_points,
    earned_points, earn_base, refunded_total, refunded_discount, returned_points,
    clawed_back_points, forfeited_points, idempotency_key, created_at, member_id, partner_id)
SELECT 'b' || m || '-' || i, at, total, 0, 0, 0, total,
    CASE WHEN r < 0.03 THEN total WHEN r < 0.06 THEN round(total / 2, 2) ELSE 0 END,
    0, 0, 0, 0, '', at, m, %(partner)s
FROM (
    SELECT m, i, %(now)s - random() * interval '548 days' AS at,
        round((300 + random() * 9700)::numeric, 2) AS total, random() AS r
    FROM generate_series(1, %(members)s) m
    CROSS JOIN LATERAL generate_series(1, 1 + (m::bigint * 7919 + 13) %% 7) i
) p;
"""

ACCOUNTS_SQL = """
SELECT setseed(0.17);
INSERT INTO loyalty_account (member_id, available, pending, debt, lifetime_earned, tier_since,
    below_tier_since, created_at, updated_at, pinned_tier_id, tier_id)
SELECT m.id, 0, 0, 0, 0, %(start)s,
    CASE WHEN r < 0.10 THEN %(now)s - interval '40 days' END,
    %(start)s, %(start)s,
    CASE WHEN r >= 0.10 AND r < 0.11 THEN %(silver)s END,
    CASE WHEN s.spend >= 30000 THEN %(gold)s WHEN s.spend >= 10000 THEN %(silver)s
         ELSE %(base)s END
FROM (SELECT id, random() AS r FROM customers_member) m
LEFT JOIN (
    SELECT member_id, sum(total - discount - refunded_total + refunded_discount) AS spend
    FROM loyalty_purchase GROUP BY member_id
) s ON s.member_id = m.id
ORDER BY m.id;
"""

BASELINE_SQL = """
SELECT count(*) FROM (
    SELECT member_id, sum(total - discount - refunded_total + refunded_discount)
    FROM loyalty_purchase WHERE occurred_at >= %(start)s GROUP BY member_id
) s
"""


def build(connection, members: int, keep: bool, reset: bool) -> None:
    from loyalty.models import Program, Tier
    from loyalty.services.program import clear_cache

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM customers_member")
        existing = cur.fetchone()[0]
        if existing and not (keep or reset):
            sys.exit(f"{existing} members already here: use --reset or --keep")
        if keep and existing != members:
            sys.exit(f"--keep needs the same --members as the data here ({existing})")
        Program.objects.filter(pk=1).update(
            tier_window_months=12, tier_downgrade_policy="one_down", tier_grace_days=30
        )
        clear_cache()
        tiers = {t.code: t.pk for t in Tier.objects.all()}
        started = time.perf_counter()
        if keep:
            cur.execute("TRUNCATE loyalty_tierchange, loyalty_account CASCADE")
        else:
            cur.execute(
                "TRUNCATE loyalty_tierchange, loyalty_account, loyalty_purchase, "
                "customers_member CASCADE"
            )
            cur.execute(
                "INSERT INTO loyalty_partner (name, is_active, created_at) "
                "VALUES ('Bench', true, %s) ON CONFLICT (name) DO NOTHING",
                [NOW],
            )
            cur.execute("SELECT id FROM loyalty_partner WHERE name = 'Bench'")
            partner = cur.fetchone()[0]
            start = NOW - dt.timedelta(days=600)
            cur.execute(MEMBERS_SQL, {"members": members, "start": start})
            cur.execute(PURCHASES_SQL, {"members": members, "now": NOW, "partner": partner})
        cur.execute(
            ACCOUNTS_SQL,
            {"now": NOW, "start": NOW - dt.timedelta(days=600), **tiers},
        )
        cur.execute("ANALYZE customers_member, loyalty_purchase, loyalty_account")
        print(f"built in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def run_review(now: dt.datetime, batch_size: int) -> None:
    """In the child process: time one review, print JSON."""
    setup_django()
    from memory import peak_mb

    from loyalty.services import review_tiers

    before = peak_mb() * 1024
    started = time.perf_counter()
    stats = review_tiers(now=now, batch_size=batch_size)
    elapsed = time.perf_counter() - started
    peak = peak_mb() * 1024
    print(json.dumps({"seconds": elapsed, "rss_before_kb": before, "peak_kb": peak, **stats}))


def review_in_child(now: dt.datetime, batch_size: int) -> dict:
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child-review",
            now.isoformat(),
            "--batch-size",
            str(batch_size),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--reset", action="store_true", help="drop what is here and rebuild")
    parser.add_argument("--keep", action="store_true", help="keep members and purchases")
    parser.add_argument("--child-review", metavar="ISO", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_review:
        run_review(dt.datetime.fromisoformat(args.child_review), args.batch_size)
        return

    connection = setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    build(connection, args.members, args.keep, args.reset)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM loyalty_purchase")
        purchases = cur.fetchone()[0]
        started = time.perf_counter()
        cur.execute(BASELINE_SQL, {"start": NOW - dt.timedelta(days=365)})
        cur.fetchone()
        baseline = time.perf_counter() - started
    connection.close()

    runs = [
        ("first review", NOW),
        ("same review again", NOW),
        ("31 days later", NOW + dt.timedelta(days=31)),
    ]
    scale = 1_000_000 / args.members
    print(
        "| members | purchases | run | tier changes | grace started/ended | seconds "
        "| peak RSS, MB | seconds at 1 M (×"
        f"{scale:g}) |"
    )
    print("|---:|---:|---|---:|---:|---:|---:|---:|")
    for label, now in runs:
        r = review_in_child(now, args.batch_size)
        print(
            f"| {args.members:,} | {purchases:,} | {label} | {r['upgraded'] + r['downgraded']:,} "
            f"| {r['grace_started']:,}/{r['grace_ended']:,} | {r['seconds']:.1f} "
            f"| {r['peak_kb'] / 1024:.0f} (at start {r['rss_before_kb'] / 1024:.0f}) "
            f"| {r['seconds'] * scale:.0f} |"
        )
    print(
        f"| {args.members:,} | {purchases:,} | baseline: one SQL aggregate of every member's "
        f"spend | | | {baseline:.1f} | | {baseline * scale:.0f} |"
    )


if __name__ == "__main__":
    main()
