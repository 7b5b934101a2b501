"""Benchmark: the expiry reminder over a million members with lots, in bounded memory.

    DATABASE_URL=postgres://postgres@127.0.0.1:55433/kopilka_bench_expiry \
        .venv/bin/python bench/expiry_reminders.py --members 1000000 --due-share 0.1

The database must be a dedicated PostgreSQL one (created if missing, migrated, its members,
accounts, lots, consents and messages replaced). The script makes M members (generate_series
from one member made by the real enrolment service), each with an account and two lots: one
expiring within the next 30 days — within the reminder's 3 days for `--due-share` of them — and
one in five months. 70 % gave the SMS marketing consent, 30 % the e-mail one (both: 30 %), and
10 % of those with SMS only switched the expiry topic off for SMS (so they get nothing). Then,
in a child process (so its peak memory, VmHWM, is its own), the default expiry trigger (3 days)
runs as its beat job does (`run_trigger`, messages logged and left queued — delivery is the
Celery workers' work, not measured here), and a second run checks that nothing is written
twice. Prints the outcome counts, the seconds and the peak memory, and a
markdown row for docs/PERFORMANCE.md (target: ≤ 300 MB).
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
os.environ.setdefault("SECRET_KEY", "bench-only-secret-not-for-production")

NOW_SQL = "timestamptz '2026-07-01 09:00:00+00'"  # 12:00 in Moscow: not quiet hours
NOW_ISO = "2026-07-01T09:00:00+00:00"

sys.path.insert(0, str(Path(__file__).resolve().parent))
from burn import clone_members, setup_django  # noqa: E402  (the bench's own helpers, beside this file)


def create_data(members: int, due_share: float) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from campaigns.models import Message
    from customers.models import Consent, Member, NotificationPreference
    from loyalty.models import Account, LedgerEntry, PointLot
    from tests.factories import make_member

    call_command("migrate", verbosity=0)
    member_t, account_t = Member._meta.db_table, Account._meta.db_table
    lot_t, entry_t = PointLot._meta.db_table, LedgerEntry._meta.db_table
    consent_t, pref_t = Consent._meta.db_table, NotificationPreference._meta.db_table
    message_t = Message._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"TRUNCATE {message_t}, {entry_t}, {lot_t}, {account_t}, {consent_t}, {pref_t}, "
            f"{member_t} CASCADE"
        )
    template = make_member(first_name="Анна")
    due_every = max(1, round(1 / due_share)) if due_share > 0 else 0
    with transaction.atomic(), connection.cursor() as cursor:
        clone_members(cursor, template.pk, members, email="'m' || g || '@example.com'")
        # Lot 1: within 3 days for every `due_every`-th ten members (so who is due does not
        # depend on g % 10, which chooses the consents below), else 4-30 days away; lot 2: five
        # months away.
        cursor.execute(
            f"""
            INSERT INTO {lot_t} (account_id, source, points, remaining, is_pending,
                                 available_at, expires_at, purchase_id, created_at)
            SELECT %(first)s + g, 'earn', 50 + g %% 200, 50 + g %% 200, false,
                   {NOW_SQL} - interval '150 days',
                   {NOW_SQL} + CASE WHEN %(due_every)s > 0 AND (g / 10) %% %(due_every)s = 0
                                    THEN interval '1 hour' * (1 + g %% 70)
                                    ELSE interval '1 day' * (4 + g %% 27) END,
                   NULL::bigint, {NOW_SQL} - interval '150 days'
            FROM generate_series(1, %(members)s) g
            UNION ALL
            SELECT %(first)s + g, 'earn', 30, 30, false, {NOW_SQL} - interval '20 days',
                   {NOW_SQL} + interval '150 days', NULL, {NOW_SQL} - interval '20 days'
            FROM generate_series(1, %(members)s) g
            """,
            {"first": template.pk, "members": members, "due_every": due_every},
        )
        cursor.execute(
            f"""
            INSERT INTO {entry_t} (account_id, kind, points, pending_change, lot_id, reason,
                                   expires_at, created_at)
            SELECT account_id, 'earn', points, 0, id, '', expires_at, created_at FROM {lot_t}
            """
        )
        cursor.execute(
            f"""
            UPDATE {account_t} a SET available = s.av, lifetime_earned = s.av
            FROM (SELECT account_id, sum(remaining) AS av FROM {lot_t} GROUP BY account_id) s
            WHERE a.member_id = s.account_id
            """
        )
        cursor.execute(
            f"""
            INSERT INTO {consent_t} (member_id, kind, given_at, source, text_version, text,
                                     withdrawn_source)
            SELECT %(first)s + g, k.kind, {NOW_SQL} - interval '200 days', 'bench', 'v1', '', ''
            FROM generate_series(1, %(members)s) g
            JOIN (VALUES ('marketing_sms', 10, 7), ('marketing_email', 10, 3)) k(kind, m, r)
              ON g %% k.m < k.r
            """,
            {"first": template.pk, "members": members},
        )
        cursor.execute(
            f"""
            INSERT INTO {pref_t} (member_id, channel, kind, enabled)
            SELECT %(first)s + g, 'sms', 'expiry', false
            FROM generate_series(1, %(members)s) g WHERE g %% 10 = 6
            """,
            {"first": template.pk, "members": members},
        )
    with connection.cursor() as cursor:
        for table in (member_t, account_t, lot_t, entry_t, consent_t, pref_t):
            cursor.execute(f"VACUUM ANALYZE {table}")


def child() -> None:
    """Run the expiry trigger twice, alone in this process (so the peak memory is its own)."""
    import datetime as dt

    setup_django()
    import time_machine

    from campaigns import messaging
    from campaigns.models import Message, Trigger

    now = dt.datetime.fromisoformat(NOW_ISO)
    trigger = Trigger.objects.get(kind=Trigger.Kind.EXPIRY, code="expiry")
    with time_machine.travel(now, tick=False):
        started = time.perf_counter()
        first = messaging.run_trigger(trigger, now=now, enqueue=False)
        seconds = time.perf_counter() - started
        started = time.perf_counter()
        second = messaging.run_trigger(trigger, now=now, enqueue=False)
        again = time.perf_counter() - started
    from memory import peak_mb

    peak = peak_mb()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "second_run_seconds": again,
                "found": first.found,
                "line": first.line(),
                "second_line": second.line(),
                "messages": Message.objects.count(),
                "peak_mb": peak,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--due-share", type=float, default=0.1)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child()
        return
    setup_django()
    print(f"Creating {args.members:,} members with lots…", file=sys.stderr)
    started = time.perf_counter()
    create_data(args.members, args.due_share)
    print(f"  {time.perf_counter() - started:.1f} s; running the trigger…", file=sys.stderr)
    out = subprocess.run(
        [sys.executable, __file__, "--child"],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(result["line"])
    print(result["second_line"])
    print(
        f"{result['seconds']:.1f} s for {result['found']:,} occasions "
        f"({result['found'] / result['seconds']:,.0f}/s), second run "
        f"{result['second_run_seconds']:.1f} s, {result['messages']:,} messages logged, "
        f"peak memory {result['peak_mb']:.0f} MB (target ≤ 300 MB)"
    )
    print("| members | due | occasions/s | first run, s | second run, s | peak memory, MB |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {args.members:,} | {result['found']:,} | {result['found'] / result['seconds']:,.0f} "
        f"| {result['seconds']:.1f} | {result['second_run_seconds']:.1f} "
        f"| {result['peak_mb']:.0f} |"
    )


if __name__ == "__main__":
    main()
