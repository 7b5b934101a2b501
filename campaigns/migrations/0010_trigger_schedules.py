"""Data: the beat schedules of the triggers (one job per trigger, as campaigns/schedules.py keeps
them) and the fixed jobs: the sweep of due messages and the segment recomputation."""

from django.db import migrations

from campaigns import schedules


def create(apps, schema_editor):
    models = {
        "crontab_model": apps.get_model("django_celery_beat", "CrontabSchedule"),
        "task_model": apps.get_model("django_celery_beat", "PeriodicTask"),
    }
    schedules.sync_fixed(**models)
    for trigger in apps.get_model("campaigns", "Trigger").objects.all():
        schedules.sync(trigger, **models)


def delete(apps, schema_editor):
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    task_model.objects.filter(task=schedules.RUN_TRIGGER).delete()
    task_model.objects.filter(name__in=[name for name, *_rest in schedules.FIXED]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0009_default_segments"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, delete)]
