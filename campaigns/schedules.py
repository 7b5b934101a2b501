"""Each trigger is a beat job of its own (a django-celery-beat PeriodicTask named "Trigger:
<code>", running campaigns.tasks.run_trigger), created with the trigger and switched on and off
with it; its time can be changed in the admin's periodic tasks. Plus two fixed jobs: the sweep
that sends messages whose time has come, and the nightly segment recomputation.

The functions take the model classes, so migrations use them with their historical models.
"""

import json

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

RUN_TRIGGER = "campaigns.tasks.run_trigger"
# When each kind runs (crontab minute, hour; the program's time zone): the ones that follow a
# purchase or a tier change soon after it, the ones about a day once in the late morning (quiet
# hours hold back what would reach a member in another time zone at night).
SOON = ("*/10", "*")
LATE_MORNING = ("0", "11")
KIND_TIMES = {
    "earned": SOON,
    "reward": SOON,
    "tier_up": SOON,
    "tier_down": SOON,
    "first_purchase": SOON,
    "welcome": ("*/30", "*"),
    "broadcast": ("*/5", "*"),
}
FIXED = [
    ("Send messages whose time has come", "campaigns.tasks.send_due_messages", "*/5", "*"),
    ("Recompute segments", "campaigns.tasks.recompute_segments", "30", "4"),
]


def schedule_name(code: str) -> str:
    return f"Trigger: {code}"


def _crontab(crontab_model, minute: str, hour: str):
    crontab, _created = crontab_model.objects.get_or_create(
        minute=minute,
        hour=hour,
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone=settings.TIME_ZONE,
    )
    return crontab


def sync(trigger, *, crontab_model, task_model) -> None:
    """The trigger's beat job exists and is on exactly when the trigger is (its time, once
    set, is left as the admin has it)."""
    name = schedule_name(trigger.code)
    task = task_model.objects.filter(name=name).first()
    if task is None:
        minute, hour = KIND_TIMES.get(trigger.kind, LATE_MORNING)
        task_model.objects.create(
            name=name,
            task=RUN_TRIGGER,
            kwargs=json.dumps({"code": trigger.code}),
            crontab=_crontab(crontab_model, minute, hour),
            enabled=trigger.enabled,
        )
    elif task.enabled != trigger.enabled:
        task.enabled = trigger.enabled
        task.save(update_fields=["enabled"])


def sync_fixed(*, crontab_model, task_model) -> None:
    for name, task, minute, hour in FIXED:
        task_model.objects.get_or_create(
            name=name, defaults={"task": task, "crontab": _crontab(crontab_model, minute, hour)}
        )


def _models():
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    return {"crontab_model": CrontabSchedule, "task_model": PeriodicTask}


@receiver(post_save, sender="campaigns.Trigger")
def _trigger_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        sync(instance, **_models())


@receiver(post_delete, sender="campaigns.Trigger")
def _trigger_deleted(sender, instance, **kwargs):
    _models()["task_model"].objects.filter(name=schedule_name(instance.code)).delete()
