"""Cashier desk routes, mounted at /desk/."""

from django.urls import path

from desk import views

app_name = "desk"
urlpatterns = [
    path("", views.lookup, name="lookup"),
    path("login/", views.DeskLoginView.as_view(), name="login"),
    path("logout/", views.DeskLogoutView.as_view(), name="logout"),
    path("enroll/", views.enroll, name="enroll"),
    path("m/<str:ref>/", views.member_page, name="member"),
    path("m/<str:ref>/quote/", views.quote, name="quote"),
    path("m/<str:ref>/check/", views.record_check, name="check"),
    path("m/<str:ref>/code/", views.send_code, name="send_code"),
    path("m/<str:ref>/refund/", views.refund_search, name="member_refunds"),
    path("refund/", views.refund_search, name="refund_search"),
    path("without-card/", views.guest_check, name="guest_check"),
    path("without-card/<int:pk>/", views.guest_check_done, name="guest_check_done"),
    path("purchases/<int:pk>/", views.receipt, name="receipt"),
    path("purchases/<int:pk>/refund/", views.refund, name="refund"),
    path("refunds/<int:pk>/", views.refund_done, name="refund_done"),
]
