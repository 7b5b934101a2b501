"""Admin registrations for the FAQ and the desk activity log."""

from django.contrib import admin

from cabinet.models import DeskActivity, FaqEntry


@admin.register(FaqEntry)
class FaqEntryAdmin(admin.ModelAdmin):
    list_display = ["question", "question_en", "order", "is_published"]
    list_editable = ["order", "is_published"]
    list_filter = ["is_published"]
    search_fields = ["question", "question_en", "answer", "answer_en"]
    fieldsets = [
        (None, {"fields": ["question", "answer", "order", "is_published"]}),
        ("English", {"fields": ["question_en", "answer_en"]}),
    ]


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
