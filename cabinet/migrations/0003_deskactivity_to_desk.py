# The desk's activity log moved to the desk app (desk 0001 took the table over): drop it from
# the cabinet's state only; the table and its rows stay.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("cabinet", "0002_initial"),
        ("desk", "0001_deskactivity_from_cabinet"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="DeskActivity")],
            database_operations=[],
        ),
    ]
