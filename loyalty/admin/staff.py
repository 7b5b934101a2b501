"""The store a staff user works at, edited on the user's own admin page (the user admin of
`customers`, extended here: staff accounts know nothing of stores)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from customers import admin as staff_admin
from customers.models import User
from loyalty.models import StaffAssignment


class StaffAssignmentInline(admin.StackedInline):
    model = StaffAssignment
    verbose_name = _("Cashier desk")
    verbose_name_plural = _("Cashier desk")
    fields = ("store",)
    autocomplete_fields = ("store",)
    can_delete = True
    extra = 1
    max_num = 1
    classes = ("desk-store",)


admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(staff_admin.StaffUserAdmin):
    """A cashier: the “cashier” group, a store, no staff status — the desk only. Marketers and
    analysts: staff status and their group."""

    inlines = (*staff_admin.StaffUserAdmin.inlines, StaffAssignmentInline)
    list_display = (*staff_admin.StaffUserAdmin.list_display, "store")
    list_select_related = ("store_assignment__store__partner",)

    def get_inlines(self, request, obj):
        # The add form asks for the login only (as Django's own); the store comes after.
        return self.inlines if obj is not None else ()

    @admin.display(description=_("store"), ordering="store_assignment__store")
    def store(self, user):
        assignment = getattr(user, "store_assignment", None)
        return assignment.store if assignment else None
