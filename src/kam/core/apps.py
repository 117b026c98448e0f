from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kam.core"
    label = "core"

    def ready(self) -> None:
        from . import permissions  # noqa: F401  (registers the rules)
