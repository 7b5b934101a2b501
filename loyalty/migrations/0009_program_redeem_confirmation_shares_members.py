from django.db import migrations, models


def keep_running_installs_open(apps, schema_editor):
    """An install that already records purchases keeps spending without proof (its tills and
    API clients do not send one yet); a fresh install starts with proof required."""
    Program = apps.get_model("loyalty", "Program")
    Purchase = apps.get_model("loyalty", "Purchase")
    if Purchase.objects.exists():
        Program.objects.update(redeem_confirmation="off")


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0008_notify_api_key_changes")]

    operations = [
        migrations.AddField(
            model_name="program",
            name="redeem_confirmation",
            field=models.CharField(
                choices=[
                    ("off", "off: a phone number or card number is enough to spend points"),
                    ("required", "required: a code sent to the member or the cabinet's live QR"),
                ],
                default="required",
                max_length=10,
                verbose_name="proof of presence to spend points",
            ),
        ),
        migrations.AddField(
            model_name="program",
            name="shares_members",
            field=models.BooleanField(
                default=False,
                help_text=(
                    "Off: a partner reads (by id or phone) only members who joined through it "
                    "or bought at its stores; a lookup by card or live QR is always allowed."
                ),
                verbose_name="partners share members (coalition)",
            ),
        ),
        migrations.RunPython(keep_running_installs_open, migrations.RunPython.noop),
    ]
