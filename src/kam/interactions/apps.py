from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kam.core.navigation import NavItem


class InteractionsConfig(AppConfig):
    name = "kam.interactions"
    label = "interactions"
    nav_items: tuple[NavItem, ...] = (
        NavItem("interactions:capture", _("Capture"), "kam.log_interaction", "§7"),
    )
