"""Cashier desk: server time of a lookup → result card round trip, with many members.

Fills the database named by DATABASE_URL (created and migrated if missing) with N members
in the +7 999 range, each with an account and one lot, by COPY and INSERT … SELECT; then
drives the desk in-process with Django's test Client as a cashier: POST the lookup field, follow
the redirect to the member card. Prints p50/p95 in ms as markdown rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:55432/kopilka_desk_bench \
        .venv/bin/python bench/desk_lookup.py --members 100000 --lookups 300

Use a throwaway database: it is filled, not cleaned.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Benchmarks run with DEBUG=false, which refuses the public development key.
os.environ.setdefault("SECRET_KEY", "bench-only-secret-not-for-production")

PHONE_PREFIX = "+7999"
CARD_PREFIX = "29"  # in-store range, apart from the real cards' "27"
FIRST = ["Анна", "Иван", "Мария", "Олег", "Елена", "Пётр", "Ольга", "Сергей"]
LAST = ["Кузнецова", "Иванов", "Смирнова", "Попов", "Соколова", "Лебедев"]


def ensure_database() -> None:
    import environ
    import psycopg

    cfg = environ.Env.db_url_config(os.environ["DATABASE_URL"])
    admin = psycopg.connect(
        host=cfg["HOST"],
        port=cfg["PORT"] or 5432,
        user=cfg["USER"],
        password=cfg["PASSWORD"],
        dbname="postgres",
        autocommit=True,
    )
    with admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]]
        ).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{cfg["NAME"]}"')


def card_number(i: int) -> str:
    from customers.cards import ean13_check_digit

    body = f"{CARD_PREFIX}{i:010d}"
    return body + ean13_check_digit(body)


def fill(members: int) -> None:
    from django.db import connection

    from customers.models import Member
    from loyalty.services.accounts import entry_tier

    have = Member.objects.filter(phone__startswith=PHONE_PREFIX).count()
    started = time.perf_counter()
    rng = random.Random(have)
    columns = (
        "phone, email, first_name, last_name, card_number, status, channel, "
        "referral_code, language, created_at, updated_at"
    )
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY customers_member ({columns}) FROM STDIN") as copy:
            for i in range(have, members):
                copy.write_row(
                    (
                        f"{PHONE_PREFIX}{i:07d}",
                        "",
                        rng.choice(FIRST),
                        rng.choice(LAST),
                        card_number(i),
                        "active",
                        "import",
                        f"B{i:09d}",
                        "ru",
                        "2026-01-01T00:00:00Z",
                        "2026-01-01T00:00:00Z",
                    )
                )
        cursor.execute(
            """
            INSERT INTO loyalty_account (member_id, available, pending, debt, lifetime_earned,
                                         tier_id, tier_since, created_at, updated_at)
            SELECT m.id, 500, 0, 0, 500, %s, now(), now(), now()
            FROM customers_member m
            WHERE NOT EXISTS (SELECT 1 FROM loyalty_account a WHERE a.member_id = m.id)
            """,
            [entry_tier().pk],
        )
        cursor.execute(
            """
            INSERT INTO loyalty_pointlot (account_id, source, points, remaining, is_pending,
                                          available_at, expires_at, created_at)
            SELECT a.member_id, 'bonus', 500, 500, false, now() - interval '1 day',
                   now() + (1 + a.member_id % 180) * interval '1 day', now()
            FROM loyalty_account a
            WHERE NOT EXISTS (SELECT 1 FROM loyalty_pointlot l WHERE l.account_id = a.member_id)
            """
        )
        cursor.execute("ANALYZE customers_member, loyalty_account, loyalty_pointlot")
    added = max(0, members - have)
    print(f"added {added} members (and accounts, lots) in {time.perf_counter() - started:.1f} s")


def cashier():
    from django.contrib.auth import get_user_model

    from loyalty.models import Partner, Program, StaffAssignment, Store
    from loyalty.services.program import clear_cache

    partner, _ = Partner.objects.get_or_create(name="Bench partner")
    store, _ = Store.objects.get_or_create(partner=partner, name="Bench store")
    user, _ = get_user_model().objects.get_or_create(
        username="bench-cashier", defaults={"is_staff": True}
    )
    StaffAssignment.objects.update_or_create(user=user, defaults={"store": store})
    # The bench is one cashier doing hundreds of lookups: lift the per-minute limit for it.
    Program.objects.filter(pk=1).update(desk_lookups_per_minute=32767)
    clear_cache()
    return user


def measure(client, queries: list[str]) -> list[float]:
    times = []
    for q in queries:
        started = time.perf_counter()
        response = client.post("/desk/", {"q": q})
        if response.status_code == 302:
            page = client.get(response["Location"])
            assert page.status_code == 200, page.status_code
        else:
            assert response.status_code == 200, response.status_code  # a list of matches
        times.append((time.perf_counter() - started) * 1000)
    return times


def p50_p95(times: list[float]) -> tuple[float, float]:
    return statistics.median(times), statistics.quantiles(times, n=100)[94]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=300, help="per kind of query")
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        sys.exit("Set DATABASE_URL to a throwaway PostgreSQL database.")

    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    fill(args.members)
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    client.force_login(cashier())

    rng = random.Random(42)
    picks = [rng.randrange(args.members) for _ in range(args.lookups)]
    phones = [f"8 (999) {i // 10000:03d}-{i // 100 % 100:02d}-{i % 100:02d}" for i in picks]
    cards = [card_number(i) for i in picks]
    tails = [f"{rng.randrange(10000):04d}" for _ in range(max(10, args.lookups // 10))]
    measure(client, phones[:20] + cards[:20])  # warm up: connections, caches, templates

    # Baseline in the same run: the cheapest request through the same stack (one SELECT 1).
    baseline = []
    for _ in range(args.lookups):
        started = time.perf_counter()
        client.get("/healthz")
        baseline.append((time.perf_counter() - started) * 1000)
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    print("| members | requests | query | p50, ms | p95, ms |")
    print("|---:|---:|---|---:|---:|")
    b50, b95 = p50_p95(baseline)
    print(
        f"| {args.members:,} | {len(baseline)} | baseline: GET /healthz | {b50:.1f} | {b95:.1f} |"
    )
    for label, queries in (
        ("phone, other notation", phones),
        ("card number", cards),
        ("last 4 digits (list)", tails),
    ):
        p50, p95 = p50_p95(measure(client, queries))
        print(f"| {args.members:,} | {len(queries)} | {label} | {p50:.1f} | {p95:.1f} |")


if __name__ == "__main__":
    main()
