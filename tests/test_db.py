"""config.db.hot_cursor: prepared, server-bound statements that Django still sees."""

import datetime as dt

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
