"""Checks without a card: read-only, for looking up what the tills sent for analytics."""

from django.contrib import admin

from customers.admin import ReadOnlyMixin
from loyalty.models import GuestCheck


@admin.register(GuestCheck)
class GuestCheckAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Recorded by the API and the desk only; nobody adds, changes or deletes them here."""

    list_display = ("occurred_at", "external_id", "total", "partner", "store", "channel", "cashier")
    list_filter = ("partner", "store", "channel", ("occurred_at", admin.DateFieldListFilter))
    list_select_related = ("partner", "store", "cashier")
    search_fields = ("=external_id",)
    show_full_result_count = False
    fields = (
        "partner",
        "store",
        "external_id",
        "occurred_at",
        "total",
        "channel",
        "cashier",
        "created_at",
    )
    readonly_fields = fields
