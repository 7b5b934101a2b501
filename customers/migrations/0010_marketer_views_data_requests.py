"""Marketers may read the log of members' personal-data requests (copies and erasures)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group = apps.get_model("auth", "Group").objects.filter(name="marketer").first()
    permission = (
        apps.get_model("auth", "Permission")
        .objects.filter(content_type__app_label="customers", codename="view_datarequest")
        .first()
    )
    if group is not None and permission is not None:
        group.permissions.add(permission)


def revoke(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name="marketer").first()
    if group is not None:
        group.permissions.remove(
            *apps.get_model("auth", "Permission").objects.filter(
                content_type__app_label="customers", codename="view_datarequest"
            )
        )


class Migration(migrations.Migration):
    dependencies = [("customers", "0009_erase_closed_members_schedule")]

    operations = [migrations.RunPython(grant, revoke)]
