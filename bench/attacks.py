"""Attacks and faults against a live Kopilka: the figures of docs/RELIABILITY.md.

    .venv/bin/python bench/attacks.py            # needs Debian's postgresql (make test installs it)

Starts a throwaway PostgreSQL of its own (scripts/postgres.sh, default durability: fsync on),
migrates, seeds a partner with an API key and members with points, starts gunicorn (2 sync
workers) and then, one after another:

1. 30 tills redeem from one account at once, together asking for more than its balance;
2. 30 concurrent refunds (30 refund numbers) of one purchase;
3. one Idempotency-Key sent 20 times at once;
4. PostgreSQL restarted (`pg_ctl restart -m fast`) under purchase load from 8 clients that retry
   every failed request with the same Idempotency-Key, as docs/API.md tells clients to;
5. a burn of 50 000 expired lots (5 batches) killed with SIGKILL mid-run, then run again;
6. bad inputs to the API (oversize body, deep nesting, invalid JSON, a crafted cursor).

After each step `manage.py ledger_audit` must pass. Prints a markdown table; exits non-zero when
a money rule broke. Bounded in time (about a minute); traffic goes only to 127.0.0.1. Nothing
here runs in the test suite. The money attacks run with the program's proof of presence off
(they are about double spending, not about who spends); step 0 checks that with it on, a
redemption without proof is refused.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SECRET_KEY", "bench-only-secret-not-for-production")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres(action: str, pgdir: str, port: int | None = None) -> None:
    args = ["bash", str(ROOT / "scripts/postgres.sh"), action, pgdir]
    if port is not None:
        args.append(str(port))
    subprocess.run(args, check=True)


def pg_ctl_restart(pgdir: str) -> float:
    """Restart the server (fast shutdown: open sessions are cut); seconds it took."""
    binary = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))[-1]
    command = [str(binary), "-D", f"{pgdir}/data", "-m", "fast", "-w", "restart"]
    if os.getuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def manage(*args: str, env: dict | None = None, check: bool = True) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
    )
    if check and result.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return (result.stdout + result.stderr).strip()


def audit(env: dict | None = None) -> bool:
    out = manage("ledger_audit", env=env, check=False)
    ok = "every invariant holds" in out
    if not ok:
        log(out)
    return ok


def seed(members: int, points: int) -> tuple[str, list[int]]:
    import django

    django.setup()
    from django.utils import timezone

    from loyalty.models import Partner, PartnerAPIKey, Program
    from loyalty.services import adjust_points
    from loyalty.services.enrolment import enroll_member

    now = timezone.now()
    ids = []
    for i in range(members):
        member = enroll_member(phone=f"+7900777{i:04d}", consents={"personal_data": True}, now=now)
        adjust_points(
            member_id=member.pk, points=points, reason="attack bench", staff=None, now=now
        )
        ids.append(member.pk)
    partner, _ = Partner.objects.get_or_create(name="Attack bench partner")
    _obj, key = PartnerAPIKey.objects.create_key(partner=partner, name="bench")
    program = Program.objects.get()
    if hasattr(program, "shares_members"):
        program.shares_members = True  # the bench partner may use the members seeded here
    program.save()
    return key, ids


def set_proof_of_presence(required: bool) -> None:
    from loyalty.models import Program

    program = Program.objects.get()
    if hasattr(program, "redeem_confirmation"):
        program.redeem_confirmation = "required" if required else "off"
        program.save()


def wait_for_settings() -> None:
    """Server processes keep the program's settings for a few seconds (loyalty.services.program)."""
    from loyalty.services.program import CACHE_SECONDS

    time.sleep(CACHE_SECONDS + 0.5)


class Api:
    def __init__(self, base: str, key: str):
        self.client = httpx.Client(
            base_url=base, headers={"Authorization": f"Api-Key {key}"}, timeout=30
        )

    def post(self, path: str, body, key: str | None = None, raw: bytes | None = None):
        headers = {"Idempotency-Key": key or uuid.uuid4().hex}
        if raw is not None:
            headers["Content-Type"] = "application/json"
            return self.client.post(path, content=raw, headers=headers)
        return self.client.post(path, json=body, headers=headers)


