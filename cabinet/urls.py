"""Customer cabinet routes, mounted at /."""

app_name = "cabinet"
urlpatterns: list = []
