"""Phrases of Django and third-party apps that our catalogue translates itself.

makemessages keeps only msgids it finds in our own code, so each phrase we translate in place of
its package is listed here (nothing imports this module). Django's admin says a model's name in
the nominative, whatever the words around it: our Russian puts the name where the nominative
reads right ("Добавлено: участник «Иван Петров».") or says "запись" instead ("Удалено записей:
5."). The phrases marked `xgettext:no-python-format` leave out a placeholder on purpose.

Others may append their msgids below, with a comment naming where the phrase comes from.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

# django.contrib.admin: messages after saving and deleting (options.py)
ADMIN_MESSAGES = [
    gettext_noop("The {name} “{obj}” was added successfully."),
    gettext_noop("You may edit it again below."),
    gettext_noop("The {name} “{obj}” was added successfully. You may add another {name} below."),
    gettext_noop("The {name} “{obj}” was changed successfully. You may edit it again below."),
    gettext_noop("The {name} “{obj}” was changed successfully. You may add another {name} below."),
    gettext_noop("The {name} “{obj}” was changed successfully."),
    gettext_noop("The %(name)s “%(obj)s” was deleted successfully."),
    gettext_noop("%(name)s with ID “%(key)s” doesn’t exist. Perhaps it was deleted?"),
    # xgettext:no-python-format
    gettext_noop("Successfully deleted %(count)d %(items)s."),
]
ADMIN_LIST_EDITS = [
    ngettext_lazy(
        # xgettext:no-python-format
        "%(count)s %(name)s was changed successfully.",
        "%(count)s %(name)s were changed successfully.",
    ),
]

# django.contrib.admin: lists, inlines and actions (actions.html, helpers.py, actions.py)
ADMIN_LISTS = [
    # xgettext:no-python-format
    gettext_noop("Select all %(total_count)s %(module_name)s"),
    # xgettext:no-python-format
    gettext_noop("Add another %(verbose_name)s"),
    # xgettext:no-python-format
    gettext_noop("Delete selected %(verbose_name_plural)s"),
]

# django.contrib.admin: delete confirmations, with the name in the accusative
# (core/admin_site.py passes it)
ADMIN_DELETE_CONFIRMATIONS = [
    gettext_noop(
        "Deleting the %(object_name)s '%(escaped_object)s' would result in deleting related "
        "objects, but your account doesn't have permission to delete the following types of "
        "objects:"
    ),
    gettext_noop(
        "Deleting the %(object_name)s '%(escaped_object)s' would require deleting the following "
        "protected related objects:"
    ),
    gettext_noop(
        'Are you sure you want to delete the %(object_name)s "%(escaped_object)s"? All of the '
        "following related items will be deleted:"
    ),
    gettext_noop(
        "Deleting the selected %(objects_name)s would result in deleting related objects, but "
        "your account doesn't have permission to delete the following types of objects:"
    ),
    gettext_noop(
        "Deleting the selected %(objects_name)s would require deleting the following protected "
        "related objects:"
    ),
]

# django.contrib.admin: the change messages on an object's history page (models.py)
ADMIN_CHANGE_MESSAGES = [
    gettext_noop("Added {name} “{object}”."),
    gettext_noop("Changed {fields} for {name} “{object}”."),
    gettext_noop("Changed {fields}."),
    gettext_noop("Deleted {name} “{object}”."),
]

# django-celery-beat: its periodic task and schedule forms (admin.py, models.py); its own Russian
# catalogue leaves these out or marks them fuzzy
CELERY_BEAT = [
    gettext_noop("Schedule"),
    gettext_noop("Arguments"),
    gettext_noop("Execution Options"),
    gettext_noop("Exchange"),
    gettext_noop("Override Exchange for low-level AMQP routing"),
    gettext_noop("Override Routing Key for low-level AMQP routing"),
    gettext_noop("Expires timedelta with seconds"),
    gettext_noop(
        "Timedelta with seconds which the schedule will no longer trigger the task to run"
    ),
    gettext_noop("Only one can be set, in expires and expire_seconds"),
    gettext_noop("Periodic Tasks Using This Schedule"),
    gettext_noop('Cron Months (1-12) Of The Year to Run. Use "*" for "all". (Example: "1,12")'),
    gettext_noop(
        'Cron Days Of The Week to Run. Use "*" for "all", Sunday is 0 or 7, Monday is 1. '
        '(Example: "0,5")'
    ),
    gettext_noop("Astronomical dawn"),
    gettext_noop("Civil dawn"),
    gettext_noop("Nautical dawn"),
    gettext_noop("Astronomical dusk"),
    gettext_noop("Civil dusk"),
    gettext_noop("Nautical dusk"),
    gettext_noop("Solar noon"),
    gettext_noop("Sunrise"),
    gettext_noop("Sunset"),
    # The crontab's name and its field on a task: its own Russian keeps the Latin "Crontab".
    gettext_noop("crontab"),
    gettext_noop("crontabs"),
    gettext_noop("Crontab Schedule"),
    gettext_noop(
        "Crontab Schedule to run the task on.  Set only one schedule type, leave the others null."
    ),
    # Its own Russian says "None" to the user.
    gettext_noop(
        "Datetime that the schedule last triggered the task to run. "
        "Reset to None if enabled is set to False."
    ),
    gettext_noop("Queue defined in CELERY_TASK_QUEUES. Leave None for default queuing."),
]

# django-import-export: its export form and XLSX writer (export.html, formats/base_formats.py);
# its own Russian catalogue leaves these out
IMPORT_EXPORT = [
    gettext_noop("Select all"),
    gettext_noop("export failed due to IllegalCharacterError"),
]