def at_once(n: int, work) -> list:
    """Run work(i) in n threads released together; return what each returned."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        barrier.wait(timeout=30)
        try:
            results[i] = work(i)
        except httpx.HTTPError as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def statuses(responses) -> str:
    counts = Counter(
        getattr(r, "status_code", type(r).__name__)
        if not hasattr(r, "json") or r.status_code < 400
        else f"{r.status_code} {r.json().get('code')}"
        for r in responses
    )
    return ", ".join(f"{n}× {s}" for s, n in sorted(counts.items(), key=str))


def balance(api: Api, member_id: int) -> int:
    return api.client.get(f"/api/v1/members/{member_id}").json()["balance"]["available"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--burn-lots", type=int, default=50000)
    args = parser.parse_args()

    rows: list[tuple[str, str, bool]] = []
    pgdir = tempfile.mkdtemp(prefix="kopilka-attacks-")
    pg_port = free_port()
    postgres("start", pgdir, pg_port)
    database_url = f"postgres://postgres@127.0.0.1:{pg_port}/kopilka_attacks"
    os.environ["DATABASE_URL"] = database_url
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", str(pg_port), "-U", "postgres", "-qc",
         "CREATE DATABASE kopilka_attacks"],
        check=True,
    )  # fmt: skip
    server = None
    try:
        manage("migrate", "--noinput")
        key, members = seed(members=20, points=1000)
        port = free_port()
        from bench.api_load import start_gunicorn  # the API bench's server

        server = start_gunicorn(port, workers=2, threads=1)
        api = Api(f"http://127.0.0.1:{port}", key)

        # 0. Proof of presence: with the setting on, a redemption without proof is refused.
        set_proof_of_presence(True)
        wait_for_settings()
        body = {"external_id": "P-0", "member_id": members[0], "amount": "1000.00"}
        r = api.post("/api/v1/purchases", {**body, "redeem_points": 100})
        refused = r.status_code in (400, 403, 422) and balance(api, members[0]) == 1000
        rows.append(("redeem without proof, setting on", f"{r.status_code} {r.json().get('code')}",
                     refused))  # fmt: skip
        set_proof_of_presence(False)
        wait_for_settings()

        # 1. 30 tills redeem 300 points each from one account of 1 000 at once.
        victim = members[1]
        responses = at_once(
            30,
            lambda i: api.post(
                "/api/v1/purchases",
                {"external_id": f"R-{i}", "member_id": victim, "amount": "1000.00",
                 "redeem_points": 300},
            ),
        )  # fmt: skip
        ok = sum(1 for r in responses if getattr(r, "status_code", 0) == 201)
        left = balance(api, victim)
        # Each succeeded purchase took 300 and earned points on the 700 ₽ paid; earned points
        # may be pending, so only the spent part is checked against the available balance.
        rows.append(
            ("30 tills redeem 300 of 1 000 points at once", f"{statuses(responses)}; "
             f"{ok} succeeded, available left {left}", ok == 3 and audit()),
        )  # fmt: skip

        # 2. 30 concurrent refunds of one purchase (redeemed 300, earned on 700 ₽).
        buyer = members[2]
        r = api.post("/api/v1/purchases", {"external_id": "F-1", "member_id": buyer,
                                           "amount": "1000.00", "redeem_points": 300})  # fmt: skip
        purchase_id = r.json()["id"]
        before = balance(api, buyer)
        responses = at_once(
            30,
            lambda i: api.post(
                f"/api/v1/purchases/{purchase_id}/refunds", {"external_id": f"RF-{i}"}
            ),
        )
        ok = sum(1 for r in responses if getattr(r, "status_code", 0) == 201)
        after = balance(api, buyer)
        rows.append(
            ("30 concurrent refunds of one purchase",
             f"{statuses(responses)}; balance {before} → {after}", ok == 1 and audit()),
        )  # fmt: skip

        # 3. One Idempotency-Key sent 20 times at once.
        same = uuid.uuid4().hex
        body = {"external_id": "I-1", "member_id": members[3], "amount": "500.00",
                "redeem_points": 100}  # fmt: skip
        responses = at_once(20, lambda i: api.post("/api/v1/purchases", body, key=same))
        from loyalty.models import LedgerEntry, Purchase

        recorded = Purchase.objects.filter(external_id="I-1").count()
        redeemed = sum(
            LedgerEntry.objects.filter(purchase__external_id="I-1", kind="redeem").values_list(
                "points", flat=True
            )
        )
        rows.append(
            ("one Idempotency-Key sent 20 times at once",
             f"{statuses(responses)}; purchases recorded: {recorded}, points redeemed: "
             f"{-redeemed}", recorded == 1 and redeemed == -100 and audit()),
        )  # fmt: skip

        # 4. PostgreSQL restarted under purchase load; clients retry with the same key.
        stop = threading.Event()
        seen: Counter = Counter()
        confirmed: list[str] = []
        lock = threading.Lock()

        def till(i: int) -> None:
            client = Api(f"http://127.0.0.1:{port}", key)
            n = 0
            while not stop.is_set():
                n += 1
                ext, idem = f"L-{i}-{n}", uuid.uuid4().hex
                body = {"external_id": ext, "member_id": members[4 + i], "amount": "100.00"}
                for _attempt in range(40):
                    try:
                        r = client.post("/api/v1/purchases", body, key=idem)
                        code = r.status_code
                        retry_after = r.headers.get("Retry-After")
                    except httpx.HTTPError as exc:
                        code, retry_after = type(exc).__name__, None
                    with lock:
                        seen[code] += 1
                    if code in (200, 201):
                        with lock:
                            confirmed.append(ext)
                        break
                    time.sleep(float(retry_after or 0.2))

        threads = [threading.Thread(target=till, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        time.sleep(2)
        took = pg_ctl_restart(pgdir)
        time.sleep(3)
        stop.set()
        for t in threads:
            t.join(timeout=120)
        import django
        from django.db import connection

        django.setup()
        connection.close()
        from loyalty.models import Purchase

        stored = Counter(
            Purchase.objects.filter(external_id__startswith="L-").values_list(
                "external_id", flat=True
            )
        )
        twice = [e for e, n in stored.items() if n > 1]
        lost = [e for e in confirmed if e not in stored]
        summary = ", ".join(f"{n}× {s}" for s, n in sorted(seen.items(), key=str))
        rows.append(
            (f"PostgreSQL restarted under load (restart took {took:.1f} s)",
             f"{summary}; {len(confirmed)} purchases confirmed, {len(stored)} stored, "
             f"{len(twice)} twice, {len(lost)} lost",
             not twice and not lost and len(stored) == len(confirmed) and audit()),
        )  # fmt: skip

        # 6. Bad inputs: each must be a 4xx JSON error.
        deep = b'{"a":' * 100000 + b"1" + b"}" * 100000
        big = json.dumps({"external_id": "B", "member_id": 1, "amount": "1", "x": "y" * 3_000_000})
        bad = {
            "oversize body (3 MB)": api.post("/api/v1/purchases", None, raw=big.encode()),
            "nested JSON (100 000 levels)": api.post("/api/v1/purchases", None, raw=deep),
            "invalid JSON": api.post("/api/v1/purchases", None, raw=b'{"amount": '),
            "crafted ledger cursor": api.client.get(
                f"/api/v1/members/{members[0]}/ledger",
                params={"cursor": "cD1ub3QtYW4taWQ="},  # p=not-an-id
            ),
        }
        for name, r in bad.items():
            code = r.json().get("code") if "json" in r.headers.get("content-type", "") else "-"
            rows.append(
                (f"bad input: {name}", f"{r.status_code} {code}", 400 <= r.status_code < 500)
            )

        # 5. A burn killed mid-run, then run again: nothing burnt twice, nothing left.
        rows.append(burn_killed(pg_port, args.burn_lots))
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        postgres("stop", pgdir)

    print("| attack or fault | result | held |")
    print("|---|---|---|")
    for name, result, held in rows:
        print(f"| {name} | {result} | {'yes' if held else '**NO**'} |")
    if not all(held for _n, _r, held in rows):
        raise SystemExit(1)


def burn_killed(pg_port: int, lots: int) -> tuple[str, str, bool]:
    url = f"postgres://postgres@127.0.0.1:{pg_port}/kopilka_attacks_burn"
    env = {"DATABASE_URL": url}
    subprocess.run(
        [PYTHON, "-c", "import sys; sys.argv=['x']; from bench import burn; burn.setup_django();"
         f" burn.create_data({lots}, 4)"],
        cwd=ROOT, env={**os.environ, **env}, check=True,
    )  # fmt: skip
    import psycopg

    def expired_entries() -> int:
        with psycopg.connect(url) as conn:
            return conn.execute(
                "SELECT count(*) FROM loyalty_ledgerentry WHERE kind = 'expire'"
            ).fetchone()[0]

    from bench.burn import NOW_ISO

    proc = subprocess.Popen(
        [PYTHON, "manage.py", "burn_points", "--now", NOW_ISO],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while expired_entries() == 0 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    at_kill = expired_entries()
    manage("burn_points", "--now", NOW_ISO, env=env)
    manage("burn_points", "--now", NOW_ISO, env=env)  # a third run finds nothing
    with psycopg.connect(url) as conn:
        lots_due = conn.execute(
            "SELECT count(*) FROM loyalty_pointlot WHERE expires_at <= %s", [NOW_ISO]
        ).fetchone()[0]
        left = conn.execute(
            "SELECT count(*) FROM loyalty_pointlot WHERE expires_at <= %s AND remaining > 0",
            [NOW_ISO],
        ).fetchone()[0]
        twice = conn.execute(
            "SELECT count(*) FROM (SELECT lot_id FROM loyalty_ledgerentry WHERE kind = 'expire'"
            " GROUP BY lot_id HAVING count(*) > 1) AS t"
        ).fetchone()[0]
    total = expired_entries()
    return (
        f"burn of {lots} lots killed (SIGKILL) mid-run, then run twice more",
        f"{at_kill} expire entries at the kill; in the end {total} for {lots_due} due lots, "
        f"{twice} lots burnt twice, {left} left unburnt",
        twice == 0 and left == 0 and audit(env),
    )


if __name__ == "__main__":
    main()
