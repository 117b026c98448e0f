from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kam.core.navigation import NavItem


class HealthConfig(AppConfig):
    name = "kam.health"
    label = "health"
    verbose_name = _("Relationship health")
    nav_items: tuple[NavItem, ...] = (
        NavItem("health:portfolio", _("Health"), "kam.view_account", "§8"),
    )

    def ready(self) -> None:
        # Connecting signal receivers needs the models loaded: the documented place is ready().
        from . import signals  # noqa: F401  (stale health on writes)
        from .alert_rules import register_alert_rules
        from .metrics import register_metrics

        register_metrics()
        register_alert_rules()
