"""Staff roles that match the jobs.

- cashier: the desk only. The group loses every back-office permission, and its users lose
  staff status (which opens /admin/) unless they are superusers, belong to another group or hold
  permissions of their own.
- analyst (new): reads program figures — accounts, lots, ledger, purchases, refunds, tiers,
  partners, stores — but not members' personal data, and exports nothing.
- marketer: may also read the personal data access log and export personal data (each export
  is logged).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CASHIER = "cashier"
ANALYST = "analyst"
MARKETER = "marketer"

ANALYST_VIEWS = {
    "loyalty": (
        "program",
        "tier",
        "tierchange",
        "partner",
        "store",
        "account",
        "pointlot",
        "ledgerentry",
        "purchase",
        "purchaseline",
        "refund",
        "refundline",
    ),
}
MARKETER_EXTRA = {"customers": ("view_personaldataaccess", "export_personal_data")}
# What 0003_staff_groups gave cashiers: restored only when this migration is reversed.
OLD_CASHIER = {
    "customers": ("view_member", "view_consent"),
    "loyalty": (
        "view_account",
        "view_purchase",
        "view_refund",
        "view_partner",
        "view_store",
        "view_tier",
    ),
}


def _permissions(apps, by_app: dict[str, tuple[str, ...]]):
    permission_model = apps.get_model("auth", "Permission")
    return [
        permission
        for app_label, codenames in by_app.items()
        for permission in permission_model.objects.filter(
            content_type__app_label=app_label, codename__in=codenames
        )
    ]


def _create_permissions(apps):
    # Permissions are normally created after all migrations; make them now so they can be granted.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def apply_roles(apps, schema_editor):
    _create_permissions(apps)
    group_model = apps.get_model("auth", "Group")
    user_model = apps.get_model("customers", "User")

    cashier, _ = group_model.objects.get_or_create(name=CASHIER)
    cashier.permissions.clear()
    other_groups = group_model.objects.exclude(pk=cashier.pk)
    desk_only = (
        user_model.objects.filter(groups=cashier, is_staff=True, is_superuser=False)
        .exclude(groups__in=other_groups)
        .exclude(user_permissions__isnull=False)
    )
    user_model.objects.filter(pk__in=list(desk_only.values_list("pk", flat=True))).update(
        is_staff=False
    )

    analyst, _ = group_model.objects.get_or_create(name=ANALYST)
    views = {
        app: tuple(f"view_{model}" for model in models) for app, models in ANALYST_VIEWS.items()
    }
    analyst.permissions.set(_permissions(apps, views))

    marketer, _ = group_model.objects.get_or_create(name=MARKETER)
    marketer.permissions.add(*_permissions(apps, MARKETER_EXTRA))


def revert_roles(apps, schema_editor):
    group_model = apps.get_model("auth", "Group")
    group_model.objects.filter(name=ANALYST).delete()
    marketer = group_model.objects.filter(name=MARKETER).first()
    if marketer is not None:
        marketer.permissions.remove(*_permissions(apps, MARKETER_EXTRA))
    cashier = group_model.objects.filter(name=CASHIER).first()
    if cashier is not None:
        cashier.permissions.add(*_permissions(apps, OLD_CASHIER))
    # Staff status taken from cashiers is not given back: nobody can tell who had it.


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("customers", "0005_personal_data_access"),
        ("loyalty", "0003_default_program"),
    ]

    operations = [migrations.RunPython(apply_roles, revert_roles)]
