from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DataioConfig(AppConfig):
    name = "kam.dataio"
    label = "dataio"
    verbose_name = _("Data import and export")

    def ready(self) -> None:
        from kam.web.navigation import NavItem, register

        register(NavItem("dataio:jobs", _("Data"), "kam.administer", "§2"))
