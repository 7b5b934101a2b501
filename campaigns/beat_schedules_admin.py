"""django-celery-beat's schedules in the admin's language.

The package labels two things with plain English strings that no catalogue can translate: the
task column of its "tasks using this schedule" list and the crontab's description ("Human
readable", itself English: "At 04:30 AM"). Its schedule admins are registered again here with
those two labelled through gettext and the crontab said in words in the admin's language.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)

from campaigns.schedules_admin import schedule_in_words, task_title


class PeriodicTaskInline(beat_admin.PeriodicTaskInline):
    fields = ("title", "celery_task", "args", "kwargs")
    readonly_fields = fields

    @admin.display(description=_("Task"))
    def title(self, obj: PeriodicTask) -> str:
        return task_title(obj)

    @admin.display(description=_("task function"))
    def celery_task(self, obj: PeriodicTask) -> str:
        return obj.task


for model in (ClockedSchedule, CrontabSchedule, IntervalSchedule, SolarSchedule):
    admin.site.unregister(model)


@admin.register(ClockedSchedule)
class ClockedScheduleAdmin(beat_admin.ClockedScheduleAdmin):
    inlines = [PeriodicTaskInline]


@admin.register(IntervalSchedule)
class IntervalScheduleAdmin(beat_admin.IntervalScheduleAdmin):
    inlines = [PeriodicTaskInline]


@admin.register(SolarSchedule)
class SolarScheduleAdmin(beat_admin.SolarScheduleAdmin):
    inlines = [PeriodicTaskInline]


@admin.register(CrontabSchedule)
class CrontabScheduleAdmin(beat_admin.CrontabScheduleAdmin):
    inlines = [PeriodicTaskInline]
    list_display = ("__str__", "in_words")
    fields = (
        "in_words",
        "minute",
        "hour",
        "day_of_month",
        "month_of_year",
        "day_of_week",
        "timezone",
    )
    readonly_fields = ("in_words",)

    @admin.display(description=_("When it runs"))
    def in_words(self, obj: CrontabSchedule) -> str:
        if obj.pk is None:
            return "—"
        return schedule_in_words(PeriodicTask(crontab=obj))
