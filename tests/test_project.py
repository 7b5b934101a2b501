"""Project-wide checks: every model change has its migration; the suite runs on PostgreSQL."""

import io

from django.core.management import call_command
from django.db import connection


def test_no_model_change_is_missing_a_migration(db):
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exc:  # --check exits non-zero when a migration would be written
        raise AssertionError(f"makemigrations would write:\n{out.getvalue()}") from exc


def test_django_system_checks_pass(db):
    call_command("check", "--fail-level", "WARNING", stdout=io.StringIO())


def test_the_database_is_postgresql(db):
    assert connection.vendor == "postgresql"
