from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RelationshipsConfig(AppConfig):
    """The buying centre, our links to it, the relationship map and stage (PRODUCT §5, §8)."""

    name = "kam.relationships"
    label = "relationships"
    verbose_name = _("Relationships")

    def ready(self) -> None:
        # Signal receivers and the metric registry need the models loaded: ready() is the place.
        from . import signals  # noqa: F401  (stale link strengths on interaction writes)
        from .alert_rules import register_alert_rules
        from .metrics import register_metrics

        register_metrics()
        register_alert_rules()
