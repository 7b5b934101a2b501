"""Exports for the back-office (django-import-export): balances and purchases.

Nothing here imports: points move only through the loyalty services. Columns are titled in the
admin's language (core/resources.py).
"""

from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets

from core.resources import TitledColumnsMixin
from loyalty.models import Account, Purchase


class ExportOnlyResource(TitledColumnsMixin, resources.ModelResource):
    def import_data(self, *args, **kwargs):
        raise NotImplementedError("points and purchases are not imported")


class AccountResource(ExportOnlyResource):
    column_titles = {"tier": _("Tier"), "pinned_tier": _("Pinned tier")}

    phone = fields.Field(attribute="member__phone", column_name="phone")
    card_number = fields.Field(attribute="member__card_number", column_name="card_number")
    tier = fields.Field(attribute="tier__code", column_name="tier")
    pinned_tier = fields.Field(attribute="pinned_tier__code", column_name="pinned_tier")
    tier_since = fields.Field(
        attribute="tier_since", column_name="tier_since", widget=widgets.DateTimeWidget()
    )

    class Meta:
        model = Account
        fields = (
            "phone",
            "card_number",
            "available",
            "pending",
            "debt",
            "lifetime_earned",
            "tier",
            "pinned_tier",
            "tier_since",
        )

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("member", "tier", "pinned_tier")


class PurchaseResource(ExportOnlyResource):
    column_titles = {"partner": _("Partner"), "store": _("Store")}

    partner = fields.Field(attribute="partner__name", column_name="partner")
    store = fields.Field(attribute="store__name", column_name="store")
    phone = fields.Field(attribute="member__phone", column_name="phone")
    card_number = fields.Field(attribute="member__card_number", column_name="card_number")
    occurred_at = fields.Field(
        attribute="occurred_at", column_name="occurred_at", widget=widgets.DateTimeWidget()
    )

    class Meta:
        model = Purchase
        fields = (
            "external_id",
            "partner",
            "store",
            "phone",
            "card_number",
            "occurred_at",
            "total",
            "discount",
            "redeemed_points",
            "earned_points",
            "refunded_total",
            "returned_points",
            "clawed_back_points",
        )

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("partner", "store", "member")
