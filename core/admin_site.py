"""The back-office's admin site: every model admin registered on it — ours and third-party
ones (auth, Celery beat, API keys…) — names its model in the right case in the phrases Django
builds around it ("Выберите участника для изменения", "Изменить покупку", "удалить участника
«…»?"). The declined names live in `core.model_names`; the phrases Django builds with a count
or a gender read through neutral translations (core/admin_phrases.py).

settings.INSTALLED_APPS lists `core.admin_site.AdminConfig` in place of "django.contrib.admin",
so `django.contrib.admin.site` and `@admin.register` are this site.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig
from django.template.response import TemplateResponse
from django.utils.translation import gettext

from core.model_names import declined

CHANGELIST_TITLES = ("Select %s to change", "Select %s to view", "Select %s")
CHANGEFORM_TITLES = ("Add %s", "Change %s", "View %s")
CANNOT_DELETE = "Cannot delete %(name)s"


def _redeclined(text, name, new_name, msgids) -> str | None:
    """`text` said again with `new_name` if it is one of Django's `msgids` said with `name`."""
    for msgid in msgids:
        phrase = gettext(msgid)
        if "%(name)s" in msgid:
            if text == phrase % {"name": name}:
                return phrase % {"name": new_name}
        elif text == phrase % name:
            return phrase % new_name
    return None


def _context(response):
    """The context of a page still to be rendered (redirects and rendered pages: None)."""
    if isinstance(response, TemplateResponse) and not response.is_rendered:
        return response.context_data
    return None


class DeclinedNamesMixin:
    """Puts the model's declined names into the admin's own titles and phrases.

    A list, a delete confirmation and a bulk action's page are corrected after they are built
    (a TemplateResponse not yet rendered), a form just before it renders, so model admins that
    override a view or drop `extra_context` are covered too; a title an admin set itself is
    kept."""

    def _declined(self):
        return declined(self.opts)

    def _redeclined_title(self, context, name, new_name, msgids):
        title = _redeclined(str(context.get("title", "")), name, new_name, msgids)
        if title is not None:
            context["title"] = title

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        context = _context(response)
        if context is not None:
            accusative = str(self._declined().accusative)
            context["model_accusative"] = accusative
            self._redeclined_title(
                context, str(self.opts.verbose_name), accusative, CHANGELIST_TITLES
            )
        return response

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        accusative = str(self._declined().accusative)
        context["model_accusative"] = accusative
        self._redeclined_title(context, str(self.opts.verbose_name), accusative, CHANGEFORM_TITLES)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def delete_view(self, request, object_id, extra_context=None):
        response = super().delete_view(request, object_id, extra_context)
        context = _context(response)
        if context is not None and "object_name" in context:
            accusative = str(self._declined().accusative)
            self._redeclined_title(context, context["object_name"], accusative, [CANNOT_DELETE])
            context["object_name"] = accusative
        return response

    def response_action(self, request, queryset):
        """The bulk delete's confirmation: "удалить участников?", "удалить покупку?"."""
        response = super().response_action(request, queryset)
        context = _context(response)
        if context is not None and "objects_name" in context and "queryset" in context:
            names = self._declined()
            one = context["queryset"].count() == 1
            new_name = str(names.accusative if one else names.accusative_plural)
            self._redeclined_title(context, context["objects_name"], new_name, [CANNOT_DELETE])
            context["objects_name"] = new_name
        return response


class AdminSite(admin.AdminSite):
    """The admin site whose every model admin says its model's name in the right case."""

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, DeclinedNamesMixin):
            admin_class = type(
                admin_class.__name__,
                (DeclinedNamesMixin, admin_class),
                {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
            )
        super().register(model_or_iterable, admin_class, **options)


class AdminConfig(DjangoAdminConfig):
    default_site = "core.admin_site.AdminSite"
