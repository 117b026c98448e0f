from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kam.core.navigation import NavItem


class IdentificationConfig(AppConfig):
    name = "kam.identification"
    label = "identification"
    verbose_name = _("Key-account identification")
    nav_items: tuple[NavItem, ...] = (
        NavItem("identification:scores", _("Identification"), "kam.view_account", "§3"),
    )

    def ready(self) -> None:
        # Connecting signal receivers needs the models loaded: the documented place is ready().
        from . import signals  # noqa: F401  (stale facts on writes)
        from .metrics import register_metrics

        register_metrics()
