"""Marketers and analysts read the checks without a card (the admin list is read-only)."""

from django.db import migrations

from core import roles

VIEW = {"marketer": ["view_guestcheck"], "analyst": ["view_guestcheck"]}


def grant(apps, schema_editor):
    roles.grant(apps, "loyalty", VIEW)


def revoke(apps, schema_editor):
    roles.revoke(apps, "loyalty", VIEW)


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0017_rules_text_without_numbers")]

    operations = [migrations.RunPython(grant, revoke)]
