import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("desk", "0002_deskactivity_own_table"),
    ]

    operations = [
        migrations.AlterField(
            model_name="deskactivity",
            name="ip",
            field=models.GenericIPAddressField(blank=True, null=True, verbose_name="IP address"),
        ),
        migrations.AlterField(
            model_name="deskactivity",
            name="purchase",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="loyalty.purchase",
                verbose_name="purchase",
            ),
        ),
    ]
