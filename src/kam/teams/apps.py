from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kam.core.navigation import NavItem


class TeamsConfig(AppConfig):
    """Account teams, allocation and workload (PRODUCT §6, DOMAIN §9)."""

    name = "kam.teams"
    label = "teams"
    verbose_name = _("Account teams")
    nav_items: tuple[NavItem, ...] = (
        NavItem("teams:workload", _("Workload"), "kam.view_account", "§6"),
        NavItem("teams:requests", _("Resource requests"), "kam.view_account", "§6"),
        NavItem("teams:my_feed", _("My feed"), "kam.view_account", "§6"),
    )

    def ready(self) -> None:
        from . import metrics

        metrics.register_all()
