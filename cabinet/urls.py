"""Customer cabinet routes, mounted at /."""

from django.urls import path

from cabinet.views import auth, history, home, notifications, profile, statement

app_name = "cabinet"
urlpatterns = [
    path("", home.home, name="home"),
    path("card/", home.card, name="card"),
    path("card/qr.svg", home.card_qr, name="card_qr"),
    path("login/", auth.login_view, name="login"),
    path("join/", auth.join_view, name="join"),
    path("code/", auth.code_view, name="code"),
    path("code/resend/", auth.resend_view, name="resend"),
    path("logout/", auth.logout_view, name="logout"),
    path("history/", history.history, name="history"),
    path("purchases/<int:pk>/", history.purchase_detail, name="purchase"),
    path("offers/", home.offers, name="offers"),
    path("rules/", home.rules, name="rules"),
    path("faq/", home.faq, name="faq"),
    path("profile/", profile.profile, name="profile"),
    path("profile/dates/", profile.date_add, name="date_add"),
    path("profile/dates/<int:pk>/remove/", profile.date_remove, name="date_remove"),
    path("profile/notifications/", notifications.notifications, name="notifications"),
    path("profile/push/subscribe/", notifications.push_subscribe, name="push_subscribe"),
    path("profile/push/unsubscribe/", notifications.push_unsubscribe, name="push_unsubscribe"),
    path("profile/push/<int:pk>/remove/", notifications.push_remove, name="push_remove"),
    path("sw.js", notifications.service_worker, name="service_worker"),
    path("unsubscribe/<str:token>/", notifications.unsubscribe_page, name="unsubscribe"),
    path("profile/consents/", profile.consent, name="consent"),
    path("profile/my-data.json", profile.data_export, name="data_export"),
    path("profile/erase/", profile.erase, name="erase"),
    path("statement/", statement.statement, name="statement"),
    path("statement/<str:card_number>.pdf", statement.statement_pdf, name="statement_pdf"),
]
