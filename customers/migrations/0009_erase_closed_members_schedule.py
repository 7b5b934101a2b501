from django.db import migrations

NAME = "Erase members closed long enough ago"
TASK = "customers.tasks.erase_closed_members"


def create_schedule(apps, schema_editor):
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = crontab_model.objects.get_or_create(
        minute="40", hour="4", day_of_week="*", day_of_month="*", month_of_year="*",
        timezone="Europe/Moscow",
    )
    task_model.objects.get_or_create(name=NAME, defaults={"task": TASK, "crontab": crontab})


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0008_member_erasure_consent_text"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, migrations.RunPython.noop)]
