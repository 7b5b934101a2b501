"""Drop four foreign-key indexes that a composite index already starts with (each cost an index
insert on every purchase or ledger entry).

On SQLite (the demo) altering a field rebuilds the table, which drops the ledger's append-only
triggers: they are put back after the rebuild, in both directions.
"""

import importlib

import django.db.models.deletion
from django.db import migrations, models

guards = importlib.import_module("loyalty.migrations.0002_ledger_guards")


def protect_sqlite(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        guards.protect(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0004_member_tail_indexes"),
        ("loyalty", "0005_cleanup_schedules"),
    ]

    operations = [
        # Backwards, the ledger table is rebuilt after this runs: protect it again then.
        migrations.RunPython(migrations.RunPython.noop, protect_sqlite, elidable=False),
        migrations.AlterField(
            model_name="idempotencyrecord",
            name="partner",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="loyalty.partner",
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="account",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="entries",
                to="loyalty.account",
            ),
        ),
        migrations.AlterField(
            model_name="purchase",
            name="member",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="purchases",
                to="customers.member",
                verbose_name="member",
            ),
        ),
        migrations.AlterField(
            model_name="purchase",
            name="partner",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="purchases",
                to="loyalty.partner",
                verbose_name="partner",
            ),
        ),
        migrations.RunPython(protect_sqlite, migrations.RunPython.noop, elidable=False),
    ]
