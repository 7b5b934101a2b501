"""The ledger store (loyalty/store/) is the only application code that holds SQL, and its
statements are composed with psycopg.sql: names from the models, values always parameters."""

import ast
import re
from pathlib import Path

import pytest
from psycopg import sql

from loyalty.store import batches, ledger, reads, writes
from loyalty.store.names import column, table

ROOT = Path(__file__).resolve().parent.parent.parent
APPLICATION_DIRS = ("api", "cabinet", "campaigns", "core", "customers", "desk", "loyalty")
STORE = ROOT / "loyalty" / "store"
# Statement text or a way to run it.
RAW_SQL = re.compile(r"cursor\.execute|hot_cursor\(|\.raw\(|noqa: S608|\.extra\(|RawSQL")
SQL_WORDS = re.compile(r"\b(SELECT|INSERT INTO|UPDATE|DELETE FROM|WITH)\b")


def _application_files():
    for folder in APPLICATION_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_no_sql_is_written_or_run_outside_the_ledger_store():
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _application_files()
        if STORE not in path.parents
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if RAW_SQL.search(line)
    ]
    assert found == []


def test_the_store_builds_no_statement_with_f_strings_or_text_replacement():
    found = []
    for path in sorted(STORE.glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                pieces = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
                if SQL_WORDS.search(pieces):
                    found.append(f"{path.name}:{node.lineno}: f-string SQL")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("replace", "format")
                and isinstance(node.func.value, ast.Constant)
                and isinstance(node.func.value.value, str)
                and SQL_WORDS.search(node.func.value.value)
            ):
                found.append(f"{path.name}:{node.lineno}: str.{node.func.attr} on SQL")
    assert found == []


def test_names_come_from_the_models_quoted_as_identifiers():
    from loyalty.models import Account, PointLot

    assert table(PointLot).as_string() == '"loyalty_pointlot"'
    assert column(Account, "pk", "a").as_string() == '"a"."member_id"'
    assert isinstance(column(PointLot, "expires_at"), sql.Identifier)


@pytest.mark.parametrize(
    "statement",
    [
        ledger._LOCK_ACCOUNT,
        ledger._lock_and_lots_sql(True, True),
        writes._statement(True, True, True, True, True),
        batches._TIER_CAS,
        reads._summary_sql("phone", True, True),
    ],
)
def test_no_table_name_is_written_unquoted(statement):
    """Every table name in a statement came through sql.Identifier (quoted)."""
    assert not re.search(r"(?<![\"'])\bloyalty_[a-z]+\b(?!\")", statement), statement
