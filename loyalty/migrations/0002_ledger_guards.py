"""The database itself keeps the ledger append-only (PostgreSQL; SQLite is the demo default)."""

from django.db import migrations

PROTECT_SQL = """
CREATE OR REPLACE FUNCTION loyalty_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'ledger entries are append-only: ' || TG_OP || ' is not allowed',
        ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER loyalty_ledgerentry_append_only
    BEFORE UPDATE OR DELETE ON loyalty_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION loyalty_ledger_append_only();
"""

UNPROTECT_SQL = """
DROP TRIGGER IF EXISTS loyalty_ledgerentry_append_only ON loyalty_ledgerentry;
DROP FUNCTION IF EXISTS loyalty_ledger_append_only();
"""

SQLITE_PROTECT_SQL = [
    """CREATE TRIGGER IF NOT EXISTS loyalty_ledgerentry_no_update
       BEFORE UPDATE ON loyalty_ledgerentry
       BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;""",
    """CREATE TRIGGER IF NOT EXISTS loyalty_ledgerentry_no_delete
       BEFORE DELETE ON loyalty_ledgerentry
       BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;""",
]


def protect(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PROTECT_SQL)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_PROTECT_SQL:
            schema_editor.execute(statement)


def unprotect(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNPROTECT_SQL)
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS loyalty_ledgerentry_no_update")
        schema_editor.execute("DROP TRIGGER IF EXISTS loyalty_ledgerentry_no_delete")


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0001_initial")]

    operations = [migrations.RunPython(protect, unprotect, elidable=False)]
