from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlanningConfig(AppConfig):
    """The account profile and the account plan (PRODUCT §4, DOMAIN §8)."""

    name = "kam.planning"
    label = "planning"
    verbose_name = _("Account planning")
