from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kam.core"
    label = "core"

    def ready(self) -> None:
        # Imported for its side effect (registering the rules) once at start-up, before the
        # first permission check, whoever imports it first: Django's place for that is ready().
        from . import permissions  # noqa: F401  (registers the rules)
