"""Partner API keys: created here (the key is shown once), revoked here, never shown again."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.admin import APIKeyModelAdmin

from loyalty.models import PartnerAPIKey


@admin.register(PartnerAPIKey)
class PartnerAPIKeyAdmin(APIKeyModelAdmin):
    list_display = (
        "name",
        "partner",
        "prefix",
        "created",
        "expiry_date",
        "expired",
        "revoked",
    )
    list_filter = ("revoked", "partner", "created")
    list_select_related = ("partner",)
    search_fields = ("name", "prefix", "partner__name")
    fields = ("partner", "name", "prefix", "expiry_date", "revoked")
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ("prefix",)
        # A key keeps its partner; a revoked key cannot be changed at all.
        fields = ("partner", "prefix")
        return (*fields, "name", "revoked", "expiry_date") if obj.revoked else fields

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
            return
        key = PartnerAPIKey.objects.assign_key(obj)
        obj.save()
        self.message_user(
            request,
            _(
                "The API key for “%(partner)s” is: %(key)s — copy it now and store it safely: "
                "it is kept only as a hash and will not be shown again."
            )
            % {"partner": obj.partner, "key": key},
            messages.WARNING,
        )

    @admin.display(description=_("has expired"), boolean=True)
    def expired(self, obj) -> bool:
        return obj.has_expired

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoke instead: a key's history stays

    @admin.action(description=_("Revoke the selected keys"), permissions=["change"])
    def revoke(self, request, queryset):
        count = queryset.filter(revoked=False).update(revoked=True)
        self.message_user(
            request, _("%(count)d key(s) revoked.") % {"count": count}, messages.SUCCESS
        )
