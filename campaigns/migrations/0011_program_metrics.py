"""The program's daily rollups (campaigns/models/metrics.py), read by the dashboard, the monthly
report and `manage.py program_metrics`; marketers and analysts may read them (they are written
only by the rollup, never by hand); and the beat job that rolls up yesterday (and catches up
missed or late days) every night at 03:15 in the program's time zone."""

from decimal import Decimal

from django.conf import settings
from django.db import migrations, models

from core import roles

TASK_NAME = "Roll up the program's figures"
TASK = "campaigns.tasks.rollup_metrics"
VIEW = (
    "view_metricsday",
    "view_dailymetrics",
    "view_dailybuyers",
    "view_metricsmonth",
    "view_cohortactivity",
)
ROLES = {"marketer": VIEW, "analyst": VIEW}
MONEY = {"decimal_places": 2, "default": Decimal("0.00"), "max_digits": 16}


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
        minute="15",
        hour="3",
        day_of_week="*",
        day_of_month="*",
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
        ("campaigns", "0010_trigger_schedules"),
        ("loyalty", "0003_default_program"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.CreateModel(
            name="MetricsDay",
            fields=[
                ("day", models.DateField(primary_key=True, serialize=False, verbose_name="day")),
                ("computed_at", models.DateTimeField(verbose_name="computed at")),
            ],
            options={
                "verbose_name": "rolled-up day",
                "verbose_name_plural": "rolled-up days",
                "ordering": ["-day"],
            },
        ),
        migrations.CreateModel(
            name="MetricsMonth",
            fields=[
                (
                    "month",
                    models.DateField(primary_key=True, serialize=False, verbose_name="month"),
                ),
                ("through_day", models.DateField(verbose_name="counted through")),
                ("computed_at", models.DateTimeField(verbose_name="computed at")),
            ],
            options={
                "verbose_name": "rolled-up month",
                "verbose_name_plural": "rolled-up months",
                "ordering": ["-month"],
            },
        ),
        migrations.CreateModel(
            name="CohortActivity",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("month", models.DateField(verbose_name="month")),
                ("scope_kind", models.PositiveSmallIntegerField(verbose_name="scope")),
                ("scope_id", models.BigIntegerField(verbose_name="partner or store")),
                ("join_month", models.DateField(verbose_name="joined in")),
                ("members", models.IntegerField()),
            ],
            options={
                "verbose_name": "cohort activity",
                "verbose_name_plural": "cohort activity",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("scope_kind", "scope_id", "month", "join_month"),
                        name="cohort_activity_once",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="DailyBuyers",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField(verbose_name="day")),
                ("scope_kind", models.PositiveSmallIntegerField(verbose_name="scope")),
                ("scope_id", models.BigIntegerField(verbose_name="partner or store")),
                ("k", models.PositiveSmallIntegerField()),
                ("back_day", models.DateField(blank=True, null=True)),
                ("members", models.IntegerField()),
            ],
            options={
                "verbose_name": "daily buyers",
                "verbose_name_plural": "daily buyers",
                "indexes": [
                    models.Index(
                        fields=["scope_kind", "scope_id", "day"], name="daily_buyers_by_scope"
                    ),
                    models.Index(fields=["day"], name="daily_buyers_by_day"),
                    models.Index(
                        condition=models.Q(("back_day__isnull", True)),
                        fields=["scope_kind", "scope_id", "day"],
                        name="daily_first_buyers",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="DailyMetrics",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField(verbose_name="day")),
                ("scope_kind", models.PositiveSmallIntegerField(verbose_name="scope")),
                ("scope_id", models.BigIntegerField(verbose_name="partner or store")),
                ("checks", models.IntegerField(default=0)),
                ("checks_total", models.DecimalField(**MONEY)),
                ("paid", models.DecimalField(**MONEY)),
                ("refunded", models.DecimalField(**MONEY)),
                ("guest_checks", models.IntegerField(default=0)),
                ("guest_total", models.DecimalField(**MONEY)),
                ("points_issued", models.BigIntegerField(default=0)),
                ("points_redeemed", models.BigIntegerField(default=0)),
                ("points_expired", models.BigIntegerField(default=0)),
                ("points_taken_back", models.BigIntegerField(default=0)),
                ("points_delta", models.BigIntegerField(default=0)),
                ("new_members", models.IntegerField(default=0)),
                ("acquisition_points", models.BigIntegerField(default=0)),
            ],
            options={
                "verbose_name": "daily figures",
                "verbose_name_plural": "daily figures",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("scope_kind", "scope_id", "day"),
                        name="daily_metrics_once_per_scope",
                    )
                ],
            },
        ),
        migrations.RunPython(grant, revoke),
        migrations.RunPython(create_schedule, delete_schedule),
    ]
