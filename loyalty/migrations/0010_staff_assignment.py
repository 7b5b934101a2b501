# A cashier's store moves from customers.User.store to loyalty.StaffAssignment (members and staff
# accounts know nothing of stores): create the table and copy every user's store into it;
# customers 0011 then drops the old column.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def copy_user_stores(apps, schema_editor):
    User = apps.get_model("customers", "User")
    StaffAssignment = apps.get_model("loyalty", "StaffAssignment")
    StaffAssignment.objects.bulk_create(
        StaffAssignment(user_id=user_id, store_id=store_id)
        for user_id, store_id in User.objects.filter(store__isnull=False)
        .values_list("id", "store_id")
        .iterator()
    )


def copy_back(apps, schema_editor):
    User = apps.get_model("customers", "User")
    StaffAssignment = apps.get_model("loyalty", "StaffAssignment")
    for user_id, store_id in StaffAssignment.objects.values_list("user_id", "store_id"):
        User.objects.filter(pk=user_id).update(store_id=store_id)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0010_marketer_views_data_requests"),
        ("loyalty", "0009_program_redeem_confirmation_shares_members"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="StaffAssignment",
            fields=[
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="store_assignment",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="staff user",
                    ),
                ),
                (
                    "store",
                    models.ForeignKey(
                        help_text="The store a cashier works at; desk operations are recorded against it.",
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="staff_assignments",
                        to="loyalty.store",
                        verbose_name="store",
                    ),
                ),
            ],
            options={
                "verbose_name": "store of a staff user",
                "verbose_name_plural": "stores of staff users",
            },
        ),
        migrations.RunPython(copy_user_stores, copy_back),
    ]
