"""Who works with campaigns: marketers add, change and read them and read their awards; analysts
only read them (and so their reports). Nobody but a superuser deletes a campaign."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MARKETER = "marketer"
ANALYST = "analyst"
MARKETER_PERMISSIONS = ("add_campaign", "change_campaign", "view_campaign", "view_award")
ANALYST_PERMISSIONS = ("view_campaign", "view_award")


def _permissions(apps, codenames):
    permission_model = apps.get_model("auth", "Permission")
    return list(
        permission_model.objects.filter(content_type__app_label="campaigns", codename__in=codenames)
    )


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; make them now so they can be granted.
    app_config = apps.get_app_config("campaigns")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    marketer, _ = group_model.objects.get_or_create(name=MARKETER)
    marketer.permissions.add(*_permissions(apps, MARKETER_PERMISSIONS))
    analyst, _ = group_model.objects.get_or_create(name=ANALYST)
    analyst.permissions.add(*_permissions(apps, ANALYST_PERMISSIONS))


def revoke(apps, schema_editor):
    group_model = apps.get_model("auth", "Group")
    for name, codenames in ((MARKETER, MARKETER_PERMISSIONS), (ANALYST, ANALYST_PERMISSIONS)):
        group = group_model.objects.filter(name=name).first()
        if group is not None:
            group.permissions.remove(*_permissions(apps, codenames))


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("customers", "0006_staff_roles"),
        ("campaigns", "0002_challenge_progress"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
