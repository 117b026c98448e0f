"""Health figures in the metric registry: ``health.score``, ``health.grade``, ``health.trend``.

Read from the kept figures (one query), so My accounts, plans and the dashboard list them for
many accounts at once. ``as_of`` in a past month reads that month's history row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.core.metrics import Metric, MetricUnit, MetricValue, register

from .models import AccountHealth, Grade, HealthMonth


def _past(as_of: dt.date) -> bool:
    return as_of.replace(day=1) < timezone.localdate().replace(day=1)


def score_values(account_ids: Sequence[int], as_of: dt.date) -> Mapping[int, MetricValue]:
    if _past(as_of):
        rows = HealthMonth.objects.filter(account_id__in=account_ids, month=as_of.replace(day=1))
    else:
        rows = AccountHealth.objects.filter(account_id__in=account_ids)  # type: ignore[assignment]
    return dict(rows.values_list("account_id", "score"))


def grade_values(account_ids: Sequence[int], as_of: dt.date) -> Mapping[int, MetricValue]:
    if _past(as_of):
        rows = HealthMonth.objects.filter(account_id__in=account_ids, month=as_of.replace(day=1))
    else:
        rows = AccountHealth.objects.filter(account_id__in=account_ids)  # type: ignore[assignment]
    return dict(rows.values_list("account_id", "grade"))


def trend_values(account_ids: Sequence[int], as_of: dt.date) -> Mapping[int, MetricValue]:
    """Points against three months ago (the kept current figure; ``as_of`` is not used)."""
    return dict(
        AccountHealth.objects.filter(account_id__in=account_ids, trend__isnull=False).values_list(
            "account_id", "trend"
        )
    )


def register_metrics() -> None:
    register(
        Metric(
            key="health.score",
            label=_("Health score"),
            unit=MetricUnit.SCORE,
            compute=score_values,
            description=_(
                "Relationship health 0–100 from frequency, continuity, breadth, depth, "
                "our-side breadth and recency of contact (DOMAIN §6)."
            ),
        )
    )
    register(
        Metric(
            key="health.grade",
            label=_("Health grade"),
            unit=MetricUnit.LEVEL,
            compute=grade_values,
            levels=tuple(Grade.choices),
            description=_("Good, fair or poor by the bands of the account's health profile."),
        )
    )
    register(
        Metric(
            key="health.trend",
            label=_("Health trend"),
            unit=MetricUnit.COUNT,
            compute=trend_values,
            description=_("Health score now minus the score three months ago, in points."),
        )
    )
