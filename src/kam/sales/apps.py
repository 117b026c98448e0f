from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "kam.sales"
    label = "sales"

    def ready(self) -> None:
        from . import signals  # noqa: F401
