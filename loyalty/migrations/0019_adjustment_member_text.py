from django.db import migrations, models


class Migration(migrations.Migration):
    """A manual adjustment keeps its staff-only reason and gets an optional text for the member
    (on the request and on its ledger entries)."""

    dependencies = [
        ("loyalty", "0018_guest_check_roles"),
    ]

    operations = [
        migrations.AddField(
            model_name="adjustmentrequest",
            name="member_text",
            field=models.CharField(
                blank=True, default="", max_length=300, verbose_name="text for the member"
            ),
        ),
        migrations.AddField(
            model_name="ledgerentry",
            name="member_text",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                max_length=300,
                verbose_name="text for the member",
            ),
        ),
    ]
