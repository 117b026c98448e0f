from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kam.core.navigation import NavItem


class PlanningConfig(AppConfig):
    """The account profile and the account plan (PRODUCT §4, DOMAIN §8)."""

    name = "kam.planning"
    label = "planning"
    verbose_name = _("Account planning")
    nav_items: tuple[NavItem, ...] = (
        NavItem("planning:plans", _("Plans"), "kam.view_account", "§4"),
    )

    def ready(self) -> None:
        from .alert_rules import register_alert_rules
        from .metrics import register_metrics

        register_metrics()
        register_alert_rules()

        from kam.core.feed import register_feed_source

        from .feed import KIND, plan_action_events

        register_feed_source(KIND, plan_action_events)
