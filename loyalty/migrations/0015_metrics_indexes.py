"""A BRIN index on purchases by time (occurred_at, created_at) for the metrics' daily rollup: the
purchases of one day, of today, and those recorded late. Rows are appended roughly in time
order, so a BRIN index finds a day's blocks while costing next to nothing on the purchase path
(no B-tree to keep up per insert)."""

import django.contrib.postgres.indexes
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0014_adjustment_approvals")]

    operations = [
        migrations.AddIndex(
            model_name="purchase",
            index=django.contrib.postgres.indexes.BrinIndex(
                fields=["occurred_at", "created_at"], name="purchase_by_time_brin"
            ),
        ),
    ]
