"""Staff groups: "cashier" (the desk, read-only back-office) and "marketer" (the back-office)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW = ("view",)
EDIT = ("view", "add", "change")
ALL = ("view", "add", "change", "delete")

GROUPS = {
    "cashier": {
        "customers": {"member": VIEW, "consent": VIEW},
        "loyalty": {
            "account": VIEW,
            "purchase": VIEW,
            "refund": VIEW,
            "partner": VIEW,
            "store": VIEW,
            "tier": VIEW,
        },
    },
    "marketer": {
        "customers": {
            "member": EDIT,
            "consent": VIEW,
            "importantdate": ALL,
            "notificationpreference": VIEW,
        },
        "loyalty": {
            "program": ("view", "change"),
            "tier": EDIT,
            "tierchange": VIEW,
            "partner": EDIT,
            "store": EDIT,
            # "change" on an account = the manual adjustment and tier pin forms (with a reason).
            "account": ("view", "change"),
            "pointlot": VIEW,
            "ledgerentry": VIEW,
            "purchase": VIEW,
            "purchaseline": VIEW,
            "refund": VIEW,
            "refundline": VIEW,
            "partnerapikey": EDIT,
        },
        "cabinet": {"faqentry": ALL, "deskactivity": VIEW},
        "django_celery_beat": {"periodictask": ("view", "change")},
    },
}


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; make them now so they can be granted.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, apps_models in GROUPS.items():
        group, _ = group_model.objects.get_or_create(name=name)
        codenames = [
            (app_label, f"{action}_{model}")
            for app_label, models in apps_models.items()
            for model, actions in models.items()
            for action in actions
        ]
        for app_label, codename in codenames:
            permission = permission_model.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is not None:
                group.permissions.add(permission)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("customers", "0002_initial"),
        ("loyalty", "0003_default_program"),
        ("cabinet", "0002_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
