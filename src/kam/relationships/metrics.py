"""The account metrics of the relationships app, registered in ``kam.core.metrics``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kam.core.metrics import Metric, MetricUnit, register

from .models import Stage
from .selectors import (
    function_coverage_values,
    level_coverage_values,
    role_coverage_values,
    stage_values,
)
from .stage import STAGE_PROGRESS


def register_metrics() -> None:
    register(
        Metric(
            key="relationships.role_coverage",
            label=_("Role coverage"),
            unit=MetricUnit.PERCENT,
            compute=role_coverage_values,
            description=_(
                "Required buying-centre roles filled by current contacts: decider, buyer, "
                "an influencer, a user and a champion."
            ),
        )
    )
    register(
        Metric(
            key="relationships.function_coverage",
            label=_("Function coverage"),
            unit=MetricUnit.PERCENT,
            compute=function_coverage_values,
            description=_(
                "Customer functions with a contact we met in the last 180 days, of the "
                "functions where the account has contacts."
            ),
        )
    )
    register(
        Metric(
            key="relationships.level_coverage",
            label=_("Level coverage"),
            unit=MetricUnit.PERCENT,
            compute=level_coverage_values,
            description=_("Highest seniority we met in the last 180 days, board level = 100."),
        )
    )
    labels = dict(Stage.choices)
    register(
        Metric(
            key="relationships.stage",
            label=_("Relationship stage"),
            unit=MetricUnit.LEVEL,
            compute=stage_values,
            description=_(
                "The confirmed relationship stage, else the suggested one; uncoupling ranks lowest."
            ),
            levels=tuple((code, labels[code]) for code in STAGE_PROGRESS),
        )
    )
