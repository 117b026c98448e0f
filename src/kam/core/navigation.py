"""What an app declares to appear in the main navigation (read by ``kam.web``).

An app lists its entries as ``nav_items`` on its AppConfig; the web layer collects them from
every installed app. The dependency points downward: apps never import ``kam.web``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str | Promise
    perm: str
    section: str  # the PRODUCT.md section it serves
