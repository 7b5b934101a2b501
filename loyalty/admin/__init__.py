"""The back-office for the program, tiers, partners, accounts and the ledger."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.admin import APIKey

from customers.login_throttle import ThrottledAdminAuthenticationForm
from loyalty.admin import (  # noqa: F401
    adjustments,
    api_keys,
    guest_checks,
    imports,
    ledger,
    members,
    partners,
    program,
    staff,
)

# Partners' keys live in PartnerAPIKey (loyalty/admin/api_keys.py); the library's own model is
# unused, so its admin would only confuse.
admin.site.unregister(APIKey)
admin.site.login_form = ThrottledAdminAuthenticationForm
admin.site.site_header = _("Kopilka back-office")
admin.site.site_title = _("Kopilka")
admin.site.index_title = _("Loyalty program administration")
