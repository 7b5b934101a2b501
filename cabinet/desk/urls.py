"""Cashier desk routes, mounted at /desk/."""

app_name = "desk"
urlpatterns: list = []
