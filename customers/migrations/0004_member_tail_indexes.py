"""Indexes for the desk's "last digits" search: a prefix match on the reversed phone and card.

PostgreSQL only (text_pattern_ops on an expression); SQLite, the demo default, scans.
"""

from django.db import migrations

CREATE = [
    "CREATE INDEX IF NOT EXISTS customers_member_phone_tail "
    "ON customers_member (reverse(phone) text_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS customers_member_card_tail "
    "ON customers_member (reverse(card_number) text_pattern_ops)",
]
DROP = [
    "DROP INDEX IF EXISTS customers_member_phone_tail",
    "DROP INDEX IF EXISTS customers_member_card_tail",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_staff_groups")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP), elidable=False)]
