from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kam.core.navigation import NavItem


class WebConfig(AppConfig):
    name = "kam.web"
    label = "web"
    nav_items: tuple[NavItem, ...] = (
        NavItem("web:territories", _("Territories"), "kam.administer", "§2"),
    )
