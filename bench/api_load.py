"""Load benchmark of the partner API: gunicorn (2 sync workers) + PostgreSQL, 8 clients.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kopilka_bench \
        .venv/bin/python bench/api_load.py --duration 10

Migrates the database, seeds members (with points) and a partner API key, starts gunicorn on
127.0.0.1, drives lookups, member reads, quotes and purchases from concurrent clients for a
fixed time each (8 threads, one short connection per request: gunicorn's sync workers do not
keep connections alive), then runs pgbench TPC-B-like (-c 8 -j 2) on the same PostgreSQL server
for the ratio, and prints a markdown table. Nothing here runs in the test suite.
"""

import argparse
import itertools
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# Benchmarks run with DEBUG=false, which refuses the public development key.
os.environ.setdefault("SECRET_KEY", "bench-only-secret-not-for-production")
BENCH_PARTNER = "Bench partner"
PHONE_BASE = 79005550000


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def django_setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def seed(members: int) -> tuple[str, list[tuple[int, str]]]:
    """Members with 5 000 points each, enrolled through the bench partner (so it may read them:
    partners see only their own members unless the program shares them), and a fresh key."""
    from django.utils import timezone

    from customers.models import Member
    from loyalty.models import Partner, PartnerAPIKey
    from loyalty.selectors import enrolment_source
    from loyalty.services import adjust_points
    from loyalty.services.enrolment import enroll_member

    now = timezone.now()
    partner, _ = Partner.objects.get_or_create(name=BENCH_PARTNER)
    phones = [f"+{PHONE_BASE + i}" for i in range(members)]
    have = set(Member.objects.filter(phone__in=phones).values_list("phone", flat=True))
    started = time.perf_counter()
    for phone in phones:
        if phone in have:
            continue
        member = enroll_member(
            phone=phone,
            consents={"personal_data": True},
            source=enrolment_source(partner.pk),
            now=now,
        )
        adjust_points(member_id=member.pk, points=5000, reason="bench", staff=None, now=now)
    if len(have) < members:
        log(f"seeded {members - len(have)} members in {time.perf_counter() - started:.1f} s")
    _obj, key = PartnerAPIKey.objects.create_key(partner=partner, name="bench")
    rows = list(Member.objects.filter(phone__in=phones).values_list("id", "card_number"))
    return key, rows


def server_settings() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        values = []
        for name in ("fsync", "synchronous_commit", "shared_buffers"):
            cursor.execute(f"SHOW {name}")
            values.append(f"{name}={cursor.fetchone()[0]}")
    return ", ".join(values)


