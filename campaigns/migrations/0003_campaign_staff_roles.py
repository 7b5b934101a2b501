"""Who works with campaigns: marketers add, change and read them and read their awards; analysts
only read them (and so their reports). Nobody but a superuser deletes a campaign."""

from django.db import migrations

from core import roles

MARKETER = "marketer"
ANALYST = "analyst"
MARKETER_PERMISSIONS = ("add_campaign", "change_campaign", "view_campaign", "view_award")
ANALYST_PERMISSIONS = ("view_campaign", "view_award")


ROLES = {MARKETER: MARKETER_PERMISSIONS, ANALYST: ANALYST_PERMISSIONS}


def grant(apps, schema_editor):
    roles.grant(apps, "campaigns", ROLES)


def revoke(apps, schema_editor):
    roles.revoke(apps, "campaigns", ROLES)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("customers", "0006_staff_roles"),
        ("campaigns", "0002_challenge_progress"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
