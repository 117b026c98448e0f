from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentificationConfig(AppConfig):
    name = "kam.identification"
    label = "identification"
    verbose_name = _("Key-account identification")

    def ready(self) -> None:
        from kam.web.navigation import NavItem, register

        from . import signals  # noqa: F401  (stale facts on writes)

        register(NavItem("identification:scores", _("Identification"), "kam.view_account", "§3"))
