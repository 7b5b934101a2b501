from django.db import migrations, models


class Migration(migrations.Migration):
    """A bulk operation keeps its staff-only reason and gets an optional text for the member."""

    dependencies = [
        ("campaigns", "0016_expiry_forecast_snapshot"),
    ]

    operations = [
        migrations.AddField(
            model_name="bulkoperation",
            name="member_text",
            field=models.CharField(
                blank=True, default="", max_length=300, verbose_name="text for the member"
            ),
        ),
    ]
