"""The teams app's account metrics in the registry (kam.core.metrics)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence

from django.utils.translation import gettext_lazy as _

from kam.core.metrics import Metric, MetricUnit, MetricValue, registry

from .selectors import team_counts


def _column(name: str) -> Callable[[Sequence[int], dt.date], Mapping[int, MetricValue]]:
    def compute(ids: Sequence[int], as_of: dt.date) -> Mapping[int, MetricValue]:
        counts = team_counts(account_ids=list(ids), on=as_of)
        return {pk: counts.get(pk, {}).get(name, 0) for pk in ids}

    return compute


METRICS = (
    Metric(
        key="teams.team_size",
        label=_("Team size"),
        unit=MetricUnit.COUNT,
        compute=_column("size"),
        description=_("People of ours on the account team."),
    ),
    Metric(
        key="teams.specialists",
        label=_("Specialists on the team"),
        unit=MetricUnit.COUNT,
        compute=_column("specialists"),
        description=_("Service, logistics, technical, finance and marketing people on the team."),
    ),
    Metric(
        key="teams.executive_sponsors",
        label=_("Executive sponsors"),
        unit=MetricUnit.COUNT,
        compute=_column("sponsors"),
        description=_("Executives sponsoring the account (DOMAIN §10, condition 2)."),
    ),
)


def register_all() -> None:
    for metric in METRICS:
        if metric.key not in registry:
            registry.register(metric)
