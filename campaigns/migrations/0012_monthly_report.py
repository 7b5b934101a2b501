"""The monthly program report: its delivery log (one row per month e-mailed, so a month is sent
once), who may download it (marketers and analysts; admins as superusers) and its beat job — on
the 1st of each month at 07:00 in the program's time zone, e-mail last month's PDF to marketers."""

from django.conf import settings
from django.db import migrations, models

from core import roles

TASK_NAME = "Send the monthly program report"
TASK = "campaigns.tasks.send_monthly_report"
ROLES = {
    "marketer": ("download_monthly_report", "view_monthlyreportdelivery"),
    "analyst": ("download_monthly_report", "view_monthlyreportdelivery"),
}


def grant(apps, schema_editor):
    roles.grant(apps, "campaigns", ROLES)


def revoke(apps, schema_editor):
    roles.revoke(apps, "campaigns", ROLES)


def create_schedule(apps, schema_editor):
    program_zone = (
        apps.get_model("loyalty", "Program")
        .objects.filter(pk=1)
        .values_list("time_zone", flat=True)
        .first()
    )
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    crontab, _created = crontab_model.objects.get_or_create(
        minute="0",
        hour="7",
        day_of_week="*",
        day_of_month="1",
        month_of_year="*",
        timezone=program_zone or settings.TIME_ZONE,
    )
    apps.get_model("django_celery_beat", "PeriodicTask").objects.get_or_create(
        name=TASK_NAME, defaults={"task": TASK, "crontab": crontab}
    )


def delete_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0011_program_metrics"),
        ("loyalty", "0003_default_program"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.CreateModel(
            name="MonthlyReportDelivery",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "month",
                    models.DateField(
                        help_text="The first day of the month.", unique=True, verbose_name="month"
                    ),
                ),
                ("sent_at", models.DateTimeField(verbose_name="sent at")),
                ("recipients", models.JSONField(default=list, verbose_name="recipients")),
            ],
            options={
                "verbose_name": "monthly report delivery",
                "verbose_name_plural": "monthly report deliveries",
                "ordering": ["-month"],
                "permissions": [
                    ("download_monthly_report", "Can download the monthly program report")
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("month__day", 1)),
                        name="monthly_report_month_is_first_day",
                    )
                ],
            },
        ),
        migrations.RunPython(grant, revoke),
        migrations.RunPython(create_schedule, delete_schedule),
    ]
