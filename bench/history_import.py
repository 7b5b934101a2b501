"""Benchmark: the history import of N purchases (and the members they belong to), in bounded memory.

    DATABASE_URL=postgres://postgres@127.0.0.1:55432/kopilka_bench_history \
        .venv/bin/python bench/history_import.py --purchases 1000000 [--members 50000] \
        [--chunk 2000] [--skip-dry-run] [--compare-import-export 5000]

The database must be a dedicated PostgreSQL one (it is created if missing, migrated, and its
members, accounts, purchases, lots, entries and import jobs are deleted). The script writes a
members CSV (default: one member per 20 purchases) and a purchases CSV (members round-robin,
checks over the last two years) to a temporary folder, then runs each import job — members,
a dry run of the purchases, the purchases for real — in a child process of its own, timing it
and reading that process's peak memory (VmHWM, bench/memory.py), the way the Celery worker
would run it (loyalty.services.history.process_history_import). It checks the ledger audit and
the counts, and prints a markdown table for docs/PERFORMANCE.md.

`--compare-import-export K` also times django-import-export's own row loop
(`ModelResource.import_data(dry_run=True)` on a Purchase resource) over the first K purchase
rows, to show why the import writes chunks in bulk instead.
"""

import argparse
import csv
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-not-for-production")

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
PARTNER = "Bench partner"


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


def phone(i: int) -> str:
    return f"+7916{i:07d}"


def write_files(folder: Path, members: int, purchases: int) -> tuple[Path, Path]:
    rng = random.Random(19)
    members_csv, purchases_csv = folder / "members.csv", folder / "purchases.csv"
    with members_csv.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(["phone", "first_name", "joined_at", "opening_balance"])
        for i in range(members):
            joined = NOW - dt.timedelta(days=800 + i % 1000)
            balance = rng.choice(["", "", "150", "1200"])
            writer.writerow([phone(i), f"Member {i}", f"{joined:%Y-%m-%d %H:%M}", balance])
    with purchases_csv.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(["phone", "partner", "check_number", "bought_at", "total"])
        for i in range(purchases):
            at = NOW - dt.timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
            total = f"{rng.randrange(100, 900_000) / 100:.2f}".replace(".", ",")
            writer.writerow([phone(i % members), PARTNER, f"H-{i}", f"{at:%Y-%m-%d %H:%M}", total])
    return members_csv, purchases_csv


def reset() -> None:
    from django.core.management import call_command
    from django.db import connection

    from loyalty.models import Partner

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE loyalty_historyimportproblem, loyalty_historyimport, loyalty_ledgerentry, "
            "loyalty_pointlot, loyalty_purchaseline, loyalty_purchase, loyalty_tierchange, "
            "loyalty_account, customers_member CASCADE"
        )
    Partner.objects.get_or_create(name=PARTNER)


def create_job(kind: str, path: Path, *, dry_run: bool) -> int:
    from django.core.files import File

    from loyalty.services.history import start_history_import

    with path.open("rb") as handle:
        job = start_history_import(
            kind=kind, file=File(handle, name=path.name), dry_run=dry_run, language="en", now=NOW
        )
    return job.pk


def run_child(job_id: int, chunk: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(job_id), "--chunk", str(chunk)],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def child(job_id: int, chunk: int) -> None:
    setup_django()
    from memory import peak_mb

    from loyalty.services.history import process_history_import

    started = time.perf_counter()
    job = process_history_import(job_id=job_id, now=NOW, chunk_size=chunk)
    seconds = time.perf_counter() - started
    result = {
        "seconds": seconds,
        "peak_mb": peak_mb(),
        "status": job.status,
        "failure": job.failure,
        "rows": job.rows_processed,
        "imported": job.rows_imported,
        "skipped": job.rows_skipped,
        "failed": job.rows_failed,
    }
    print(json.dumps(result))


