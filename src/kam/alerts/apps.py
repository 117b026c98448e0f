from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kam.core.navigation import NavItem


class AlertsConfig(AppConfig):
    """The alert store, its workflow and the rule registry (PRODUCT §8, decision 68)."""

    name = "kam.alerts"
    label = "alerts"
    verbose_name = _("Alerts")
    nav_items: tuple[NavItem, ...] = (
        NavItem("alerts:list", _("Alerts"), "kam.view_account", "§8"),
    )

    def ready(self) -> None:
        from .metrics import register_metrics

        register_metrics()
