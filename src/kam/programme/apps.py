from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kam.core.navigation import NavItem


class ProgrammeConfig(AppConfig):
    """The KAM programme itself: Hise & Reid's six conditions, assessments, risks (PRODUCT §9)."""

    name = "kam.programme"
    label = "programme"
    verbose_name = _("KAM programme")
    nav_items: tuple[NavItem, ...] = (
        NavItem("dashboard:page", _("Dashboard"), "kam.view_dashboard", "§11"),
        NavItem("programme:overview", _("Programme"), "kam.view_programme", "§9"),
    )

    def ready(self) -> None:
        from .alert_rules import register_alert_rules
        from .signals import connect

        register_alert_rules()
        connect()  # the writes that change the dashboard's inputs mark it stale
