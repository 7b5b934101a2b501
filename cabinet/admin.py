"""Admin registration for the cabinet's FAQ."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cabinet.models import FaqEntry


@admin.register(FaqEntry)
class FaqEntryAdmin(admin.ModelAdmin):
    list_display = ["question", "question_en", "order", "is_published"]
    list_editable = ["order", "is_published"]
    list_filter = ["is_published"]
    search_fields = ["question", "question_en", "answer", "answer_en"]
    fieldsets = [
        (None, {"fields": ["question", "answer", "order", "is_published"]}),
        (_("In English"), {"fields": ["question_en", "answer_en"]}),
    ]
