"""Planning's account metrics (decision 37): plan status, objectives on track, actions due.

My accounts, health and the dashboard read these keys from the registry; each compute answers
for many accounts in a bounded number of queries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.core.metrics import Metric, MetricUnit, MetricValue, memoized, register

from .models import PlanStatus
from .selectors import action_counts, current_plans, effective_status, objective_counts

NO_PLAN = "none"
STATUS_LEVELS = (
    (NO_PLAN, pgettext_lazy("plan status", "No plan")),
    (PlanStatus.DRAFT.value, PlanStatus.DRAFT.label),
    (PlanStatus.SUBMITTED.value, PlanStatus.SUBMITTED.label),
    (PlanStatus.APPROVED.value, PlanStatus.APPROVED.label),
    (PlanStatus.REVIEW_DUE.value, PlanStatus.REVIEW_DUE.label),
)


def plan_status_values(account_ids: Sequence[int], as_of: dt.date) -> Mapping[int, MetricValue]:
    plans = current_plans(account_ids, as_of)
    return {
        pk: effective_status(plans[pk], as_of) if pk in plans else NO_PLAN for pk in account_ids
    }


@memoized
def _objective_counts(account_ids: Sequence[int], as_of: dt.date) -> dict[int, tuple[int, int]]:
    return objective_counts(current_plans(account_ids, as_of), as_of)


def _objectives(account_ids: Sequence[int], as_of: dt.date, index: int) -> dict[int, MetricValue]:
    counts = _objective_counts(account_ids, as_of)
    return {pk: counts[pk][index] if pk in counts else 0 for pk in account_ids}


def objectives_on_track_values(
    account_ids: Sequence[int], as_of: dt.date
) -> Mapping[int, MetricValue]:
    return _objectives(account_ids, as_of, 0)


def objectives_total_values(
    account_ids: Sequence[int], as_of: dt.date
) -> Mapping[int, MetricValue]:
    return _objectives(account_ids, as_of, 1)


def _actions(account_ids: Sequence[int], as_of: dt.date, what: str) -> dict[int, MetricValue]:
    plans = current_plans(account_ids, as_of)
    counts = action_counts([p.pk for p in plans.values()], as_of)
    out: dict[int, MetricValue] = dict.fromkeys(account_ids, 0)
    for account_id, plan in plans.items():
        out[account_id] = counts.get(plan.pk, {}).get(what, 0)
    return out


def actions_due_week_values(
    account_ids: Sequence[int], as_of: dt.date
) -> Mapping[int, MetricValue]:
    return _actions(account_ids, as_of, "due_week")


def actions_overdue_values(account_ids: Sequence[int], as_of: dt.date) -> Mapping[int, MetricValue]:
    return _actions(account_ids, as_of, "overdue")


def register_metrics() -> None:
    register(
        Metric(
            key="planning.plan_status",
            label=_("Plan status"),
            unit=MetricUnit.LEVEL,
            compute=plan_status_values,
            levels=STATUS_LEVELS,
            description=_(
                "Status of the account's current plan (review due once its date passed)."
            ),
        )
    )
    register(
        Metric(
            key="planning.objectives_on_track",
            label=_("Objectives on track"),
            unit=MetricUnit.COUNT,
            compute=objectives_on_track_values,
            description=_(
                "Objectives of the current plan whose progress is at least the share of "
                "their time that has passed."
            ),
        )
    )
    register(
        Metric(
            key="planning.objectives_total",
            label=_("Objectives"),
            unit=MetricUnit.COUNT,
            compute=objectives_total_values,
        )
    )
    register(
        Metric(
            key="planning.actions_due_week",
            label=_("Actions due this week"),
            unit=MetricUnit.COUNT,
            compute=actions_due_week_values,
            description=_("Open actions of the current plan due in the next 7 days."),
        )
    )
    register(
        Metric(
            key="planning.actions_overdue",
            label=_("Actions overdue"),
            unit=MetricUnit.COUNT,
            compute=actions_overdue_values,
            higher_is_better=False,
        )
    )
