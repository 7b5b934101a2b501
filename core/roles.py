"""Staff roles are auth groups; migrations give and take their permissions with these two
functions (on the migration's historical models, `apps`)."""

from collections.abc import Iterable, Mapping


def _permissions(apps, app_label: str, codenames: Iterable[str]) -> list:
    permission_model = apps.get_model("auth", "Permission")
    return list(
        permission_model.objects.filter(
            content_type__app_label=app_label, codename__in=list(codenames)
        )
    )


def grant(apps, app_label: str, roles: Mapping[str, Iterable[str]]) -> None:
    """Give each role (group, made if missing) these permissions of the app's models. The
    permissions are made first: Django makes them only after all migrations have run."""
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config(app_label)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    for name, codenames in roles.items():
        group, _created = group_model.objects.get_or_create(name=name)
        group.permissions.add(*_permissions(apps, app_label, codenames))


def revoke(apps, app_label: str, roles: Mapping[str, Iterable[str]]) -> None:
    """Take these permissions back from each role that exists."""
    group_model = apps.get_model("auth", "Group")
    for name, codenames in roles.items():
        group = group_model.objects.filter(name=name).first()
        if group is not None:
            group.permissions.remove(*_permissions(apps, app_label, codenames))
