"""The main navigation: one entry per section of the product that is built."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str | Promise
    perm: str
    section: str  # the PRODUCT.md section it serves


NAV: list[NavItem] = [
    NavItem("web:portfolio", _("Portfolio"), "kam.view_account", "§2"),
]


def register(item: NavItem) -> None:
    """Apps add their section to the navigation when they are ready (in AppConfig.ready)."""
    if item not in NAV:
        NAV.append(item)
