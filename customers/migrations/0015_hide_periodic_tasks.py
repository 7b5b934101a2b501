"""Marketers (and analysts) no longer see or change the Celery periodic tasks: they are the
program's plumbing, kept by administrators. Migration 0003 gave marketers view/change on them."""

from django.db import migrations

from core.roles import grant, revoke

TAKEN = {
    "marketer": ("view_periodictask", "change_periodictask"),
    "analyst": ("view_periodictask", "change_periodictask"),
}
GIVEN_BY_0003 = {"marketer": ("view_periodictask", "change_periodictask")}


def hide(apps, schema_editor):
    revoke(apps, "django_celery_beat", TAKEN)


def show_again(apps, schema_editor):
    grant(apps, "django_celery_beat", GIVEN_BY_0003)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0014_member_language_choices"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(hide, show_again)]
