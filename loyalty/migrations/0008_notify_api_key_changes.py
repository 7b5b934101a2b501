"""Every statement that writes partners or their API keys notifies `kopilka_api_keys`
(PostgreSQL): processes that remember verified keys forget them (loyalty/api/verified_keys.py).

Statement-level triggers, so an UPDATE of many keys sends one notification; PostgreSQL sends it
when the writing transaction commits, and never if it rolls back.
"""

from django.db import migrations

TABLES = ("loyalty_partner", "loyalty_partnerapikey")

NOTIFY_SQL = """
CREATE OR REPLACE FUNCTION loyalty_notify_api_keys() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('kopilka_api_keys', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
""" + "".join(
    f"""
CREATE TRIGGER {table}_notify_api_keys
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION loyalty_notify_api_keys();
"""
    for table in TABLES
)

UNNOTIFY_SQL = "".join(
    f"DROP TRIGGER IF EXISTS {table}_notify_api_keys ON {table};\n" for table in TABLES
) + "DROP FUNCTION IF EXISTS loyalty_notify_api_keys();\n"


def notify(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(NOTIFY_SQL)


def unnotify(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNNOTIFY_SQL)


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0007_purchase_balance_after")]

    operations = [migrations.RunPython(notify, unnotify, elidable=False)]
