import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    """A member's join date may be given (a history import keeps the date they joined the
    previous program); everyone else still joins "now"."""

    dependencies = [("customers", "0012_member_time_zone_topics")]

    operations = [
        migrations.AlterField(
            model_name="member",
            name="created_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now, editable=False, verbose_name="joined at"
            ),
        ),
    ]
