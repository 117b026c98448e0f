from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "kam.sales"
    label = "sales"

    def ready(self) -> None:
        # Connecting signal receivers needs the models loaded: the documented place is ready().
        from . import signals  # noqa: F401
        from .alert_rules import register_alert_rules
        from .metrics import register_metrics

        register_metrics()
        register_alert_rules()
