"""The account metric of the alerts app, registered in ``kam.core.metrics``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kam.core.metrics import Metric, MetricUnit, register

from .selectors import open_alert_values


def register_metrics() -> None:
    register(
        Metric(
            key="alerts.open",
            label=_("Open alerts"),
            unit=MetricUnit.COUNT,
            compute=open_alert_values,
            description=_("Alerts of the account that still stand: open, acknowledged, snoozed."),
            higher_is_better=False,
        )
    )