def compare_child(path: str, rows: int) -> None:
    """django-import-export's own loop over `rows` purchase rows, as a dry run."""
    setup_django()
    import tablib
    from import_export import fields, resources, widgets
    from memory import peak_mb

    from customers.models import Member
    from loyalty.models import Partner, Purchase

    class PurchaseResource(resources.ModelResource):
        member = fields.Field(
            attribute="member",
            column_name="phone",
            widget=widgets.ForeignKeyWidget(Member, field="phone"),
        )
        partner = fields.Field(
            attribute="partner",
            column_name="partner",
            widget=widgets.ForeignKeyWidget(Partner, field="name"),
        )
        external_id = fields.Field(attribute="external_id", column_name="check_number")
        occurred_at = fields.Field(
            attribute="occurred_at",
            column_name="bought_at",
            widget=widgets.DateTimeWidget("%Y-%m-%d %H:%M"),
        )
        total = fields.Field(attribute="total", column_name="total", widget=widgets.DecimalWidget())

        class Meta:
            model = Purchase
            fields = ("member", "partner", "external_id", "occurred_at", "total")
            import_id_fields = ("partner", "external_id")

        def before_import_row(self, row, **kwargs):
            row["total"] = row["total"].replace(",", ".")

        def before_save_instance(self, instance, row, **kwargs):
            instance.created_at = NOW

    with open(path, encoding="utf-8") as handle:
        reader = csv.reader(handle, delimiter=";")
        header = next(reader)
        data = tablib.Dataset(headers=header)
        for i, values in enumerate(reader):
            if i >= rows:
                break
            data.append(values)
    started = time.perf_counter()
    result = PurchaseResource().import_data(data, dry_run=True, raise_errors=False)
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mb": peak_mb(),
                "rows": rows,
                "errors": result.has_errors() or result.has_validation_errors(),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--purchases", type=int, default=50_000)
    parser.add_argument("--members", type=int, default=None)
    parser.add_argument("--chunk", type=int, default=2000)
    parser.add_argument("--skip-dry-run", action="store_true")
    parser.add_argument("--compare-import-export", type=int, default=0)
    parser.add_argument("--child", type=int, default=None)
    parser.add_argument("--compare-child", default=None)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.chunk)
        return
    if args.compare_child is not None:
        compare_child(args.compare_child, args.compare_import_export)
        return

    members = args.members or max(1, args.purchases // 20)
    folder = Path(tempfile.mkdtemp(prefix="kopilka-history-"))
    os.environ["HISTORY_IMPORT_DIR"] = str(folder / "uploads")
    setup_django()
    reset()
    started = time.perf_counter()
    members_csv, purchases_csv = write_files(folder, members, args.purchases)
    print(
        f"files: {members} members, {args.purchases} purchases "
        f"({purchases_csv.stat().st_size / 2**20:.0f} MB) in {time.perf_counter() - started:.1f} s"
    )

    runs = [("members", members_csv, False)]
    if not args.skip_dry_run:
        runs.append(("purchases", purchases_csv, True))
    runs.append(("purchases", purchases_csv, False))
    table = []
    for kind, path, dry_run in runs:
        result = run_child(create_job(kind, path, dry_run=dry_run), args.chunk)
        rate = result["rows"] / result["seconds"]
        label = f"{kind}{' (dry run)' if dry_run else ''}"
        print(f"{label}: {json.dumps(result)}")
        table.append((label, result["rows"], result["seconds"], rate, result["peak_mb"]))
        if result["status"] != "done" or result["failed"]:
            sys.exit(f"{label}: the job did not finish cleanly")

    from django.db.models import Sum

    from loyalty.models import Account, Purchase
    from loyalty.services.audit import ledger_problems

    counted = Account.objects.aggregate(n=Sum("purchases_count"))["n"]
    assert Purchase.objects.count() == args.purchases == counted, "purchases not all counted"
    problems = ledger_problems()
    assert problems == [], problems[:5]

    if args.compare_import_export:
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--compare-child",
                str(purchases_csv),
                "--compare-import-export",
                str(args.compare_import_export),
            ],
            check=True,
            capture_output=True,
            text=True,
            env=os.environ,
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        label = "purchases, import-export's row loop (dry run)"
        rate = result["rows"] / result["seconds"]
        table.append((label, result["rows"], result["seconds"], rate, result["peak_mb"]))

    print("\n| job | rows | seconds | rows/s | peak MB |\n|---|---:|---:|---:|---:|")
    for label, rows, seconds, rate, peak in table:
        print(f"| {label} | {rows} | {seconds:.1f} | {rate:,.0f} | {peak:.0f} |")
    print(f"\nledger audit: clean; chunk {args.chunk} rows")


if __name__ == "__main__":
    main()