def start_gunicorn(port: int, workers: int, threads: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DEBUG": "false",
        "LOG_LEVEL": "ERROR",
        "API_THROTTLE_RATE": "100000000/min",
        "CONN_MAX_AGE": "600",
    }
    gunicorn = shutil.which("gunicorn", path=str(Path(PYTHON).parent)) or "gunicorn"
    proc = subprocess.Popen(
        [
            gunicorn,
            "config.wsgi",
            "--workers",
            str(workers),
            *(["--worker-class", "gthread", "--threads", str(threads)] if threads > 1 else []),
            "--bind",
            f"127.0.0.1:{port}",
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise SystemExit("gunicorn did not come up")


LINES = [
    {"sku": "MILK-1L", "name": "Milk", "quantity": "2", "price": "89.90", "amount": "179.80"},
    {"sku": "BREAD", "quantity": "1", "price": "65.00", "amount": "65.00"},
    {"sku": "CIGS", "quantity": "1", "price": "250.00", "amount": "250.00", "redeemable": False},
]


def children_cpu_seconds(parent_pid: int) -> float:
    """User + system CPU of a process's children (gunicorn workers, PostgreSQL backends)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for child in Path(f"/proc/{parent_pid}/task/{parent_pid}/children").read_text().split():
        try:
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # exited meanwhile
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def postmaster_pid() -> int | None:
    """The PostgreSQL server's main process, when it runs on this machine (else None)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    try:
        stat = Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return None
    return int(stat[1])


class RawClient:
    """A minimal HTTP/1.1 client: one short connection per request, as gunicorn's sync workers
    close every connection anyway. httpx spent ~2.4 ms of CPU per request here — more than the
    server's share of a lookup — so the load generator would have measured itself."""

    def __init__(self, host: str, port: int, key: str):
        self.address = (host, port)
        self.auth = f"Authorization: Api-Key {key}\r\n"

    def request(self, method: str, path: str, body=None, headers=None) -> int:
        payload = json.dumps(body).encode() if body is not None else b""
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{self.auth}"
        for name, value in (headers or {}).items():
            head += f"{name}: {value}\r\n"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
        head += "Connection: close\r\n\r\n"
        with socket.create_connection(self.address) as sock:
            sock.sendall(head.encode() + payload)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return int(b"".join(chunks)[9:12])


def run_phase(name, address, key, members, clients, duration, make_request, server_pid, pg_pid):
    """`clients` threads sending requests back to back for `duration` seconds."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[dict[int, int]] = [{} for _ in range(clients)]
    counter = itertools.count()
    clocks: dict[str, float] = {}

    def start_clocks() -> None:  # runs once, when every client has warmed up
        clocks["client"], clocks["server"] = time.process_time(), children_cpu_seconds(server_pid)
        clocks["pg"] = children_cpu_seconds(pg_pid) if pg_pid else 0.0

    barrier = threading.Barrier(clients, action=start_clocks)

    def client(i: int) -> None:
        rng = random.Random(i)
        http = RawClient(*address, key)
        for n in range(20):  # warm every worker up before the clock starts
            method, path, body, headers, _expected = make_request(rng, members, -1 - n - 100 * i)
            http.request(method, path, body, headers)
        barrier.wait()
        stop_at = time.perf_counter() + duration
        while (t0 := time.perf_counter()) < stop_at:
            method, path, body, headers, expected = make_request(rng, members, next(counter))
            status = http.request(method, path, body, headers)
            latencies[i].append(time.perf_counter() - t0)
            if status != expected:
                errors[i][status] = errors[i].get(status, 0) + 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    client_cpu = time.process_time() - clocks["client"]
    server_cpu = children_cpu_seconds(server_pid) - clocks["server"]
    pg_cpu = children_cpu_seconds(pg_pid) - clocks["pg"] if pg_pid else None
    all_ms = sorted(x * 1000 for lat in latencies for x in lat)
    merged: dict[int, int] = {}
    for e in errors:
        for status, n in e.items():
            merged[status] = merged.get(status, 0) + n
    q = statistics.quantiles(all_ms, n=100) if len(all_ms) > 1 else [0.0] * 99
    return {
        "name": name,
        "requests": len(all_ms),
        "rate": len(all_ms) / duration,
        "p50": q[49],
        "p95": q[94],
        "p99": q[98],
        "errors": merged,
        "client_cpu_ms": client_cpu * 1000 / max(1, len(all_ms)),
        "server_cpu_ms": server_cpu * 1000 / max(1, len(all_ms)),
        "pg_cpu_ms": pg_cpu * 1000 / max(1, len(all_ms)) if pg_cpu is not None else None,
    }


def lookup(rng, members, _n):
    _id, card = rng.choice(members)
    return "GET", f"/api/v1/members/lookup?card={card}", None, None, 200


def member_get(rng, members, _n):
    member_id, _card = rng.choice(members)
    return "GET", f"/api/v1/members/{member_id}", None, None, 200


def quote(rng, members, _n):
    member_id, _card = rng.choice(members)
    body = {"member_id": member_id, "lines": LINES, "redeem_points": rng.choice([0, 10, 50])}
    return "POST", "/api/v1/purchases/quote", body, None, 200


RUN = uuid.uuid4().hex[:8]


def purchase(rng, members, n):
    """A check of three lines; one in three redeems 10 points, proven by the member's live QR
    (proof of presence is required by default)."""
    from django.utils import timezone

    from loyalty.services.presence import qr_token

    member_id, card = rng.choice(members)
    body = {
        "external_id": f"{RUN}-{n}",
        "member_id": member_id,
        "lines": LINES,
        "redeem_points": rng.choice([0, 0, 10]),
    }
    if body["redeem_points"]:
        token = qr_token(member_id=member_id, card_number=card, now=timezone.now())
        body["confirmation"] = {"qr": token}
    headers = {"Idempotency-Key": f"{RUN}-{n}"}
    return "POST", "/api/v1/purchases", body, headers, 201


def pgbench(database_url: str, clients: int, seconds: int) -> float:
    """TPC-B-like tx/s on the same server, in a database of its own."""
    url = urlparse(database_url)
    db = f"{url.path.lstrip('/')}_pgbench"
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = url.password
    conn = ["-h", url.hostname or "127.0.0.1", "-p", str(url.port or 5432)]
    conn += ["-U", url.username or "postgres"]
    subprocess.run(["dropdb", *conn, "--if-exists", db], env=env, check=True)
    subprocess.run(["createdb", *conn, db], env=env, check=True)
    subprocess.run(
        ["pgbench", *conn, "-i", "-q", "-s", "10", db],
        env=env,
        check=True,
        capture_output=True,
    )
    out = subprocess.run(
        ["pgbench", *conn, "-c", str(clients), "-j", "2", "-T", str(seconds), db],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    subprocess.run(["dropdb", *conn, db], env=env, check=True)
    for line in out.splitlines():
        if line.startswith("tps ="):
            return float(line.split()[2])
    raise SystemExit(f"could not read pgbench output:\n{out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per phase")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per worker (gthread workers when > 1)"
    )
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--phases", default="lookup,member,quote,purchase", help="comma-separated subset"
    )
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database (it will be migrated).")

    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--skip-checks", "-v", "0"], cwd=ROOT, check=True
    )
    django_setup()
    key, members = seed(args.members)
    settings_line = server_settings()
    pg_pid = postmaster_pid()
    from django.db import connections

    connections.close_all()

    address = ("127.0.0.1", args.port)
    server = start_gunicorn(args.port, args.workers, args.threads)
    phases = {"lookup": lookup, "member": member_get, "quote": quote, "purchase": purchase}
    results = []
    try:
        for name in args.phases.split(","):
            log(f"{name}: {args.duration} s with {args.clients} clients …")
            results.append(
                run_phase(
                    name,
                    address,
                    key,
                    members,
                    args.clients,
                    args.duration,
                    phases[name.strip()],
                    server.pid,
                    pg_pid,
                )
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    log(f"pgbench: {args.duration} s …")
    tps = pgbench(database_url, args.clients, args.duration)

    print()
    print(
        f"gunicorn {args.workers} workers × {args.threads} thread(s), {args.clients} clients, "
        f"{args.duration} s per phase, {len(members)} members; PostgreSQL {settings_line}"
    )
    print()
    print(
        "| operation | requests | per second | p50 ms | p95 ms | p99 ms | errors "
        "| gunicorn CPU ms/req | PostgreSQL CPU ms/req | client CPU ms/req |"
    )
    print("|---|---:|---:|---:|---:|---:|---|---:|---:|---:|")
    for r in results:
        errors = ", ".join(f"{k}×{v}" for k, v in sorted(r["errors"].items())) or "0"
        print(
            f"| {r['name']} | {r['requests']} | {r['rate']:.0f} | {r['p50']:.1f} | "
            f"{r['p95']:.1f} | {r['p99']:.1f} | {errors} | "
            f"{r['server_cpu_ms']:.2f} | "
            f"{'n/a' if r['pg_cpu_ms'] is None else format(r['pg_cpu_ms'], '.2f')} | "
            f"{r['client_cpu_ms']:.2f} |"
        )
    print(f"| pgbench TPC-B-like (-c {args.clients} -j 2) | | {tps:.0f} tx/s | | | | | | | |")
    for r in results:
        if r["name"] == "purchase":
            print()
            print(f"purchases / pgbench transactions = {r['rate'] / tps:.2f}")


if __name__ == "__main__":
    main()
