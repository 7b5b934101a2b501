# The store of a staff user now lives in loyalty.StaffAssignment (copied by loyalty 0010).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0010_marketer_views_data_requests"),
        ("loyalty", "0010_staff_assignment"),
    ]

    operations = [
        migrations.RemoveField(model_name="user", name="store"),
    ]
