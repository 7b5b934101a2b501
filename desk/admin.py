"""Admin registration for the desk activity log."""

from django.contrib import admin

from desk.models import DeskActivity


@admin.register(DeskActivity)
class DeskActivityAdmin(admin.ModelAdmin):
    """What cashiers did at the desk, for marketers and security: read-only."""

    list_display = ["created_at", "user", "store", "action", "query", "member", "purchase", "ip"]
    list_filter = ["action", "store", "user", "created_at"]
    date_hierarchy = "created_at"
    search_fields = ["user__username", "query", "ip"]
    list_select_related = ["user", "store__partner", "member", "purchase"]
    raw_id_fields = ["member", "purchase"]
    list_per_page = 100
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
