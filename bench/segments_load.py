"""Benchmark: recomputing the segments over N members (default 1 000 000) — a full run, then an
incremental one after 1 % of the members bought again — with the wall time and peak memory.

    DATABASE_URL=postgres://postgres@127.0.0.1:55433/kopilka_bench_segments \
        .venv/bin/python bench/segments_load.py --members 1000000

The database must be a dedicated PostgreSQL one (created if missing, migrated, its members,
accounts, purchases and segments replaced). The data is made with generate_series: members who
joined over the last ~3 years, each with 0–6 purchases over the last 1.5 years (about 3 on
average, some refunded in part), plus a rule segment judged on every run ({"member_days": …}
and a segment) and an uploaded list of 10 000. Each recomputation runs in a child process of
its own (`campaigns.segments.recompute`, what `manage.py recompute_segments` and beat run), so
its peak memory (VmHWM, bench/memory.py) is its own. Prints a markdown table. Not run by the tests.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import burn  # the bench's own helpers, beside this file: database and Django setup

NOW_SQL = "timestamptz '2026-07-01 03:00:00+00'"
NOW_ISO = "2026-07-01T03:00:00+00:00"
NEXT_ISO = "2026-07-02T03:00:00+00:00"  # the incremental run: a day later
# A purchase's age in hours, spread over ~1.5 years (m: the member, k: their purchase).
HOURS_AGO = "((m::bigint * 7919 + k * 104729) %% 13000)"


def create_data(members: int) -> dict:
    from django.core.management import call_command
    from django.db import connection, transaction

    from campaigns.models import (
        MemberActivity,
        RfmSettings,
        Segment,
        SegmentCount,
        SegmentMember,
    )
    from campaigns.segment_lists import upload_static
    from customers.models import Member
    from loyalty.models import Account, Purchase
    from loyalty.services import record_purchase
    from tests.factories import PartnerFactory, make_member

    call_command("migrate", verbosity=0)
    member_t, account_t, purchase_t = (
        Member._meta.db_table,
        Account._meta.db_table,
        Purchase._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"TRUNCATE {SegmentMember._meta.db_table}, {SegmentCount._meta.db_table}, "
            f"{MemberActivity._meta.db_table}, {purchase_t}, {account_t}, {member_t} CASCADE"
        )
    Segment.objects.exclude(kind=Segment.Kind.RFM).delete()
    RfmSettings.objects.update(recomputed_at=None, recompute_started_at=None, recomputed_with="")
    partner = PartnerFactory(name="Bench partner")
    template = make_member()
    import datetime as dt

    record_purchase(
        member_id=template.pk,
        partner=partner,
        amount="1000.00",
        external_id="template",
        now=dt.datetime.fromisoformat(NOW_ISO),
    )
    joined = f"{NOW_SQL} - interval '1 hour' * (g %% 26000)"
    purchase_replace = {
        "id": "DEFAULT",
        "member_id": "t.member_id + m",
        "external_id": "'b' || m || '-' || k",
        "occurred_at": f"{NOW_SQL} - interval '1 hour' * {HOURS_AGO}",
        "created_at": f"{NOW_SQL} - interval '1 hour' * {HOURS_AGO}",
        "total": "100 + (m * 31 + k * 17) %% 4900",
        "refunded_total": "CASE WHEN (m + k) %% 20 = 0 THEN 50 ELSE 0 END",
    }
    with transaction.atomic(), connection.cursor() as cursor:
        burn.clone_members(cursor, template.pk, members, created_at=joined, updated_at=joined)
        cols = [c for c in burn._columns(cursor, purchase_t) if c != "id"]
        values = ", ".join(purchase_replace.get(c, f"t.{c}") for c in cols)
        cursor.execute(
            f"INSERT INTO {purchase_t} ({', '.join(cols)}) SELECT {values} "
            f"FROM {purchase_t} t, generate_series(1, %s) m, "
            f"LATERAL generate_series(1, (m * 2654435761 %% 7)::int) k "
            f"WHERE t.member_id = %s",
            [members, template.pk],
        )
        cursor.execute(f"SELECT count(*) FROM {purchase_t}")
        purchases = cursor.fetchone()[0]
    with connection.cursor() as cursor:
        for table in (member_t, account_t, purchase_t):
            cursor.execute(f"VACUUM ANALYZE {table}")
    Segment.objects.create(
        code="bench-loyal-active",
        name="bench",
        kind=Segment.Kind.RULE,
        conditions={"all": [{"member_days": {"gte": 365}}, {"segment": ["active", "vip"]}]},
    )
    static = Segment.objects.create(code="bench-list", name="bench", kind=Segment.Kind.STATIC)
    rows = [(i, f"+7901{g:07d}") for i, g in enumerate(range(1, members + 1, 100), start=1)]
    upload_static(
        segment=static, rows=rows[:10_000], replace=True, now=dt.datetime.fromisoformat(NOW_ISO)
    )
    return {"members": members + 1, "purchases": purchases}


def buy_again(share: float) -> int:
    """A purchase recorded after the first run for `share` of the members."""
    from django.db import connection

    from customers.models import Member
    from loyalty.models import Purchase

    purchase_t = Purchase._meta.db_table
    with connection.cursor() as cursor:
        cols = [c for c in burn._columns(cursor, purchase_t) if c != "id"]
        replace = {
            "member_id": "m.id",
            "external_id": "'again-' || m.id",
            "occurred_at": f"{NOW_SQL} + interval '2 hours'",
            "created_at": f"{NOW_SQL} + interval '2 hours'",
        }
        values = ", ".join(replace.get(c, f"t.{c}") for c in cols)
        step = round(1 / share)
        cursor.execute(
            f"INSERT INTO {purchase_t} ({', '.join(cols)}) SELECT {values} "
            f"FROM (SELECT * FROM {purchase_t} WHERE external_id = 'template') t, "
            f"{Member._meta.db_table} m WHERE m.id %% %s = 0",
            [step],
        )
        return cursor.rowcount


def child(now_iso: str, full: bool) -> None:
    """One recomputation alone in this process, so its peak memory (bench/memory.py) is its own."""
    import datetime as dt

    burn.setup_django()
    from campaigns.segments import recompute

    started = time.perf_counter()
    result = recompute(now=dt.datetime.fromisoformat(now_iso), full=full)
    seconds = time.perf_counter() - started
    from memory import peak_mb

    peak = peak_mb()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mb": peak,
                "full": result.full,
                "looked_at": result.looked_at,
                "sizes": {r.segment.code: [r.members, r.joined, r.left] for r in result.segments},
            }
        )
    )


def run_child(now_iso: str, full: bool) -> dict:
    command = [sys.executable, __file__, "--child", now_iso] + (["--full"] if full else [])
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=os.environ)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--changed", type=float, default=0.01, help="share who buy again")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--full", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.full)
        return

    burn.setup_django()
    print(f"Creating {args.members:,} members with purchases…", file=sys.stderr)
    started = time.perf_counter()
    made = create_data(args.members)
    print(
        f"  {time.perf_counter() - started:.0f} s: {made['members']:,} members, "
        f"{made['purchases']:,} purchases; full recomputation…",
        file=sys.stderr,
    )
    full = run_child(NOW_ISO, True)
    print(f"  {full['seconds']:.0f} s; {args.changed:.0%} buy again…", file=sys.stderr)
    bought = buy_again(args.changed)
    incremental = run_child(NEXT_ISO, False)
    print("| run | members | looked at | seconds | peak memory, MB |")
    print("|---|---:|---:|---:|---:|")
    for label, row in (("full", full), (f"incremental ({bought:,} bought again)", incremental)):
        print(
            f"| {label} | {made['members']:,} | {row['looked_at']:,} | {row['seconds']:.1f} "
            f"| {row['peak_mb']:.0f} |"
        )
    print()
    print("sizes after the full run (members, joined, left):", json.dumps(full["sizes"]))
    print("after the incremental run:", json.dumps(incremental["sizes"]))


if __name__ == "__main__":
    main()
