"""Purchases with 100 running campaigns against purchases with none, side by side in one run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kopilka_bench \
        .venv/bin/python bench/campaigns_load.py --duration 15 --rounds 2

The partner API's purchase phase of bench/api_load.py (gunicorn, 8 clients, the same 3-line
check), alternating: no campaign running, then 100 running campaigns, then none again … each
with a freshly started gunicorn (so every worker loads the campaigns once, as after a deploy);
then pgbench on the same PostgreSQL. The 100 campaigns are a realistic mix: 5 apply to the
bench check (three stacking groups: ×2 and two weaker rates competing in one, 10 points per
100 ₽ of milk, +5 from 300 ₽), the other 95 do not (other weekdays, a tier no member has, another
partner's stores, SKUs not on the check, the e-shop channel, a date range next year).
The campaigns are made anew for each phase with campaigns and deleted (with their awards)
for each phase without. `--applying N` (0–5) makes only the first N of the applying ones.
`--budget` gives the applying campaigns a (large) budget, so each purchase also counts it under
the campaign's row lock. Prints a markdown table and the ratio. Not run by the tests.
"""

import argparse
import os
import statistics
import subprocess
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import api_load  # the bench's own helpers, beside this file

PREFIX = "bench-"


def make_campaigns(count: int, *, budget: bool, applying_count: int) -> None:
    """`count` running campaigns, `applying_count` (at most 5) of which apply to the check."""
    from django.utils import timezone

    from campaigns.models import Campaign
    from loyalty.models import Partner, Store

    Campaign.objects.filter(code__startswith=PREFIX).delete()
    other, _ = Partner.objects.get_or_create(name="Bench other partner")
    store, _ = Store.objects.get_or_create(partner=other, name="Bench other store")
    today = timezone.localdate().isoweekday()
    other_days = [d for d in range(1, 8) if d != today]
    next_year = timezone.now().year + 1
    limit = {"budget_points": 10**9} if budget else {}
    applying = [
        {"name": "×2", "stacking_group": "rate", "value": 2, **limit},
        {"name": "×1.5", "stacking_group": "rate", "value": "1.5"},
        {"name": "+10 %", "stacking_group": "rate", "effect": "percent", "value": 10},
        {
            "name": "10 per 100 ₽ of milk",
            "stacking_group": "milk",
            "effect": "per_amount",
            "value": 10,
            "per_amount": 100,
            "lines": {"skus": ["MILK-1L"]},
            **limit,
        },
        {
            "name": "+5 from 300 ₽",
            "stacking_group": "check",
            "effect": "fixed",
            "value": 5,
            "conditions": {"check_amount": {"gte": "300"}},
        },
    ]
    not_applying = [
        {"conditions": {"weekday": other_days}},
        # A tier no bench member reaches (they climb to Gold as the bench's purchases add up).
        {"conditions": {"tier": ["bench-vip"]}},
        {"conditions": {"store": [store.pk]}},
        {"conditions": {"line": {"skus": ["NOT-ON-THE-CHECK"]}}},
        {"conditions": {"channel": ["eshop"]}},
        {
            "conditions": {
                "all": [{"date": {"from": f"{next_year}-01-01"}}, {"check_amount": {"gte": "100"}}]
            }
        },
    ]
    made = []
    for i in range(count):
        fields = {
            "effect": "multiplier",
            "value": 2,
            "stacking_group": f"g{i % 7}",
            "state": Campaign.State.ACTIVE,
        }
        if i < min(applying_count, len(applying)):
            fields.update(applying[i])
        else:
            fields.update(not_applying[i % len(not_applying)])
        fields.setdefault("name", f"Bench campaign {i}")
        campaign = Campaign(code=f"{PREFIX}{i}", **fields)
        campaign.full_clean()
        made.append(campaign)
    Campaign.objects.bulk_create(made)


def pause_all() -> None:
    """No campaign running (the bench's campaigns and their awards go)."""
    from campaigns.models import Award, Campaign

    Award.objects.filter(campaign__code__startswith=PREFIX).delete()
    Campaign.objects.filter(code__startswith=PREFIX).delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=15, help="seconds per phase")
    parser.add_argument("--rounds", type=int, default=2, help="none/100 pairs")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--campaigns", type=int, default=100)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--budget", action="store_true", help="applying campaigns have a budget")
    parser.add_argument(
        "--applying",
        type=int,
        default=5,
        help="how many of the campaigns apply to the check (0-5; 5: three bonuses a check)",
    )
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database (it will be migrated).")
    subprocess.run(
        [api_load.PYTHON, "manage.py", "migrate", "--skip-checks", "-v", "0"],
        cwd=api_load.ROOT,
        check=True,
    )
    api_load.django_setup()
    from django.db import connections

    key, members = api_load.seed(args.members)
    settings_line = api_load.server_settings()
    pg_pid = api_load.postmaster_pid()
    address = ("127.0.0.1", args.port)
    results: dict[str, list[dict]] = {"none": [], "campaigns": []}
    for n in range(args.rounds):
        for label in ("none", "campaigns"):
            if label == "none":
                pause_all()
            else:
                make_campaigns(args.campaigns, budget=args.budget, applying_count=args.applying)
            connections.close_all()
            api_load.RUN = uuid.uuid4().hex[:8]  # fresh check numbers and keys per phase
            server = api_load.start_gunicorn(args.port, args.workers, 1)
            try:
                api_load.log(f"round {n + 1}, {label}: {args.duration} s …")
                results[label].append(
                    api_load.run_phase(
                        f"purchase ({label})",
                        address,
                        key,
                        members,
                        args.clients,
                        args.duration,
                        api_load.purchase,
                        server.pid,
                        pg_pid,
                    )
                )
            finally:
                server.terminate()
                server.wait(timeout=30)
    pause_all()
    connections.close_all()
    api_load.log(f"pgbench: {args.duration} s …")
    tps = api_load.pgbench(database_url, args.clients, args.duration)

    print()
    print(
        f"gunicorn {args.workers} sync workers, {args.clients} clients, {args.duration} s per "
        f"phase, {args.rounds} rounds alternating, {len(members)} members, "
        f"{args.campaigns} campaigns ({args.applying} apply to the check)"
        f"{' with budgets' if args.budget else ''}; "
        f"PostgreSQL {settings_line}"
    )
    print()
    print("| phase | round | purchases/s | p50 ms | p95 ms | errors | gunicorn CPU ms/req |")
    print("|---|---:|---:|---:|---:|---|---:|")
    for label, runs in results.items():
        for i, r in enumerate(runs, start=1):
            errors = ", ".join(f"{k}×{v}" for k, v in sorted(r["errors"].items())) or "0"
            print(
                f"| {label} | {i} | {r['rate']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} | "
                f"{errors} | {r['server_cpu_ms']:.2f} |"
            )
    print(f"| pgbench TPC-B-like (-c {args.clients} -j 2) | | {tps:.0f} tx/s | | | | |")
    none = statistics.mean(r["rate"] for r in results["none"])
    hundred = statistics.mean(r["rate"] for r in results["campaigns"])
    print()
    print(f"rate with {args.campaigns} campaigns / rate with none = {hundred / none:.2f}")


if __name__ == "__main__":
    main()
