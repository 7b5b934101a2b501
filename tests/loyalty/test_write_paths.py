"""STYLE §11: ledger entries and lots are written only by the loyalty services."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIP = ({".venv", "node_modules", ".git", "migrations", "tests", "bench"}, ("loyalty/services",))
WRITES = r"(create|update|bulk_create|bulk_update|get_or_create|update_or_create|delete)\("
WRITE = re.compile(r"(\b(LedgerEntry|PointLot)\b[\w.()\[\]\"'=, ]*?|\.(lots|entries))\." + WRITES)


def _project_files():
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if SKIP[0] & set(rel.parts) or str(rel).startswith(SKIP[1]):
            continue
        yield rel, path.read_text(encoding="utf-8")


def test_only_the_loyalty_services_write_ledger_entries_and_lots():
    offenders = [
        f"{rel}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)}"
        for rel, text in _project_files()
        for m in WRITE.finditer(text)
    ]
    assert offenders == []


def test_the_walk_sees_the_project_and_would_catch_a_write():
    assert any(str(rel) == "loyalty/admin/ledger.py" for rel, _ in _project_files())
    assert WRITE.search("LedgerEntry.objects.filter(pk=1).update(points=0)")
    assert WRITE.search("PointLot.objects.bulk_create(lots)")
    assert WRITE.search("account.entries.create(kind='adjust', points=5)")
    assert not WRITE.search("LedgerEntry.objects.filter(kind='earn').count()")
