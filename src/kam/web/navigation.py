"""The main navigation: one entry per section of the product that is built.

Each app declares its entries as ``nav_items`` on its AppConfig (see ``kam.core.navigation``);
the menu is web's own entries first, then every app's in ``INSTALLED_APPS`` order.
"""

from __future__ import annotations

from django.apps import apps
from django.utils.translation import gettext_lazy as _

from kam.core.navigation import NavItem

NAV: tuple[NavItem, ...] = (
    NavItem("web:my_accounts", _("My accounts"), "kam.view_account", "§4"),
    NavItem("web:portfolio", _("Portfolio"), "kam.view_account", "§2"),
    NavItem("web:modes", _("Key vs transactional"), "kam.view_account", "§10"),
)


def nav_items() -> list[NavItem]:
    """Every entry of the main navigation, in menu order (before permissions are applied)."""
    items = list(NAV)
    for config in apps.get_app_configs():
        for item in getattr(config, "nav_items", ()):
            if item not in items:
                items.append(item)
    return items
