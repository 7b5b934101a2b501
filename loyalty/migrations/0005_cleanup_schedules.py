from django.db import migrations

SCHEDULES = [
    # (name, task, crontab minute, hour)
    ("Purge old idempotency records", "loyalty.tasks.purge_idempotency_records", "15", "4"),
    ("Purge old login codes", "loyalty.tasks.purge_login_codes", "20", "4"),
]


def create_schedules(apps, schema_editor):
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minute, hour in SCHEDULES:
        crontab, _ = crontab_model.objects.get_or_create(
            minute=minute, hour=hour, day_of_week="*", day_of_month="*", month_of_year="*",
            timezone="Europe/Moscow",
        )
        task_model.objects.get_or_create(name=name, defaults={"task": task, "crontab": crontab})


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0004_account_lifetime_spend")]

    operations = [migrations.RunPython(create_schedules, migrations.RunPython.noop)]
