"""config.db.hot_cursor: prepared, server-bound statements that Django still sees; and
PostgreSQL as the only database (settings refuse another, no code asks which one it is)."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from config.db import hot_cursor

pytestmark = pytest.mark.django_db


def test_statements_are_prepared_after_the_threshold():
    sql = "SELECT %s::int + 1 AS kopilka_probe"
    for n in range(3):
        with hot_cursor() as cursor:
            cursor.execute(sql, [n])
            assert cursor.fetchone() == (n + 1,)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%kopilka_probe%"],
        )
        assert cursor.fetchone()[0] == 1


def test_timestamps_read_as_the_orm_reads_them():
    moment = dt.datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=5)))
    with hot_cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz", [moment])
        fast = cursor.fetchone()[0]
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz", [moment])
        orm = cursor.fetchone()[0]
    assert fast == orm == moment
    assert fast.utcoffset() == orm.utcoffset() == dt.timedelta(0)


def test_django_sees_the_statements_and_wraps_the_errors():
    with CaptureQueriesContext(connection) as queries, hot_cursor() as cursor:
        cursor.execute("SELECT %s::text", ["x"])
    assert len(queries) == 1
    with pytest.raises(DatabaseError), hot_cursor() as cursor:
        cursor.execute("SELECT 1 / %s::int", [0])


def test_the_query_log_keeps_the_text_of_prepared_statements():
    sql = "SELECT %s::int * 2 AS kopilka_logged"
    with CaptureQueriesContext(connection) as queries:
        for n in range(4):
            with hot_cursor() as cursor:
                cursor.execute(sql, [n])
                assert cursor.fetchone() == (2 * n,)
    assert [q["sql"] for q in queries.captured_queries] == [sql] * 4


@pytest.mark.django_db(transaction=True)
def test_one_cursor_serves_the_connection_until_it_reconnects():
    with hot_cursor() as first:
        first.execute("SELECT %s::int", [1])
        assert first.fetchone() == (1,)
    with hot_cursor() as second:
        second.execute("SELECT %s::int", [2])
        assert second.fetchone() == (2,)
    assert second.cursor is first.cursor and not first.cursor.closed
    with pytest.raises(DatabaseError), hot_cursor() as cursor:
        cursor.execute("SELECT 1 / %s::int", [0])
    with hot_cursor() as cursor:  # still usable after an error
        cursor.execute("SELECT %s::int", [0])
        assert cursor.fetchone() == (0,)
    connection.close()
    with hot_cursor() as cursor:
        cursor.execute("SELECT %s::int", [3])
        assert cursor.fetchone() == (3,)
    assert cursor.cursor is not first.cursor


def test_the_plans_of_hot_statements_are_generic():
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone() == ("force_generic_plan",)


# --- PostgreSQL is the only database ---------------------------------------------------------
ROOT = Path(__file__).resolve().parent.parent
APPLICATION_DIRS = ("api", "cabinet", "campaigns", "config", "customers", "desk", "loyalty")


def _settings_with(database_url: str | None) -> subprocess.CompletedProcess:
    """Load the settings in a fresh process with `database_url` (None: unset)."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    env.update(SECRET_KEY="test-only-secret", DJANGO_SETTINGS_MODULE="config.settings")
    script = (
        "from django.conf import settings; d = settings.DATABASES['default']; "
        "print(d['ENGINE'], d['NAME'], d['HOST'] or d['OPTIONS'].get('host'))"
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_database_other_than_postgresql_is_refused_at_startup():
    result = _settings_with("sqlite:///var/db.sqlite3")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "PostgreSQL" in result.stderr


def test_with_no_database_url_the_platform_uses_the_embedded_demo_server():
    result = _settings_with(None)
    assert result.returncode == 0, result.stderr
    engine, name, host = result.stdout.split()
    assert (engine, name, host) == (
        "django.db.backends.postgresql",
        "kopilka",
        str(ROOT / "var/pg"),
    )


def test_no_application_code_asks_which_database_it_runs_on():
    """One code path: nothing outside migrations and tests branches on connection.vendor."""
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in APPLICATION_DIRS
        for path in sorted((ROOT / folder).rglob("*.py"))
        if "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "connection.vendor" in line or ".vendor ==" in line or ".vendor !=" in line
    ]
    assert found == []
