"""The beat jobs (django-celery-beat's periodic tasks) in the admin, readable in its language.

A job's name is a key that data migrations create and look rows up by ("Burn expired points",
"Trigger: birthday"), so it stays as it is; the list shows a title per task instead, in the
admin's language, and its schedule in words. Only administrators see the jobs: they are the
program's plumbing (customers/migrations/0016 takes them from marketers).
"""

from cron_descriptor import FormatException, MissingFieldException, Options, get_description
from django.contrib import admin
from django.db.models import Case, CharField, JSONField, OuterRef, Subquery, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_celery_beat.admin import PeriodicTaskAdmin as BasePeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask

from campaigns.models import Trigger
from campaigns.schedules import RUN_TRIGGER

# What each task does, by its Celery path.
TASK_TITLES = {
    "loyalty.tasks.activate_points": _("Make pending points available"),
    "loyalty.tasks.burn_points": _("Burn expired points"),
    "loyalty.tasks.review_tiers": _("Review members' tiers"),
    "loyalty.tasks.purge_idempotency_records": _("Delete old idempotency records"),
    "loyalty.tasks.purge_login_codes": _("Delete old cabinet login codes"),
    "customers.tasks.erase_closed_members": _("Erase members closed long enough ago"),
    "campaigns.tasks.give_birthday_bonuses": _("Give birthday bonuses"),
    "campaigns.tasks.give_anniversary_bonuses": _("Give years-of-membership bonuses"),
    "campaigns.tasks.send_due_messages": _("Send messages whose time has come"),
    "campaigns.tasks.recompute_segments": _("Recompute segments"),
    "campaigns.tasks.rollup_metrics": _("Roll up the program's figures"),
    "campaigns.tasks.send_monthly_report": _("Send the monthly program report"),
    "campaigns.tasks.find_webhook_events": _("Find webhook events"),
    "campaigns.tasks.send_due_webhooks": _("Send webhooks whose time has come"),
}
TRIGGER_TITLE = _("Trigger “%(name)s”")


def task_title(task: PeriodicTask) -> str:
    """The job's title in the active language: what its task does (a trigger's job names the
    trigger); a task not listed here keeps its name."""
    if task.task == RUN_TRIGGER:
        return TRIGGER_TITLE % {"name": getattr(task, "trigger_name", None) or task.name}
    title = TASK_TITLES.get(task.task)
    return str(title) if title is not None else task.name


def schedule_in_words(task: PeriodicTask) -> str:
    """When the job runs, in words in the active language ("Каждые 10 минут", "В 04:30")."""
    crontab = task.crontab
    if crontab is None:
        return str(task.scheduler) if task.scheduler else ""
    options = Options()
    options.locale_code = "ru_RU" if (get_language() or "").startswith("ru") else "en_US"
    options.use_24hour_time_format = True
    expression = " ".join(
        (
            crontab.minute,
            crontab.hour,
            crontab.day_of_month,
            crontab.month_of_year,
            crontab.day_of_week,
        )
    )
    try:
        return get_description(expression, options)
    except (FormatException, MissingFieldException, ValueError):
        return expression


class _Titled:
    """A job that reads as its title (for the list's "select this job" label)."""

    def __init__(self, job: PeriodicTask):
        self.pk = job.pk
        self.job = job

    def __str__(self) -> str:
        return task_title(self.job)


admin.site.unregister(PeriodicTask)


@admin.register(PeriodicTask)
class PeriodicTaskAdmin(BasePeriodicTaskAdmin):
    """django-celery-beat's own admin, with each job titled in the admin's language."""

    list_display = ("title", "enabled", "schedule", "last_run_at")
    list_display_links = ("title",)
    list_filter = ("enabled",)
    readonly_fields = ("title", *BasePeriodicTaskAdmin.readonly_fields)
    fieldsets = (
        (None, {"fields": ("title",)}),
        *BasePeriodicTaskAdmin.fieldsets,
    )

    def get_queryset(self, request):
        # Only a trigger's job has its code in the arguments (JSON text).
        code = Case(
            When(task=RUN_TRIGGER, then=KeyTextTransform("code", Cast("kwargs", JSONField())))
        )
        trigger_name = Trigger.objects.filter(code=Cast(OuterRef("trigger_code"), CharField()))
        return (
            super()
            .get_queryset(request)
            .annotate(trigger_code=code)
            .annotate(trigger_name=Subquery(trigger_name.values("name")[:1]))
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        job = self.get_object(request, object_id) if object_id else None
        if job is not None:
            extra_context = {**(extra_context or {}), "subtitle": task_title(job)}
        return super().changeform_view(request, object_id, form_url, extra_context)

    def action_checkbox(self, obj: PeriodicTask):
        return super().action_checkbox(_Titled(obj))

    @admin.display(description=_("Task"))
    def title(self, obj: PeriodicTask) -> str:
        return task_title(obj)

    @admin.display(description=_("Schedule"))
    def schedule(self, obj: PeriodicTask) -> str:
        return schedule_in_words(obj)

    @admin.display(description=_("When it runs"))
    def crontab_translation(self, obj: PeriodicTask) -> str:
        return schedule_in_words(obj)
