import django.contrib.postgres.fields
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0017_bulk_member_text"),
    ]

    operations = [
        migrations.AlterField(
            model_name="award",
            name="entry",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="loyalty.ledgerentry",
                verbose_name="ledger entry",
            ),
        ),
        migrations.AlterField(
            model_name="award",
            name="lot",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="loyalty.pointlot",
                verbose_name="points lot",
            ),
        ),
        migrations.AlterField(
            model_name="bulkitem",
            name="entry_ids",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.BigIntegerField(),
                blank=True,
                default=list,
                size=None,
                verbose_name="ledger entries",
            ),
        ),
        migrations.AlterField(
            model_name="bulkitem",
            name="operation",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="items",
                to="campaigns.bulkoperation",
                verbose_name="bulk operation",
            ),
        ),
        migrations.AlterField(
            model_name="bulkitem",
            name="undo_entry_ids",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.BigIntegerField(),
                blank=True,
                default=list,
                size=None,
                verbose_name="undo ledger entries",
            ),
        ),
        migrations.AlterField(
            model_name="bulkoperation",
            name="list_member_ids",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.BigIntegerField(),
                blank=True,
                default=list,
                size=None,
                verbose_name="members of the list",
            ),
        ),
        migrations.AlterField(
            model_name="rfmsettings",
            name="recompute_started_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="recomputation started at"
            ),
        ),
        migrations.AlterField(
            model_name="rfmsettings",
            name="recomputed_with",
            field=models.CharField(
                blank=True,
                default="",
                editable=False,
                max_length=200,
                verbose_name="thresholds of the last recomputation",
            ),
        ),
        migrations.AlterField(
            model_name="webhookendpoint",
            name="previous_secret",
            field=models.CharField(
                blank=True,
                default="",
                editable=False,
                max_length=100,
                verbose_name="previous secret",
            ),
        ),
        migrations.AlterField(
            model_name="webhookendpoint",
            name="previous_secret_until",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="previous secret valid until"
            ),
        ),
        migrations.AlterField(
            model_name="campaign",
            name="params",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="For event bonuses and challenges: see <code>docs/CAMPAIGNS.md</code>.",
                verbose_name="event parameters",
            ),
        ),
        migrations.AlterField(
            model_name="campaignevent",
            name="params",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="For event bonuses and challenges: see <code>docs/CAMPAIGNS.md</code>.",
                verbose_name="event parameters",
            ),
        ),
        migrations.AlterField(
            model_name="trigger",
            name="params",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text='The kind\'s own numbers, e.g. <code>{"days": 3}</code>; '
                "see <code>docs/MESSAGING.md</code>.",
                verbose_name="parameters",
            ),
        ),
        migrations.AlterField(
            model_name="triggerevent",
            name="params",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text='The kind\'s own numbers, e.g. <code>{"days": 3}</code>; '
                "see <code>docs/MESSAGING.md</code>.",
                verbose_name="parameters",
            ),
        ),
    ]
