"""Data: the five RFM segments, the thresholds row, and who works with segments — marketers add
and change segments and the thresholds and see the members and counts; analysts only read them
(members as numbers: the admin hides personal data from them). Nobody but a superuser deletes
a segment (a campaign or trigger may name it)."""

from django.db import migrations

from core import roles

MARKETER = "marketer"
ANALYST = "analyst"
MARKETER_PERMISSIONS = (
    "add_segment",
    "change_segment",
    "view_segment",
    "view_segmentmember",
    "view_segmentcount",
    "change_rfmsettings",
    "view_rfmsettings",
)
ANALYST_PERMISSIONS = (
    "view_segment",
    "view_segmentmember",
    "view_segmentcount",
    "view_rfmsettings",
)
RFM_SEGMENTS = (
    ("new", "Новые", "New", "Joined recently and bought at most once."),
    ("active", "Активные", "Active", "Bought recently."),
    ("vip", "VIP", "VIP", "Bought recently and spent or bought a lot in the window."),
    ("at_risk", "В зоне риска", "At risk", "No purchase for a while."),
    ("sleeping", "Спящие", "Sleeping", "No purchase for a long time."),
)


def create_defaults(apps, schema_editor):
    segment_model = apps.get_model("campaigns", "Segment")
    for rfm_class, name, name_en, description in RFM_SEGMENTS:
        segment_model.objects.get_or_create(
            code=rfm_class,
            defaults={
                "kind": "rfm",
                "rfm_class": rfm_class,
                "name": name,
                "name_en": name_en,
                "description": description,
            },
        )
    settings_model = apps.get_model("campaigns", "RfmSettings")
    if not settings_model.objects.exists():
        settings_model.objects.create()
    roles.grant(apps, "campaigns", {MARKETER: MARKETER_PERMISSIONS, ANALYST: ANALYST_PERMISSIONS})


def remove_defaults(apps, schema_editor):
    roles.revoke(apps, "campaigns", {MARKETER: MARKETER_PERMISSIONS, ANALYST: ANALYST_PERMISSIONS})
    apps.get_model("campaigns", "Segment").objects.filter(kind="rfm").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("campaigns", "0008_default_triggers"),
    ]

    operations = [migrations.RunPython(create_defaults, remove_defaults)]
