from django.db import migrations

from loyalty.defaults import ensure_defaults

SCHEDULES = [
    # (name, task, crontab minute, hour)
    ("Activate pending points", "loyalty.tasks.activate_points", "*/10", "*"),
    ("Burn expired points", "loyalty.tasks.burn_points", "5", "0"),
    ("Review tiers", "loyalty.tasks.review_tiers", "30", "3"),
]


def create_defaults(apps, schema_editor):
    ensure_defaults(apps.get_model("loyalty", "Program"), apps.get_model("loyalty", "Tier"))
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minute, hour in SCHEDULES:
        crontab, _ = crontab_model.objects.get_or_create(
            minute=minute, hour=hour, day_of_week="*", day_of_month="*", month_of_year="*",
            timezone="Europe/Moscow",
        )
        task_model.objects.get_or_create(name=name, defaults={"task": task, "crontab": crontab})


class Migration(migrations.Migration):
    dependencies = [
        ("loyalty", "0002_ledger_guards"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
