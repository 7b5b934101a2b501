from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """The project's wiring as an app: it may import every other app, so the commands that
    need them all (`seed_demo`) live here. Nothing imports `config`."""

    name = "config"
    verbose_name = "Kopilka"
