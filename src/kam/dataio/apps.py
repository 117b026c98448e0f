from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kam.core.navigation import NavItem


class DataioConfig(AppConfig):
    name = "kam.dataio"
    label = "dataio"
    verbose_name = _("Data import and export")
    nav_items: tuple[NavItem, ...] = (
        NavItem("dataio:jobs", _("Data"), "kam.administer", "§2"),
        NavItem("dataio:export_log", _("Export log"), "kam.bulk_export", "§2"),
    )

    def ready(self) -> None:
        from . import relational  # the entity modules import the models: only once apps load

        relational.register()
