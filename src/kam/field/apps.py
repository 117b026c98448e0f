from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kam.core.navigation import NavItem


class FieldConfig(AppConfig):
    """Field coordination: reps per unit, visits, the rep's phone pages (PRODUCT §7)."""

    name = "kam.field"
    label = "field"
    verbose_name = _("Field coordination")
    nav_items: tuple[NavItem, ...] = (
        NavItem("field:mine", _("My field day"), "kam.log_interaction", "§7"),
        NavItem("field:assignments", _("Field reps"), "kam.view_account", "§7"),
        NavItem("field:indicators", _("Coordination"), "kam.view_account", "§7"),
    )

    def ready(self) -> None:
        from kam.alerts.rules import register_unit_owners

        from . import metrics, selectors

        metrics.register_all()
        register_unit_owners(selectors.unit_alert_owners)
