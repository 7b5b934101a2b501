"""Benchmark: a bulk award and its undo for N members (campaigns/bulk.py), chunk by chunk.

    DATABASE_URL=postgres://postgres@127.0.0.1:55432/kopilka_bench_bulk \
        .venv/bin/python bench/bulk_award.py --members 10000 [--chunk 500]

The database must be a dedicated PostgreSQL one (it is created if missing, migrated, and its
members, accounts, lots and entries are replaced). N members are cloned from one enrolled member
(bench/burn.py), each given one lot of 100 points; a static segment holds them all. The script
times: the preview, the submission (one item per member), the run (the points moved, every
chunk one transaction) and the undo; then runs the ledger audit and prints a markdown row.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from burn import clone_members, setup_django


def create_data(members: int):
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from campaigns.models import BulkOperation, Segment, SegmentMember
    from customers.models import Member
    from loyalty.models import Account, LedgerEntry, PointLot
    from loyalty.services import adjust_points
    from tests.factories import make_member

    call_command("migrate", verbosity=0)
    tables = [
        m._meta.db_table
        for m in (SegmentMember, BulkOperation, LedgerEntry, PointLot, Account, Member)
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
    now = timezone.now()
    template = make_member(now=now)
    adjust_points(member_id=template.pk, points=100, reason="bench", staff=None, now=now)
    lot_t, entry_t = PointLot._meta.db_table, LedgerEntry._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        clone_members(cursor, template.pk, members - 1)
        cursor.execute(
            f"INSERT INTO {lot_t} (account_id, source, points, remaining, is_pending, "
            "available_at, expires_at, purchase_id, created_at) "
            "SELECT %s + g, source, points, remaining, is_pending, available_at, expires_at, "
            f"NULL, created_at FROM {lot_t} t, generate_series(1, %s) g WHERE t.account_id = %s",
            [template.pk, members - 1, template.pk],
        )
        cursor.execute(
            f"INSERT INTO {entry_t} (account_id, kind, points, pending_change, lot_id, reason, "
            "expires_at, created_at) SELECT account_id, 'adjust', points, 0, id, 'bench', "
            f"expires_at, created_at FROM {lot_t} WHERE account_id > %s",
            [template.pk],
        )
    Segment.objects.filter(code="bench-bulk").delete()
    segment = Segment.objects.create(code="bench-bulk", name="bench", kind=Segment.Kind.STATIC)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {SegmentMember._meta.db_table} (segment_id, member_id, since) "
            f"SELECT %s, id, now() FROM {Member._meta.db_table}",
            [segment.pk],
        )
        for table in tables:
            cursor.execute(f"VACUUM ANALYZE {table}")
    return segment


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--chunk", type=int, default=None)
    args = parser.parse_args()
    setup_django()
    from django.utils import timezone

    from campaigns import bulk
    from loyalty.models import Program
    from loyalty.services.audit import ledger_problems
    from loyalty.services.program import clear_cache

    segment = create_data(args.members)
    Program.objects.filter(pk=1).update(approval_threshold=0)
    clear_cache()
    chunk = args.chunk or bulk.CHUNK
    now = timezone.now()
    operation = bulk.create_operation(
        kind="award", points=50, reason="bench", segment=segment, staff=None, now=now
    )
    timings = {}
    started = time.perf_counter()
    view = bulk.preview(operation)
    timings["preview"] = time.perf_counter() - started
    bulk._enqueue = lambda *args: None  # run in this process, timed below
    started = time.perf_counter()
    bulk.submit_operation(operation_id=operation.pk, staff=None, now=now)
    timings["submit"] = time.perf_counter() - started
    started = time.perf_counter()
    done = bulk.run_operation(operation_id=operation.pk, now=now, chunk_size=chunk)
    timings["run"] = time.perf_counter() - started
    bulk.request_undo(operation_id=operation.pk, staff=None, now=now)
    started = time.perf_counter()
    undone = bulk.undo_operation(operation_id=operation.pk, now=now, chunk_size=chunk)
    timings["undo"] = time.perf_counter() - started
    problems = ledger_problems()
    assert view.affected == done == undone == args.members, (view.affected, done, undone)
    assert problems == [], problems[:5]
    print({k: round(v, 2) for k, v in timings.items()})
    print(
        f"| bulk award, {args.members} members, chunks of {chunk} | preview "
        f"{timings['preview']:.2f} s | submit {timings['submit']:.2f} s | run "
        f"{timings['run']:.1f} s ({args.members / timings['run']:.0f} members/s) | undo "
        f"{timings['undo']:.1f} s ({args.members / timings['undo']:.0f} members/s) |"
    )


if __name__ == "__main__":
    main()
