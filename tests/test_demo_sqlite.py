"""The demo runs on SQLite, where some hot paths take their portable branch: drive them once.

The suite itself runs on PostgreSQL, so this test starts a separate Django process on a fresh
SQLite file and walks a partner's day through the API and the beat jobs there.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = textwrap.dedent(
    """
    import datetime as dt
    import json

    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from customers.services import enroll_member
    from loyalty.models import Account, Partner, PartnerAPIKey
    from loyalty.services import activate_due_points, burn_expired_points, review_tiers
    from loyalty.services.audit import ledger_problems

    now = timezone.now()
    partner = Partner.objects.create(name="Demo shop")
    _key_obj, key = PartnerAPIKey.objects.create_key(name="k", partner=partner)
    member = enroll_member(phone="8 912 345-67-89", consents={"personal_data": True}, now=now)
    api = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")

    def post(path, body, key):
        response = api.post(path, json.dumps(body), content_type="application/json",
                            HTTP_IDEMPOTENCY_KEY=key)
        return response.status_code, response.json()

    body = {"external_id": "C-1", "member_id": member.pk, "amount": "3000.00"}
    first = post("/api/v1/purchases", body, "k-1")
    assert first[0] == 201 and first[1]["earned_points"] == 60, first
    assert post("/api/v1/purchases", body, "k-1") == first, "a replay answers the same"
    bad = post("/api/v1/purchases", {**body, "external_id": "C-2", "redeem_points": 999}, "k-2")
    assert bad[0] == 422 and bad[1]["code"] == "insufficient_points", bad
    assert post("/api/v1/purchases", {**body, "external_id": "C-2", "redeem_points": 999},
                "k-2") == bad, "a stored error is replayed"
    refund = post(f"/api/v1/purchases/{first[1]['id']}/refunds", {"external_id": "R-1"}, "r-1")
    assert refund[0] == 201 and refund[1]["clawed_back_points"] == 60, refund
    lookup = api.get("/api/v1/members/lookup", {"phone": "+7 912 345 67 89"})
    assert lookup.status_code == 200, lookup.content

    later = now + dt.timedelta(days=400)
    post("/api/v1/purchases", {**body, "external_id": "C-3"}, "k-3")
    activate_due_points(now=later)
    assert burn_expired_points(now=later) == 1
    review_tiers(now=later)
    assert Account.objects.get(pk=member.pk).available == 0
    assert ledger_problems() == []
    call_command("ledger_audit")

    from django.db import DatabaseError, transaction
    from loyalty.models import LedgerEntry
    try:
        with transaction.atomic():
            LedgerEntry.objects.update(points=0)
    except DatabaseError:
        pass
    else:
        raise AssertionError("the ledger must stay append-only on SQLite too")
    print("SQLITE-DEMO-OK")
    """
)


@pytest.mark.slow
def test_the_sqlite_demo_paths_work_end_to_end(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "OUTBOX_DIR": str(tmp_path / "outbox"),
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, cwd=ROOT, check=True, timeout=180)
    result = subprocess.run(
        [*manage, "shell", "-c", SCRIPT],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert "SQLITE-DEMO-OK" in result.stdout, result.stdout + result.stderr
