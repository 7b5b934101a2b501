"""The balance right after each purchase (its answer to the till, rebuilt for a replay of its
Idempotency-Key), and an index to find a partner's purchase by that key.

Both columns are nullable: SQLite adds them without rebuilding the table (which would drop the
ledger's triggers, see 0006), and purchases recorded before this have no such balance.
"""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0004_member_tail_indexes"),
        ("loyalty", "0006_drop_indexes_covered_by_composites"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="purchase",
            name="available_after",
            field=models.IntegerField(blank=True, null=True, verbose_name="points available after"),
        ),
        migrations.AddField(
            model_name="purchase",
            name="pending_after",
            field=models.IntegerField(blank=True, null=True, verbose_name="points pending after"),
        ),
        migrations.AddIndex(
            model_name="purchase",
            index=models.Index(
                condition=models.Q(("idempotency_key", ""), _negated=True),
                fields=["partner", "idempotency_key"],
                name="purchase_by_idempotency_key",
            ),
        ),
    ]
