"""Partners and their stores; purchases and refunds (read-only: they come from the tills)."""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from customers.admin import (
    MemberPrivacyMixin,
    PersonalDataExportMixin,
    PhoneSearchMixin,
    ReadOnlyMixin,
)
from loyalty.models import Partner, Purchase, PurchaseLine, Refund, RefundLine, Store
from loyalty.resources import PurchaseResource


class StoreInline(admin.TabularInline):
    model = Store
    fields = ("name", "address", "time_zone", "is_active")
    extra = 0
    can_delete = False  # purchases point at stores; close a store by deactivating it


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ("name", "is_active", "store_count", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name",)
    inlines = [StoreInline]

    @admin.display(description=_("stores"), ordering="store_count")
    def store_count(self, obj: Partner) -> int:
        return obj.store_count

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(store_count=Count("stores"))

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ("name", "partner", "address", "time_zone", "is_active")
    list_filter = ("partner", "is_active")
    list_select_related = ("partner",)
    search_fields = ("name", "address", "partner__name")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class PurchaseLineInline(ReadOnlyMixin, admin.TabularInline):
    model = PurchaseLine
    fields = (
        "position",
        "sku",
        "name",
        "category",
        "quantity",
        "price",
        "amount",
        "redeemable",
        "discount",
        "refunded_quantity",
        "refunded_amount",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False


class RefundInline(ReadOnlyMixin, admin.TabularInline):
    model = Refund
    fields = (
        "external_id",
        "amount",
        "discount",
        "clawed_back_points",
        "returned_points",
        "shortfall_amount",
        "created_at",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Purchase)
class PurchaseAdmin(
    MemberPrivacyMixin, PhoneSearchMixin, ReadOnlyMixin, PersonalDataExportMixin, admin.ModelAdmin
):
    resource_classes = [PurchaseResource]
    list_display = (
        "check_number",
        "occurred_at",
        "member",
        "partner",
        "store",
        "total",
        "discount",
        "redeemed_points",
        "earned_points",
        "refunded_total",
    )
    list_filter = ("partner", "store", "tier", "occurred_at")
    list_select_related = ("member", "partner", "store__partner")
    search_fields = ("=external_id", "=member__card_number")
    search_help_text = _("Check number, card number or the member's phone in any notation.")
    date_hierarchy = "occurred_at"
    show_full_result_count = False
    inlines = [PurchaseLineInline, RefundInline]
    readonly_fields = (
        "external_id",
        "partner",
        "store",
        "member",
        "occurred_at",
        "total",
        "discount",
        "redeemed_points",
        "earned_points",
        "earn_base",
        "tier",
        "refunded_total",
        "returned_points",
        "clawed_back_points",
        "forfeited_points",
        "available_after",
        "pending_after",
        "cashier",
        "idempotency_key",
        "created_at",
    )
    fields = readonly_fields

    @admin.display(description=_("check number"), ordering="external_id")
    def check_number(self, obj: Purchase) -> str:
        return obj.number


class RefundLineInline(ReadOnlyMixin, admin.TabularInline):
    model = RefundLine
    fields = ("line", "quantity", "amount", "discount")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("line")


@admin.register(Refund)
class RefundAdmin(MemberPrivacyMixin, PhoneSearchMixin, ReadOnlyMixin, admin.ModelAdmin):
    phone_lookup = "purchase__member__phone"
    member_id_attr = "purchase.member_id"
    list_display = (
        "external_id",
        "created_at",
        "purchase",
        "member",
        "amount",
        "clawed_back_points",
        "returned_points",
        "shortfall_points",
        "shortfall_amount",
    )
    list_filter = ("created_at", "purchase__partner")
    list_select_related = ("purchase__member",)
    search_fields = ("=external_id", "=purchase__external_id")
    search_help_text = _("Refund or check number, or the member's phone in any notation.")
    show_full_result_count = False
    inlines = [RefundLineInline]
    readonly_fields = (
        "external_id",
        "purchase",
        "amount",
        "discount",
        "clawed_back_points",
        "returned_points",
        "forfeited_points",
        "shortfall_points",
        "shortfall_amount",
        "cashier",
        "idempotency_key",
        "created_at",
    )
    fields = readonly_fields

    @admin.display(description=_("member"), ordering="purchase__member__phone")
    def member(self, obj: Refund):
        return obj.purchase.member
