"""The teams app's account metrics in the registry (kam.core.metrics)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence

from django.utils.translation import gettext_lazy as _

from kam.core.metrics import Metric, MetricUnit, MetricValue, registry

from .selectors import request_indicators, team_counts


def _column(name: str) -> Callable[[Sequence[int], dt.date], Mapping[int, MetricValue]]:
    def compute(ids: Sequence[int], as_of: dt.date) -> Mapping[int, MetricValue]:
        counts = team_counts(account_ids=list(ids), on=as_of)
        return {pk: counts.get(pk, {}).get(name, 0) for pk in ids}

    return compute


def _requests_on_time(ids: Sequence[int], as_of: dt.date) -> Mapping[int, MetricValue]:
    found = request_indicators(account_ids=list(ids), by="account")
    out: dict[int, MetricValue] = {}
    for pk in ids:
        share = found[pk].on_time_share if pk in found else None
        out[pk] = None if share is None else round(share * 100, 1)
    return out


def _median_days_to_mobilise(ids: Sequence[int], as_of: dt.date) -> Mapping[int, MetricValue]:
    found = request_indicators(account_ids=list(ids), by="account")
    return {pk: found[pk].median_days_to_mobilise if pk in found else None for pk in ids}


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
    Metric(
        key="teams.requests_on_time",
        label=_("Resource requests done on time"),
        unit=MetricUnit.PERCENT,
        compute=_requests_on_time,
        description=_("Share of the account's done resource requests done by their needed-by day."),
    ),
    Metric(
        key="teams.median_days_to_mobilise",
        label=_("Median days to mobilise"),
        unit=MetricUnit.DAYS,
        compute=_median_days_to_mobilise,
        description=_("Median days from filing a resource request to its acceptance."),
    ),
)


def register_all() -> None:
    for metric in METRICS:
        if metric.key not in registry:
            registry.register(metric)
