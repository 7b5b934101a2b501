"""Partner API v1 routes (see docs/API.md). Paths have no trailing slash."""

from django.urls import path, re_path, register_converter
from rest_framework.permissions import AllowAny

from api import views
from api.errors import not_found
from api.schema import DocsView, SchemaView


class IdConverter:
    """A positive database id: at most 18 digits, so it always fits a bigint."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(value)


register_converter(IdConverter, "dbid")

public = {"authentication_classes": [], "permission_classes": [AllowAny], "throttle_classes": []}

urlpatterns = [
    path("v1/members", views.MemberCreateView.as_view(), name="api-members"),
    path("v1/members/lookup", views.MemberLookupView.as_view(), name="api-member-lookup"),
    path("v1/members/<dbid:id>", views.MemberDetailView.as_view(), name="api-member"),
    path("v1/members/<dbid:id>/ledger", views.MemberLedgerView.as_view(), name="api-ledger"),
    path(
        "v1/members/<dbid:id>/confirmation-code",
        views.ConfirmationCodeView.as_view(),
        name="api-confirmation-code",
    ),
    path("v1/purchases", views.PurchaseCreateView.as_view(), name="api-purchases"),
    path("v1/purchases/quote", views.QuoteView.as_view(), name="api-quote"),
    path("v1/purchases/<dbid:id>", views.PurchaseDetailView.as_view(), name="api-purchase"),
    path("v1/purchases/<dbid:id>/refunds", views.RefundCreateView.as_view(), name="api-refunds"),
    path("v1/guest-checks", views.GuestCheckCreateView.as_view(), name="api-guest-checks"),
    path("v1/campaigns", views.CampaignListView.as_view(), name="api-campaigns"),
    path("schema/", SchemaView.as_view(**public), name="api-schema"),
    path("docs/", DocsView.as_view(url_name="api-schema", **public), name="api-docs"),
    re_path(r"^.*$", not_found),
]
